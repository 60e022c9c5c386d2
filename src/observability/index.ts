import type { Plugin, YogaLogger } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { RequestState } from './request-state.ts';
import type { CircuitBreaker } from '../reliability/breaker.ts';
import type { UpstreamCallEvent } from '../upstream/client.ts';
import type { RetryBudget } from '../upstream/retry.ts';
import type { FetchFn } from '../upstream/transport.ts';
import { loggerFor, yogaLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { useOperationLog } from './operation-log.ts';
import { useUpstreamReadiness } from './readiness.ts';

export interface ObservabilityDeps {
  baseUrl: string;
  requestState: (request: Request) => RequestState | undefined;
  breaker?: CircuitBreaker | undefined;
  /** The retry budget the gateway's requests share (its decisions are counted). */
  retryBudget?: RetryBudget | undefined;
  /** The process's logger; by default one is made from LOG_LEVEL, writing to stdout. */
  logger?: Logger | undefined;
  fetch?: FetchFn | undefined;
  isDraining?: (() => boolean) | undefined;
  /** Redis as this replica sees it: `off` (not configured), `ok` or `degraded`. */
  redisStatus?: (() => 'off' | 'ok' | 'degraded') | undefined;
  /** Live subscriptions of this replica, for the gauges. */
  liveSize?: (() => { subscribers: number; groups: number }) | undefined;
  /** Add prom-client's process metrics (RSS, event loop lag...): once per process, by the server. */
  processMetrics?: boolean | undefined;
  /** The registry to fill (the process serves it on its admin listener); by default one of this gateway's own. */
  registry?: Registry | undefined;
}

export interface Observability {
  logger: Logger;
  /** Yoga's `logging` option: its messages go through pino too. */
  logging: YogaLogger;
  /** `/ready`, `/metrics` and the per-operation log line (yoga serves `/health` itself). */
  plugins: Plugin[];
  /** Upstream metrics, then the caller's own listener if any. */
  onUpstreamCall: (event: UpstreamCallEvent) => void;
  /** Counts what became of one request's document, by client (see trusted-documents/). */
  onTrustedDocument: (client: string, outcome: string) => void;
}

/** Health, readiness, metrics and logging of one gateway. */
export function createObservability(config: Config, deps: ObservabilityDeps): Observability {
  const logger = deps.logger ?? loggerFor(config);
  const plugins: Plugin[] = [
    useUpstreamReadiness({
      baseUrl: deps.baseUrl,
      breaker: deps.breaker,
      fetch: deps.fetch,
      isDraining: deps.isDraining,
      redisStatus: deps.redisStatus,
    }),
    useOperationLog({ logger, requestState: deps.requestState }),
  ];
  let onUpstreamCall: (event: UpstreamCallEvent) => void = () => {};
  let onTrustedDocument: (client: string, outcome: string) => void = () => {};
  if (config.reliability.metricsEnabled) {
    const metrics = createMetrics({
      registry: deps.registry,
      // With an admin listener the public port has no /metrics: the process serves them on the admin port.
      endpoint: config.admin.port === undefined,
      breaker: deps.breaker,
      retryBudget: deps.retryBudget,
      processMetrics: deps.processMetrics ?? false,
      liveSize: deps.liveSize,
      clientOf: (request) => deps.requestState(request)?.client,
      trustedDocuments: config.trustedDocuments.mode !== 'off',
    });
    plugins.push(metrics.plugin);
    onUpstreamCall = metrics.onUpstreamCall;
    onTrustedDocument = metrics.onTrustedDocument;
  }
  deps.breaker?.observe((event) => {
    if (event.type !== 'state') return;
    const line = { breaker: event.to, from: event.from, windowCalls: event.calls, windowFailures: event.failures };
    if (event.to === 'open') logger.warn(line, 'circuit breaker opened: upstream calls fail fast');
    else logger.info(line, `circuit breaker ${event.to}`);
  });
  return { logger, logging: yogaLogger(logger), plugins, onUpstreamCall, onTrustedDocument };
}
