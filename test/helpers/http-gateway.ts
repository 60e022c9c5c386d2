import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stack } from './stack.ts';

/** One HTTP request the gateway received, as a client library sent it. */
export interface SeenRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface HttpGateway {
  /** `http://127.0.0.1:<port>/graphql` */
  url: string;
  /** Every request in arrival order (preflights included). */
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** Puts a stack's gateway on a real port (0: a free one), recording what clients send it. */
export async function serveGateway(stack: Stack): Promise<HttpGateway> {
  const requests: SeenRequest[] = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: { ...request.headers } });
    void stack.gateway(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
