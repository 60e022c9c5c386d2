import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.ts';
import { createContext, type ContextDeps, type GatewayContext } from './context.ts';
import { maskError } from './graphql/errors.ts';
import { graphiqlOptions } from './graphiql/options.ts';
import { useRequestState, type RequestState } from './graphql/plugins/request-state.ts';
import { useRequireCredentials } from './graphql/plugins/require-credentials.ts';
import { createObservability } from './observability/index.ts';
import type { Logger } from './observability/logger.ts';
import { createReliability, type CircuitBreaker } from './reliability/index.ts';
import { buildSchema } from './graphql/schema.ts';
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
  /** The upstream's circuit breaker (by default one from BREAKER_*); also the gate unless `gate` is given. */
  breaker?: CircuitBreaker;
  /** pino logger (by default JSON to stdout at LOG_LEVEL). */
  logger?: Logger;
  /** True once shutdown began: `/ready` answers 503. */
  isDraining?: () => boolean;
  /** Export prom-client's process metrics too (the server's one gateway; not tests). */
  processMetrics?: boolean;
}

/** Builds the yoga instance (no listening: tests call `gateway.fetch`). */
export function createGateway(config: Config & { upstream: { baseUrl: string } }, deps: GatewayDeps = {}): Gateway {
  const states = new WeakMap<Request, RequestState>();
  const reliability = createReliability(config);
  const breaker = deps.breaker ?? reliability.breaker;
  const retryPolicy = deps.retryPolicy ?? reliability.retryPolicy;
  const observability = createObservability(config, {
    baseUrl: config.upstream.baseUrl,
    requestState: (request) => states.get(request),
    breaker,
    retryBudget: retryPolicy.budget,
    logger: deps.logger,
    fetch: deps.fetch,
    isDraining: deps.isDraining,
    processMetrics: deps.processMetrics,
  });
  const onUpstreamCall = deps.onUpstreamCall;
  const contextDeps: ContextDeps = {
    config,
    ...deps,
    retryPolicy,
    ...(deps.gate ?? breaker ? { gate: deps.gate ?? breaker } : {}),
    onUpstreamCall: onUpstreamCall
      ? (event) => {
          observability.onUpstreamCall(event);
          onUpstreamCall(event);
        }
      : observability.onUpstreamCall,
  };
  return createYoga<Record<string, unknown>, GatewayContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // The bundled renderer inlines GraphiQL's assets: the page loads with no CDN.
    renderGraphiQL,
    graphiql: config.security.graphiql ? graphiqlOptions({ demoToken: deps.demoToken }) : false,
    maskedErrors: { maskError },
    logging: observability.logging,
    context: (initial) => {
      const state = states.get(initial.request);
      if (!state) throw new Error('request state missing');
      // Client gone or OPERATION_TIMEOUT_MS passed: every upstream call of the operation is aborted.
      const deadline = reliability.deadlines.for(initial.request, state.startedAt);
      return createContext(initial, contextDeps, {
        requestId: state.requestId,
        stats: state.stats,
        signal: deadline.signal,
        deadlineAt: deadline.expiresAt,
      });
    },
    ...securityOptions(config),
    plugins: [
      useRequestState(states),
      ...securityPlugins(config),
      useRequireCredentials(),
      reliability.deadlines.plugin(),
      ...observability.plugins,
    ],
  });
}
