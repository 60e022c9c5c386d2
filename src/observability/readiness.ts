import type { Plugin } from 'graphql-yoga';
import type { CircuitBreaker } from '../reliability/breaker.ts';
import type { FetchFn } from '../upstream/transport.ts';

export interface ReadinessOptions {
  /** The upstream's base URL: the probe GETs it. */
  baseUrl: string;
  breaker?: CircuitBreaker | undefined;
  fetch?: FetchFn | undefined;
  /** True once shutdown has begun: a load balancer must stop sending traffic. */
  isDraining?: (() => boolean) | undefined;
  /** Redis is a help, not a dependency: `degraded` is reported but keeps the replica ready. */
  redisStatus?: (() => 'off' | 'ok' | 'degraded') | undefined;
  /** Bound on one probe. */
  probeTimeoutMs?: number;
  /** A probe result is reused this long, so frequent readiness checks cost one upstream call. */
  cacheMs?: number;
}

/**
 * `/ready`: 503 while draining, while the breaker is open, or when the upstream does
 * not answer a cheap unauthenticated GET of its base URL. Any HTTP answer (401 and
 * 404 included) means reachable. The body says which, never the upstream's URL.
 * Liveness is yoga's own `/health`, which stays 200 whatever the upstream does.
 */
export function useUpstreamReadiness(options: ReadinessOptions): Plugin {
  // Not the upstream client's pool: under load its sockets are all busy, and a probe
  // queued behind them would time out and report a healthy upstream as unreachable.
  const fetchFn: FetchFn = options.fetch ?? ((url, init) => fetch(url, { ...init, redirect: 'manual' }));
  const probeTimeoutMs = options.probeTimeoutMs ?? 1_000;
  const cacheMs = options.cacheMs ?? 1_000;
  let cached: { at: number; reachable: boolean } | undefined;
  let probing: Promise<boolean> | undefined;

  const probe = async (): Promise<boolean> => {
    try {
      const response = await fetchFn(options.baseUrl, {
        method: 'GET',
        headers: { Accept: 'application/json' },
        signal: AbortSignal.timeout(probeTimeoutMs),
      });
      await response.text();
      return true;
    } catch {
      return false;
    }
  };

  const reachable = (): Promise<boolean> => {
    if (cached && performance.now() - cached.at < cacheMs) return Promise.resolve(cached.reachable);
    probing ??= probe().then((ok) => {
      cached = { at: performance.now(), reachable: ok };
      probing = undefined;
      return ok;
    });
    return probing;
  };

  const check = async (ResponseType: typeof Response) => {
    const breaker = options.breaker?.state ?? 'disabled';
    const draining = options.isDraining?.() ?? false;
    let upstream: 'reachable' | 'unreachable' | 'not probed' = 'not probed';
    if (!draining && breaker !== 'open') upstream = (await reachable()) ? 'reachable' : 'unreachable';
    const ready = !draining && breaker !== 'open' && upstream === 'reachable';
    const redis = options.redisStatus?.() ?? 'off';
    const body = { status: ready ? 'ready' : 'unavailable', upstream, breaker, draining, redis };
    return new ResponseType(JSON.stringify(body), {
      status: ready ? 200 : 503,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    });
  };

  // Yoga's useReadinessCheck matches every request's URL against a URLPattern; the
  // path compared as a string is enough, and this runs for every request.
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (pathOf(request.url) !== READY_PATH) return;
      return check(fetchAPI.Response).then(endResponse);
    },
  };
}

const READY_PATH = '/ready';

/** The path of an absolute URL, without parsing it into a URL object. */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return '/';
  const query = url.indexOf('?', start);
  return url.slice(start, query === -1 ? undefined : query);
}
