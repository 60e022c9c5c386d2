import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.ts';
import { createContext, type ContextDeps, type GatewayContext } from './context.ts';
import { maskError } from './errors.ts';
import { graphiqlOptions } from './graphiql.ts';
import { useRequestState, type RequestState } from './plugins/request-state.ts';
import { useRequireCredentials } from './plugins/require-credentials.ts';
import { observabilityPlugins } from './observability/index.ts';
import { buildSchema } from './schema.ts';
import { securityOptions, securityPlugins } from './security/index.ts';
import type { CallGate, UpstreamCallEvent } from './upstream/client.ts';
import type { RetryPolicy } from './upstream/retry.ts';
import type { FetchFn } from './upstream/transport.ts';

export type Gateway = YogaServerInstance<Record<string, unknown>, GatewayContext>;

/** Collaborators a test or the server can inject. */
export interface GatewayDeps {
  fetch?: FetchFn;
  retryPolicy?: RetryPolicy;
  gate?: CallGate;
  onUpstreamCall?: (event: UpstreamCallEvent) => void;
  now?: () => Date;
  /** Demo tokens of the embedded backend, offered in GraphiQL's headers editor. */
  demoToken?: string;
}

/** Builds the yoga instance (no listening: tests call `gateway.fetch`). */
export function createGateway(config: Config & { upstream: { baseUrl: string } }, deps: GatewayDeps = {}): Gateway {
  const states = new WeakMap<Request, RequestState>();
  const contextDeps: ContextDeps = { config, ...deps };
  return createYoga<Record<string, unknown>, GatewayContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // The bundled renderer inlines GraphiQL's assets: the page loads with no CDN.
    renderGraphiQL,
    graphiql: graphiqlOptions({ demoToken: deps.demoToken }),
    maskedErrors: { maskError },
    context: (initial) => {
      const state = states.get(initial.request);
      if (!state) throw new Error('request state missing');
      return createContext(initial, contextDeps, {
        requestId: state.requestId,
        stats: state.stats,
        signal: initial.request.signal,
      });
    },
    ...securityOptions(config),
    plugins: [
      useRequestState(states),
      ...securityPlugins(config),
      useRequireCredentials(),
      ...observabilityPlugins(config),
    ],
  });
}
