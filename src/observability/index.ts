import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';
import type { GatewayContext } from '../context.ts';

/** Health, readiness, metrics and logging plugins. */
export function observabilityPlugins(_config: Config): Plugin<GatewayContext>[] {
  return [];
}
