import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** The admin listener: Prometheus' `GET /metrics` and nothing else, apart from the public port. */
export interface AdminListener {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the registry's metrics on ADMIN_HOST:ADMIN_PORT (loopback unless told otherwise),
 * so that what the gateway does (operations, clients, upstream routes, breaker state) is
 * visible to the scraper beside it and not to whoever reaches the public port.
 */
export async function startAdminListener(registry: Registry, host: string, port: number): Promise<AdminListener> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: this listener serves GET /metrics only.\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
