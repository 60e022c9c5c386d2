import http from 'node:http';
import https from 'node:https';
import nodeFetch from 'node-fetch';

/** The slice of the Fetch API the client uses, so tests can inject their own. */
export type FetchFn = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });

/**
 * node-fetch over keep-alive agents. The agents pool connections only: no response
 * is cached, so sharing them across callers shares no data.
 */
export const keepAliveFetch: FetchFn = (url, init) =>
  nodeFetch(url, {
    ...init,
    agent: (parsed: URL) => (parsed.protocol === 'https:' ? httpsAgent : httpAgent),
    // Upstream redirects would carry the caller's token to another host: refuse them.
    redirect: 'manual',
  });
