import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import type { CORSOptions, Plugin, YogaServerOptions } from 'graphql-yoga';
import type { Config } from '../config.ts';
import type { GatewayContext } from '../context.ts';
import { useBodyLimit } from './body-limit.ts';
import { documentLimitPlugins } from './document-limits.ts';
import { useExpensiveOperationLimit } from './rate-limit.ts';

/** Yoga options that limit what a request may be (body size, batching, CORS). */
export function securityOptions(config: Config): Partial<YogaServerOptions<Record<string, unknown>, GatewayContext>> {
  const { security } = config;
  return {
    // useBodyLimit enforces MAX_BODY_BYTES at a fraction of the cost.
    maxRequestBodySize: false,
    batching: security.maxBatch > 0 ? { limit: security.maxBatch } : false,
    cors: corsOptions(security.corsOrigins),
  };
}

/** Envelop plugins that refuse hostile requests and documents before execution. */
export function securityPlugins(config: Config): Plugin<GatewayContext>[] {
  const { security } = config;
  return [
    useBodyLimit(security.maxBodyBytes) as Plugin<GatewayContext>,
    ...(security.csrfPrevention ? [useCSRFPrevention() as Plugin<GatewayContext>] : []),
    ...(documentLimitPlugins(security) as Plugin<GatewayContext>[]),
    ...(security.rateLimitExpensivePerMinute > 0 ? [useExpensiveOperationLimit(security.rateLimitExpensivePerMinute)] : []),
  ];
}

/**
 * CORS headers only for an allowed origin, so a browser elsewhere cannot read the
 * answers. Yoga's own list handling is not used: with several origins it answers an
 * unknown one with `Access-Control-Allow-Origin: null`, which sandboxed iframes match.
 * Credentials travel in the Authorization header, never cookies, so none are allowed.
 */
export function corsOptions(origins: readonly string[]): YogaServerOptions<Record<string, unknown>, GatewayContext>['cors'] {
  if (origins.length === 0) return false;
  const allowed = new Set(origins);
  return (request: Request): CORSOptions => {
    const origin = request.headers.get('origin');
    if (origin === null || !allowed.has(origin)) return false;
    return {
      origin: [origin],
      methods: ['GET', 'POST'],
      allowedHeaders: [
        'accept',
        'authorization',
        'content-type',
        'synapse-access-token',
        'synapse-tenant',
        'x-graphql-yoga-csrf',
        'x-request-id',
      ],
      exposedHeaders: ['x-request-id', 'retry-after'],
      credentials: false,
      maxAge: 600,
    };
  };
}
