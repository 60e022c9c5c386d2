import { createRequire } from 'node:module';

/** One request autocannon sends (it cycles through the list). */
export interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Rewrites the request each time it is sent (rotating ids and offsets). */
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
  onResponse?: (status: number, body: string) => void;
}

/** The part of autocannon's result the benchmarks print. */
export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  /** Connection errors, its own timeouts included. */
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}

type Autocannon = (options: { url: string; connections: number; duration: number; requests: AutocannonRequest[] }) => Promise<AutocannonResult>;

/** autocannon, typed for our use (it ships CommonJS without types), loaded once for every benchmark. */
export const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
