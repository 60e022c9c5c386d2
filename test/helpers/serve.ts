import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../../src/gateway.ts';
import { attachWebSockets } from '../../src/process/websocket.ts';

/** A gateway on real HTTP and WebSocket on a free loopback port, as src/server.ts serves it. */
export async function serve(gateway: Gateway, options: { keepAliveMs?: number } = {}): Promise<{ url: string; wsUrl: string; close(): Promise<void> }> {
  const server = createServer(gateway);
  const webSockets = attachWebSockets(server, gateway, { maxPayloadBytes: 1_048_576, ...options });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    async close() {
      await webSockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
