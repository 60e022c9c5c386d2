import http from 'node:http';
import https from 'node:https';
import nodeFetch from 'node-fetch';
import { Pool } from 'undici';

/** The slice of the Fetch API the node-fetch transport uses, so tests can inject their own. */
export type FetchFn = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

/** One HTTP exchange as the client asks for it. */
interface TransportRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** `http://host:port`, as `URL.origin` gives it. */
  origin: string;
  /** Absolute path with its query. */
  path: string;
  headers: Record<string, string>;
  body?: string | undefined;
  /** The operation's signal: aborts the call when its deadline passes or its client goes away. */
  signal?: AbortSignal | undefined;
  /** Longest wait for the answer's headers, and then for each part of its body. */
  timeoutMs: number;
}

/** The whole answer, body read. */
interface TransportResponse {
  status: number;
  retryAfter: string | null;
  text: string;
}

/**
 * The seam between the client and an HTTP library. A transport never follows a
 * redirect (it would carry the caller's token to another host), rejects with a
 * CallTimeoutError when `timeoutMs` passes, and with the signal's reason (or the
 * library's abort error) when the signal aborts.
 */
export interface Transport {
  request(request: TransportRequest): Promise<TransportResponse>;
  /** Closes pooled connections (the gateway is going away). */
  close(): Promise<void>;
}

/** The upstream did not answer within the call's timeout. */
class CallTimeoutError extends Error {
  override name = 'CallTimeoutError';
}

const UNDICI_TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Whether a transport's rejection means the call ran out of time (as opposed to being refused or cut). */
export function isCallTimeout(error: unknown): boolean {
  return error instanceof CallTimeoutError || UNDICI_TIMEOUTS.has((error as { code?: string } | null)?.code ?? '');
}

/** The SDK's connect timeout; a call's own timeout bounds it too. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * undici's `Pool.request`, one keep-alive pool per origin with at most `connections`
 * sockets (calls beyond them queue in the pool). No WHATWG Request/Response/Headers
 * objects and no web streams per call; timeouts are undici's own timers (headers,
 * then body inactivity, like the SDK's read timeout) and the operation's signal
 * goes to undici as it is (undici 8 takes only a real AbortSignal, and adds its
 * listener through Node's `addAbortListener`): no controller or timer of ours per
 * call. Pools share sockets, never answers, so sharing them across callers shares
 * no data.
 */
function undiciTransport(options: { connections: number; timeoutMs: number }): Transport {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: options.connections, connectTimeout: Math.min(CONNECT_TIMEOUT_MS, options.timeoutMs) });
      pools.set(origin, pool);
    }
    return pool;
  };
  return {
    async request({ method, origin, path, headers, body, signal, timeoutMs }) {
      const response = await poolFor(origin).request({
        method,
        path,
        headers,
        body: body ?? null,
        signal: signal ?? null,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const retryAfter = response.headers['retry-after'];
      return {
        status: response.statusCode,
        retryAfter: typeof retryAfter === 'string' ? retryAfter : (retryAfter?.[0] ?? null),
        text: await response.body.text(),
      };
    },
    async close() {
      const closing = [...pools.values()].map((pool) => pool.close());
      pools.clear();
      await Promise.all(closing);
    },
  };
}

/** Abort reason of a call that ran out of time; one shared value, since each DOMException captures a stack. */
const TIMED_OUT = new DOMException('upstream call timed out', 'TimeoutError');

/**
 * Any Fetch-style function as a transport: one AbortController and one timer per
 * call, both released when the call ends (AbortSignal.timeout would keep its timer
 * alive for the full timeout).
 */
function fetchTransport(fetchFn: FetchFn): Transport {
  return {
    async request({ method, origin, path, headers, body, signal, timeoutMs }) {
      const call = new AbortController();
      const timer = setTimeout(() => call.abort(TIMED_OUT), timeoutMs);
      const onAbort = () => call.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const response = await fetchFn(origin + path, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          signal: call.signal,
        });
        return { status: response.status, retryAfter: response.headers.get('retry-after'), text: await response.text() };
      } catch (error) {
        if (call.signal.reason === TIMED_OUT) throw new CallTimeoutError('upstream call timed out', { cause: error });
        throw error;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
    },
    close: async () => {},
  };
}

/**
 * node-fetch over keep-alive agents of at most `maxSockets` sockets per host (the
 * design's original client; SYNAPSE_HTTP_CLIENT=node-fetch). The agents pool
 * connections only: no response is cached.
 */
function keepAliveFetchFn(maxSockets: number): FetchFn {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
  return (url, init) =>
    nodeFetch(url, {
      ...init,
      agent: (parsed: URL) => (parsed.protocol === 'https:' ? httpsAgent : httpAgent),
      // Upstream redirects would carry the caller's token to another host: refuse them.
      redirect: 'manual',
    });
}

/** One shared node-fetch for tests and scripts that wrap or call it directly. */
export const keepAliveFetch: FetchFn = keepAliveFetchFn(256);

/** The transport SYNAPSE_HTTP_CLIENT names; `fetch` (tests) replaces either. */
export function createTransport(options: {
  httpClient: 'undici' | 'node-fetch';
  connections: number;
  timeoutMs: number;
  fetch?: FetchFn | undefined;
}): Transport {
  if (options.fetch) return fetchTransport(options.fetch);
  return options.httpClient === 'undici' ? undiciTransport(options) : fetchTransport(keepAliveFetchFn(options.connections));
}
