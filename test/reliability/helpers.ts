import net from 'node:net';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config.ts';
import { createGateway, type Gateway, type GatewayDeps } from '../../src/gateway.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { TOKENS, type GraphQLResponse } from '../helpers/stack.ts';

/** A gateway in front of any upstream URL (the stack helper always starts its own backend). */
export function gatewayFor(
  baseUrl: string,
  env: Record<string, string> = {},
  deps: GatewayDeps = {},
): { gateway: Gateway; config: Config & { upstream: { baseUrl: string } } } {
  const base = loadConfig({ NODE_ENV: 'test', ...env });
  const config = { ...base, upstream: { ...base.upstream, baseUrl, idsFilter: true } };
  return { gateway: createGateway(config, deps), config };
}

/** One GraphQL POST through `gateway.fetch`, with the admin token unless told otherwise. */
export async function gql<T = Record<string, any>>(
  gateway: Gateway,
  query: string,
  variables?: Record<string, unknown>,
  options: { token?: string | null; signal?: AbortSignal } = {},
): Promise<GraphQLResponse<T>> {
  const token = options.token === undefined ? TOKENS.admin : options.token;
  const response = await gateway.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Token ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse<T>['body'] };
}

/** GET of a non-GraphQL endpoint (`/health`, `/ready`, `/metrics`). */
export async function getText(gateway: Gateway, path: string): Promise<{ status: number; text: string }> {
  const response = await gateway.fetch(`http://gateway.test${path}`);
  return { status: response.status, text: await response.text() };
}

/** A pino logger writing into memory, at `level`. */
export function capturedLogger(level = 'debug'): { logger: Logger; lines: () => Record<string, any>[]; raw: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger(level, stream);
  const raw = () => chunks.join('');
  const lines = () =>
    raw()
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, any>);
  return { logger, lines, raw };
}

export interface TcpProxy {
  url: string;
  /** Connections accepted since start: every connection attempt the gateway made. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy to `127.0.0.1:targetPort`. It counts the connections the
 * gateway opens, even while nothing listens on the target (the gateway then sees a
 * reset, as with a dead upstream behind a load balancer).
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    get connections() {
      return connections;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
