import type { Plugin, YogaServerOptions } from 'graphql-yoga';
import type { Config } from '../config.ts';
import type { GatewayContext } from '../context.ts';

/** Yoga options that limit what a request may be (body size, batching, CORS, GraphiQL). */
export function securityOptions(_config: Config): Partial<YogaServerOptions<Record<string, unknown>, GatewayContext>> {
  return {};
}

/** Envelop plugins that refuse hostile documents before execution. */
export function securityPlugins(_config: Config): Plugin<GatewayContext>[] {
  return [];
}
