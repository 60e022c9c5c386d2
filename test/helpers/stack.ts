import { loadConfig, type Config, type UpstreamConfig } from '../../src/config.ts';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import { createGateway, type Gateway, type GatewayDeps } from '../../src/gateway.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startTraceExport } from '../../src/observability/tracing.ts';
import { TOKENS } from './tokens.ts';

/** Seed moment shared by tests, so ages and windows are reproducible. */
export const SEED_NOW = new Date('2026-11-20T12:00:00.000Z');

export { TOKENS } from './tokens.ts';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
    extensions?: Record<string, any>;
  };
}

export interface Stack {
  backend: DevBackend;
  gateway: Gateway;
  config: Config & { upstream: { baseUrl: string } };
  /** Runs an operation through yoga.fetch with a token (null: no credentials). */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string | null; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<T>>;
  /** Requests the backend saw since the last reset, optionally of one path prefix. */
  upstreamCalls(pathPrefix?: string): DevBackend['requests'];
  close(): Promise<void>;
}

/** An embedded backend on loopback and a gateway in front of it. */
export async function startStack(
  options: {
    assignments?: number;
    projects?: number;
    upstream?: Partial<UpstreamConfig>;
    /** The embedded backend's DEV_BACKEND_MAX_PAGE_SIZE (default 1000). */
    maxPageSize?: number;
    /** The embedded backend's DEV_BACKEND_V2 (default true). */
    v2?: boolean;
    env?: Record<string, string>;
    deps?: GatewayDeps;
  } = {},
): Promise<Stack> {
  const base = loadConfig({ NODE_ENV: 'test', ...options.env });
  // With OTEL_* set, the backend traces too, as `npm start` makes it: a service of its own.
  const backendTraces = startTraceExport(base.tracing, createLogger('silent'), 'synapse-dev-backend');
  const backend = await createDevBackend({
    dbPath: ':memory:',
    port: 0,
    seed: { assignments: options.assignments ?? 600, projects: options.projects ?? 4, now: SEED_NOW },
    ...(options.maxPageSize ? { maxPageSize: options.maxPageSize } : {}),
    tracer: backendTraces?.tracer,
    ...(options.v2 === undefined ? {} : { v2: options.v2 }),
  });
  const config = {
    ...base,
    upstream: { ...base.upstream, baseUrl: backend.url, idsFilter: true, ...options.upstream },
  } as Config & { upstream: { baseUrl: string } };
  const gateway = createGateway(config, { now: () => SEED_NOW, ...options.deps });
  return {
    backend,
    gateway,
    config,
    async gql(query, variables, { token = TOKENS.admin, headers = {} } = {}) {
      const response = await gateway.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          ...(token ? { authorization: `Token ${token}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
    },
    upstreamCalls(pathPrefix = '') {
      return backend.requests.filter((r) => r.path.startsWith(pathPrefix));
    },
    async close() {
      // Ends live streams and their pollers, then the backend.
      await gateway.dispose();
      await backend.close();
      await backendTraces?.shutdown();
    },
  } as Stack;
}
