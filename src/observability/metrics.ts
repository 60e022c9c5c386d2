import { createHistogram, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BREAKER_STATE_VALUE, type CircuitBreaker } from '../reliability/breaker.ts';
import type { UpstreamCallEvent } from '../upstream/client.ts';
import type { RetryBudget, RetryBudgetOutcome } from '../upstream/retry.ts';
import { UNKNOWN_CLIENT, type ClientLabels } from './request-state.ts';

export interface Metrics {
  registry: Registry;
  plugin: Plugin;
  /** Feeds the upstream series from the client's per-exchange events. */
  onUpstreamCall: (event: UpstreamCallEvent) => void;
  /** Counts what became of one request's document: `synapse_trusted_documents_total{client,outcome}`. */
  onTrustedDocument: (client: string, outcome: string) => void;
}

/** Latency buckets (s) for upstream calls: loopback ms up to the 15 s default timeout. */
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];

/**
 * The GraphQL series kept: requests (count and duration), execution time, errors by
 * phase, and HTTP duration. Left out, since each costs work on every request for
 * what another series or the schema already says: `deprecated_field` (walks every
 * document with a TypeInfo; the schema deprecates nothing), `request` (the duration
 * histogram's `_count`), `request_time_summary` (a summary per request duplicates
 * the histogram and cannot be aggregated across replicas), and the parse, validate
 * and context phases (parse and validation hit yoga's caches; context does no I/O).
 * The request duration histogram is made in createMetrics, labelled by client.
 */
const GRAPHQL_METRICS = {
  graphql_envelop_deprecated_field: false,
  graphql_envelop_request: false,
  graphql_envelop_request_time_summary: false,
  graphql_envelop_phase_parse: false,
  graphql_envelop_phase_validate: false,
  graphql_envelop_phase_context: false,
  graphql_envelop_phase_execute: true,
  graphql_envelop_error_result: true,
  graphql_envelop_schema_change: true,
  graphql_yoga_http_duration: true,
} as const;

/**
 * Prometheus `/metrics` of one gateway, in a registry of its own (tests build many
 * gateways in one process; the global registry would refuse the second). GraphQL
 * series come from the yoga plugin; the upstream and breaker series are ours. Label
 * values are route shapes, methods, statuses and breaker states: never an id, a URL
 * or a token. The yoga HTTP histogram's `url` label is off for the same reason.
 */
export function createMetrics(options: {
  /** By default a registry of this gateway's own. */
  registry?: Registry | undefined;
  /** Serve them on the gateway's `/metrics` (false: the process serves the registry on its admin listener). */
  endpoint?: boolean;
  breaker?: CircuitBreaker | undefined;
  retryBudget?: RetryBudget | undefined;
  processMetrics?: boolean;
  liveSize?: (() => { subscribers: number; groups: number }) | undefined;
  /** The request's client, labelling the operation series. */
  clientOf?: (request: Request) => ClientLabels | undefined;
  /** Create the trusted documents' series (TRUSTED_DOCUMENTS is not `off`). */
  trustedDocuments?: boolean;
}): Metrics {
  const registry = options.registry ?? new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  // Every upstream call is counted in a plain tally, found by a short key; the counter
  // reads the tallies when scraped. prom-client validates and hashes a label object
  // on every inc, and this runs for every call. (Its histogram has no such way in.)
  type Labels = 'method' | 'route' | 'status';
  const tallies = new Map<string, { labels: Record<Labels, string>; count: number; duration: Histogram.Internal<Labels> }>();
  new Counter({
    name: 'synapse_upstream_requests_total',
    help: 'HTTP requests sent to the Synapse backend, by method, route shape and status ("none": no answer).',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const tally of tallies.values()) this.inc(tally.labels, tally.count);
    },
  });
  const duration = new Histogram({
    name: 'synapse_upstream_request_duration_seconds',
    help: 'Duration of HTTP requests to the Synapse backend, by method, route shape and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: UPSTREAM_BUCKETS,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'synapse_upstream_retries_total',
    help: 'Requests to the Synapse backend that were retries of a failed GET, by route shape.',
    labelNames: ['method', 'route'] as const,
    registers: [registry],
  });
  const tallyOf = (event: UpstreamCallEvent) => {
    const status = event.status === null ? 'none' : String(event.status);
    const key = `${event.method} ${event.route} ${status}`;
    let tally = tallies.get(key);
    if (!tally) {
      const labels = { method: event.method, route: event.route, status };
      tally = { labels, count: 0, duration: duration.labels(labels) };
      tallies.set(key, tally);
    }
    return tally;
  };
  const liveSize = options.liveSize;
  if (liveSize) {
    new Gauge({
      name: 'synapse_live_subscriptions',
      help: 'Live subscriptions (assignmentUpdated streams) open on this replica.',
      registers: [registry],
      collect() {
        this.set(liveSize().subscribers);
      },
    });
    new Gauge({
      name: 'synapse_live_groups',
      help: 'Distinct (caller, filter) groups of live subscriptions on this replica; each has one poller across all replicas.',
      registers: [registry],
      collect() {
        this.set(liveSize().groups);
      },
    });
  }
  const retryBudget = options.retryBudget;
  if (retryBudget) {
    const decisions = new Counter({
      name: 'synapse_upstream_retry_budget_total',
      help: 'Retries of failed GETs asked of the shared retry budget, by outcome ("granted" or "refused").',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    // Both series exist from the start: "refused 0" is an answer, a missing series is not.
    for (const outcome of ['granted', 'refused'] satisfies RetryBudgetOutcome[]) decisions.inc({ outcome }, 0);
    retryBudget.observe((outcome) => decisions.inc({ outcome }));
  }
  // Children by (client, outcome): labels() validates and hashes its object on every call, this runs per request.
  const documents = new Map<string, Counter.Internal>();
  const documentCounter = options.trustedDocuments
    ? new Counter({
        name: 'synapse_trusted_documents_total',
        help: 'GraphQL documents by client name and what became of them: trusted (in a manifest), unknown (in none, ran in log mode), refused, bypassed (operator header), exempt (GraphiQL or introspection outside production).',
        labelNames: ['client', 'outcome'] as const,
        registers: [registry],
      })
    : undefined;
  // "unknown 0" is what a team watches before enforcing: the series exists from the start.
  for (const outcome of ['unknown', 'refused']) documentCounter?.inc({ client: UNKNOWN_CLIENT.name, outcome }, 0);
  const clientOf = options.clientOf;
  const breaker = options.breaker;
  if (breaker) {
    new Gauge({
      name: 'synapse_circuit_breaker_state',
      help: 'Circuit breaker of the Synapse backend: 0 closed, 1 half-open, 2 open.',
      registers: [registry],
      collect() {
        this.set(BREAKER_STATE_VALUE[breaker.state]);
      },
    });
    const transitions = new Counter({
      name: 'synapse_circuit_breaker_transitions_total',
      help: 'Circuit breaker state changes, by the state entered.',
      labelNames: ['to'] as const,
      registers: [registry],
    });
    const rejected = new Counter({
      name: 'synapse_circuit_breaker_rejected_total',
      help: 'Upstream calls refused at once because the circuit was open.',
      registers: [registry],
    });
    breaker.observe((event) => {
      if (event.type === 'state') transitions.inc({ to: event.to });
      else rejected.inc();
    });
  }

  return {
    registry,
    plugin: usePrometheus({
      endpoint: options.endpoint === false ? false : '/metrics',
      registry,
      // Request URLs carry GET queries and variables: unbounded label values.
      labels: { url: false },
      metrics: {
        ...GRAPHQL_METRICS,
        // Operations by the frontend build that sent them: the client labels are bounded (request-state.ts).
        graphql_envelop_request_duration: createHistogram({
          registry,
          histogram: {
            name: 'graphql_envelop_request_duration',
            help: 'Time spent on running the GraphQL operation from parse to execute, by operation and client',
            labelNames: ['operationType', 'operationName', 'clientName', 'clientVersion'] as const,
          },
          fillLabelsFn: (params, context: { request?: Request }) => {
            const client = (context.request && clientOf?.(context.request)) || UNKNOWN_CLIENT;
            return {
              operationType: params.operationType ?? 'unknown',
              operationName: params.operationName ?? 'Anonymous',
              clientName: client.name,
              clientVersion: client.version,
            };
          },
        }),
      },
    }),
    onTrustedDocument(client, outcome) {
      if (!documentCounter) return;
      const key = `${client}\u0000${outcome}`;
      let child = documents.get(key);
      if (!child) documents.set(key, (child = documentCounter.labels({ client, outcome })));
      child.inc();
    },
    onUpstreamCall(event) {
      const tally = tallyOf(event);
      tally.count++;
      tally.duration.observe(event.ms / 1000);
      if (event.attempt > 0) retries.labels(event.method, event.route).inc();
    },
  };
}
