import type { CORSOptions, Plugin, YogaServerOptions } from 'graphql-yoga';
import type { SecurityConfig } from '../config.ts';
import type { GatewayContext } from '../context.ts';
import { CLIENT_NAME_HEADER, CLIENT_VERSION_HEADER } from '../observability/request-state.ts';
import { refusalResponse } from './http-refusals.ts';

/** A frontend dev server on this machine: `http://localhost:5173`, `http://127.0.0.1:3000`. */
const LOCAL_DEV_ORIGIN = /^http:\/\/(?:localhost|127\.0\.0\.1)(?::\d{1,5})?$/;

/** Longest origin echoed in a refusal message (a browser's are short; anything else is cut). */
const MAX_SHOWN_ORIGIN = 200;

type CorsPolicy = Pick<SecurityConfig, 'corsOrigins' | 'corsAllowLocalhost'>;

/**
 * Headers a caller sends for the gateway to read, whichever way it calls (a browser's fetch, a
 * WebSocket's `connection_init` payload): credentials, its request id, its name and version
 * (trusted documents pick its manifest, metrics label it), and the W3C trace context its
 * operations continue (a browser traced by OpenTelemetry).
 */
export const CALLER_HEADERS: readonly string[] = [
  'authorization',
  'synapse-access-token',
  'synapse-tenant',
  'x-request-id',
  CLIENT_NAME_HEADER,
  CLIENT_VERSION_HEADER,
  'traceparent',
  'tracestate',
];

/** Whether a browser page of `origin` may read the gateway's answers. */
function isAllowedOrigin(policy: CorsPolicy, origin: string): boolean {
  return policy.corsOrigins.includes(origin) || (policy.corsAllowLocalhost && LOCAL_DEV_ORIGIN.test(origin));
}

/**
 * CORS headers only for an allowed origin, so a browser elsewhere cannot read the
 * answers. Yoga's own list handling is not used: with several origins it answers an
 * unknown one with `Access-Control-Allow-Origin: null`, which sandboxed iframes match.
 * Credentials travel in the Authorization header, never cookies, so none are allowed.
 */
export function corsOptions(policy: CorsPolicy): YogaServerOptions<Record<string, unknown>, GatewayContext>['cors'] {
  return (request: Request): CORSOptions => {
    const origin = request.headers.get('origin');
    if (origin === null || !isAllowedOrigin(policy, origin)) return false;
    return {
      origin: [origin],
      methods: ['GET', 'POST'],
      allowedHeaders: ['accept', 'content-type', 'x-graphql-yoga-csrf', ...CALLER_HEADERS],
      exposedHeaders: ['x-request-id', 'retry-after'],
      credentials: false,
      maxAge: 600,
    };
  };
}

/**
 * Answers a preflight from an origin that is not allowed with 403 and a JSON error
 * (`CORS_ORIGIN_NOT_ALLOWED`) naming the setting to change, instead of yoga's bare 204
 * without CORS headers: the browser refuses the call either way, but its network panel
 * now says why. It replaces the response in `onResponse` because yoga's CORS plugin ends
 * every OPTIONS request before any plugin of ours sees it.
 */
export function useRefusedPreflight(policy: CorsPolicy): Plugin<GatewayContext> {
  return {
    onResponse({ request, response, setResponse, fetchAPI }) {
      const origin = request.headers.get('origin');
      const preflight = request.method === 'OPTIONS' && origin !== null && request.headers.has('access-control-request-method');
      if (!preflight || isAllowedOrigin(policy, origin)) return;
      const shown = JSON.stringify(origin.slice(0, MAX_SHOWN_ORIGIN));
      const hint = policy.corsAllowLocalhost
        ? 'add it to CORS_ORIGINS'
        : 'add it to CORS_ORIGINS (localhost origins are allowed by default only outside production, or with CORS_ALLOW_LOCALHOST=true)';
      setResponse(
        refusalResponse(fetchAPI, response, 403, 'CORS_ORIGIN_NOT_ALLOWED', `Browser pages of origin ${shown} may not call this gateway: ${hint}.`),
      );
    },
  };
}
