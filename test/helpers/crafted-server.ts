import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the crafted server saw it. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/assignments/1/?x=y`. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request's headers and body had arrived. */
  at: number;
  /** Set when the client closed the connection before an answer was written. */
  closedByClient: boolean;
}

/** What the server does with one request. */
export type CraftedResponse =
  | { status: number; body?: string | object; headers?: Record<string, string> }
  /** Destroys the socket without writing anything (the client sees ECONNRESET). */
  | { reset: true }
  /** Never answers; the socket stays open until the client gives up. */
  | { hang: true };

export interface CraftedServer {
  /** Base URL ending in `/`, as `UpstreamConfig.baseUrl` expects. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Queues responses for the next requests, in order; `fallback` answers once the queue is empty. */
  script(...responses: CraftedResponse[]): void;
  /** Clears the queue and the recorded requests, and restores the default fallback. */
  reset(fallback?: CraftedResponse): void;
  fallback: CraftedResponse;
  /** Resolves once `n` requests in total have arrived (rejects after `timeoutMs`). */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once request `index` has been closed by the client (rejects after `timeoutMs`). */
  waitForClientClose(index: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_FALLBACK: CraftedResponse = { status: 200, body: {} };

/**
 * A tiny `node:http` server on 127.0.0.1 whose answers a test scripts request by
 * request, recording each request (headers and body included) so a test can
 * assert what the client sent and how often.
 */
export async function startCraftedServer(): Promise<CraftedServer> {
  const queue: CraftedResponse[] = [];
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const record: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
        closedByClient: false,
      };
      requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished) {
          record.closedByClient = true;
          notify();
        }
      });
      const response = queue.shift() ?? crafted.fallback;
      notify();
      if ('reset' in response) {
        req.socket.resetAndDestroy();
        return;
      }
      if ('hang' in response) return;
      const body = typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? {});
      res.writeHead(response.status, { 'Content-Type': 'application/json', ...response.headers });
      res.end(body);
    });
  });
  // Longer than any suite, so the client never reuses a socket the server is closing.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const waitUntil = (done: () => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`crafted server: timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
    });

  const crafted: CraftedServer = {
    url: `http://127.0.0.1:${port}/`,
    port,
    requests,
    fallback: DEFAULT_FALLBACK,
    script(...responses) {
      queue.push(...responses);
    },
    reset(fallback = DEFAULT_FALLBACK) {
      queue.length = 0;
      requests.length = 0;
      crafted.fallback = fallback;
    },
    waitForRequests(n, timeoutMs = 10_000) {
      return waitUntil(() => requests.length >= n, timeoutMs, `${n} requests`);
    },
    waitForClientClose(index, timeoutMs = 10_000) {
      return waitUntil(() => requests[index]?.closedByClient === true, timeoutMs, `client close of request ${index}`);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
  return crafted;
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
