import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import { createMemoryCacheStore, createRedisCacheStore } from './cache/stores.ts';
import { callerTag, createResponseCache, writeTags } from './cache/response-cache.ts';
import type { Config } from './config.ts';
import { callerKey, createClient, createContext, type ContextDeps, type ContextExtension } from './context.ts';
import { maskError } from './graphql/errors.ts';
import { GRAPHIQL_CLIENT, graphiqlOptions } from './graphiql/options.ts';
import { useGraphiQLPage } from './graphiql/page.ts';
import { useIncrementalDelivery } from './graphql/plugins/incremental-delivery.ts';
import { useRequestState } from './graphql/plugins/request-state.ts';
import { useRequireCredentials } from './graphql/plugins/require-credentials.ts';
import { createObservability } from './observability/index.ts';
import type { Logger } from './observability/logger.ts';
import { newRequestState, type RequestState } from './observability/request-state.ts';
import { createTracing, startTraceExport } from './observability/tracing.ts';
import { LiveUpdates } from './live/live-updates.ts';
import { createReliability, type CircuitBreaker } from './reliability/index.ts';
import { createSharedState, type SharedState } from './shared-state/index.ts';
import { buildSchema } from './graphql/schema.ts';
import { securityOptions, securityPlugins } from './security/index.ts';
import type { CallGate, UpstreamCallEvent } from './upstream/client.ts';
import type { RetryPolicy } from './upstream/retry.ts';
import { createTransport, type FetchFn } from './upstream/transport.ts';
import { createTrustedDocuments, ManifestStore } from './trusted-documents/index.ts';
import { V2Support } from './upstream/v2.ts';

const GRAPHQL_ENDPOINT = '/graphql';

export type Gateway = YogaServerInstance<Record<string, unknown>, ContextExtension>;

/** Collaborators a test or the server can inject. */
export interface GatewayDeps {
  /** Replaces the SYNAPSE_HTTP_CLIENT transport (tests wrap or fake the upstream with it). */
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
  /** Redis (or in-process) state shared with other replicas; by default one from REDIS_URL, closed with the gateway. */
  shared?: SharedState;
  /** The trusted documents' manifests (the process reloads them on SIGHUP); by default read from TRUSTED_DOCUMENTS_DIR, watched, closed with the gateway. */
  manifests?: ManifestStore;
  /** Where prom-client's metrics are registered; with an admin listener (ADMIN_PORT), the process serves them there. */
  metricsRegistry?: Registry;
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
    registry: deps.metricsRegistry,
    // `shared` is made below, once the logger exists; readiness asks only when probed.
    redisStatus: () => shared.status(),
    liveSize: () => live.size,
  });
  // Off (undefined) unless an OTLP endpoint is configured: then no span, context or header is ever made.
  const traceExport = startTraceExport(config.tracing, observability.logger);
  const tracing =
    traceExport && createTracing(traceExport.tracer, { graphqlEndpoint: GRAPHQL_ENDPOINT, requestState: (request) => states.get(request) });
  const manifests = deps.manifests ?? new ManifestStore(config.trustedDocuments.dir, observability.logger);
  if (!deps.manifests) manifests.watch();
  const trustedDocuments = createTrustedDocuments(config, {
    store: manifests,
    logger: observability.logger,
    graphiqlClient: config.security.graphiql ? GRAPHIQL_CLIENT : undefined,
    clientOf: (request) => states.get(request)?.client ?? trustedDocuments.identify(request),
    onOutcome: observability.onTrustedDocument,
  });
  const onUpstreamCall = deps.onUpstreamCall;
  const { upstream } = config;
  const transport = createTransport({
    httpClient: upstream.httpClient,
    connections: upstream.connections,
    timeoutMs: upstream.timeoutMs,
    fetch: deps.fetch,
  });
  const shared = deps.shared ?? createSharedState(config.shared, observability.logger);
  const { responseCacheTtlMs, responseCacheMaxEntries } = config.shared;
  // An invalidation marker must outlive the slowest operation that could still store a stale result.
  const markerTtlMs = config.reliability.operationTimeoutMs + responseCacheTtlMs;
  const responseCache =
    responseCacheTtlMs > 0
      ? createResponseCache({
          ttlMs: responseCacheTtlMs,
          store: shared.redis
            ? createRedisCacheStore(shared.redis, { prefix: shared.keyPrefix, markerTtlMs })
            : createMemoryCacheStore({ maxEntries: responseCacheMaxEntries, markerTtlMs }),
        })
      : undefined;
  const live: LiveUpdates = new LiveUpdates({
    shared,
    clientFor: (credentials) => createClient(contextDeps, credentials),
    callerKey,
    pollMs: config.shared.pollMs,
    leaseMs: config.shared.leaseMs,
    maxPerToken: config.shared.maxSubscriptionsPerToken,
    maxTotal: config.shared.maxSubscriptions,
    pageSize: config.upstream.pageSize,
    logger: observability.logger,
    tracePoll: tracing?.tracePoll,
  });
  const contextDeps: ContextDeps = {
    config,
    ...deps,
    transport,
    v2: new V2Support(upstream.v2),
    retryPolicy,
    ...(deps.gate ?? breaker ? { gate: deps.gate ?? breaker } : {}),
    onUpstreamCall: onUpstreamCall
      ? (event) => {
          observability.onUpstreamCall(event);
          onUpstreamCall(event);
        }
      : observability.onUpstreamCall,
    callTracer: tracing?.calls,
    live,
    idempotency: shared.idempotency,
    async afterWrite(change) {
      live.publish(change);
      await responseCache?.invalidate(writeTags(change));
    },
    onCredentialsRefused(key) {
      void responseCache?.invalidate([callerTag(key)]);
      live.endCaller(key);
    },
  };
  return createYoga<Record<string, unknown>, ContextExtension>({
    schema: buildSchema(),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    landingPage: false,
    // useGraphiQLPage serves GraphiQL instead (compressed, cacheable, from node_modules: no CDN).
    graphiql: false,
    maskedErrors: { maskError },
    logging: observability.logging,
    context: (initial) => {
      let state = states.get(initial.request);
      if (!state) {
        // A WebSocket operation (see process/websocket.ts): it never went through onRequest.
        state = newRequestState(initial.request, trustedDocuments.identify(initial.request));
        states.set(initial.request, state);
      }
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
      useIncrementalDelivery(maskError),
      useRequestState(states, trustedDocuments.identify),
      ...(tracing ? [tracing.plugin] : []),
      ...(config.security.graphiql ? [useGraphiQLPage(graphiqlOptions({ demoToken: deps.demoToken }))] : []),
      // Before every other check of the document: an id becomes its document, an untrusted one goes no further.
      ...trustedDocuments.plugins,
      ...securityPlugins(config, shared),
      useRequireCredentials(),
      ...(responseCache ? [responseCache.plugin] : []),
      reliability.deadlines.plugin(),
      ...observability.plugins,
      {
        // gateway.dispose() (the server on shutdown, tests): streams end, leases go, Redis closes, upstream connections close.
        async onDispose() {
          if (!deps.manifests) manifests.close();
          await live.close();
          if (!deps.shared) await shared.close();
          await transport.close();
          // Last: the spans of whatever the steps above ended are exported too.
          await traceExport?.shutdown();
        },
      },
    ],
  });
}
