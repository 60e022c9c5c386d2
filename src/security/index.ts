import type { Plugin, YogaServerOptions } from 'graphql-yoga';
import type { Config } from '../config.ts';
import type { GatewayContext } from '../context.ts';
import { useBodyLimit } from './body-limit.ts';
import { corsOptions, useRefusedPreflight } from './cors.ts';
import { documentLimitPlugins } from './document-limits.ts';
import { useHttpRefusals } from './http-refusals.ts';
import { usePrivateAnswers } from './private-answers.ts';
import type { SharedState } from '../shared-state/index.ts';
import { createCallerLimiter, useExpensiveOperationLimit } from './rate-limit.ts';

/** Yoga options that limit what a request may be (body size, batching, CORS). */
export function securityOptions(config: Config): Partial<YogaServerOptions<Record<string, unknown>, GatewayContext>> {
  const { security } = config;
  return {
    // useBodyLimit enforces MAX_BODY_BYTES at a fraction of the cost.
    maxRequestBodySize: false,
    batching: security.maxBatch > 0 ? { limit: security.maxBatch } : false,
    cors: corsOptions(security),
  };
}

/** Envelop plugins that refuse hostile requests and documents before execution. */
export function securityPlugins(config: Config, shared?: Pick<SharedState, 'redis' | 'keyPrefix'>): Plugin<GatewayContext>[] {
  const { security } = config;
  const perMinute = security.rateLimitExpensivePerMinute;
  return [
    useBodyLimit(security.maxBodyBytes) as Plugin<GatewayContext>,
    useHttpRefusals(security),
    useRefusedPreflight(security),
    usePrivateAnswers(),
    ...(documentLimitPlugins(security) as Plugin<GatewayContext>[]),
    ...(perMinute > 0 ? [useExpensiveOperationLimit(perMinute, createCallerLimiter(perMinute, shared))] : []),
  ];
}
