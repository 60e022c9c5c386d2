import { hash } from 'node:crypto';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { getOperationAST, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { isAsyncIterable, mapAsyncIterator, shouldRenderGraphiQL, type Plugin, type PromiseOrValue } from 'graphql-yoga';
import type { TracingConfig } from '../config.ts';
import type { CallTracer, TracedCall } from '../upstream/client.ts';
import type { Logger } from './logger.ts';
import { errorCodesOf, isFault } from './operation-log.ts';
import { pathOf } from './readiness.ts';
import { sentClient, type RequestState } from './request-state.ts';

// The GraphQL and `url.template` conventions are still "development": copied here rather than
// taken from the package's incubating entry, which may change them in a minor release.
const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name';
const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';
const ATTR_URL_TEMPLATE = 'url.template';
// No convention names these: `graphql.*` for what a GraphQL server knows, `synapse.*` for ours.
const ATTR_DOCUMENT_HASH = 'graphql.document.hash';
const ATTR_CLIENT_NAME = 'graphql.client.name';
const ATTR_CLIENT_VERSION = 'graphql.client.version';
const ATTR_OUTCOME = 'synapse.outcome';
const ATTR_ERROR_CODES = 'synapse.error_codes';
const ATTR_REQUEST_ID = 'synapse.request_id';
const ATTR_UPSTREAM_REQUESTS = 'synapse.upstream.requests';
const ATTR_UPSTREAM_RETRIES = 'synapse.upstream.retries';

/** The span name while the operation type is unknown (a parse failure, an HTTP refusal), as the conventions say. */
const UNKNOWN_OPERATION = 'GraphQL Operation';
/** Longest client name or version kept: they are whatever a caller sends. */
const MAX_CLIENT_FIELD = 128;
/**
 * Query parameters the gateway itself sets, v1's and v2's, shown in `url.full`; every other
 * value (a caller's filter, an assignment or a cursor a caller named) is `REDACTED`.
 */
const SHOWN_QUERY_PARAMETERS = new Set(['page', 'page_size', 'ordering', 'replace', 'notify', 'per_page', 'sort', 'fields', 'dry_run']);

/** One W3C trace-context propagator: stateless, so shared by every gateway of the process. */
const propagator = new W3CTraceContextPropagator();

const requestHeaders: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

/** A started OpenTelemetry SDK: one tracer provider sending its spans over OTLP/HTTP in batches. */
export interface TraceExport {
  readonly tracer: Tracer;
  /** Sends what is queued, then stops (the gateway or backend is going away). */
  shutdown(): Promise<void>;
}

let contextManager: AsyncLocalStorageContextManager | undefined;

/**
 * The process's context manager, registered once by the first SDK started: it is what makes
 * an operation's span the parent of every upstream call and log line made for it. Never
 * unregistered (another tracing gateway of the process may rely on it); without an active
 * span it costs nothing.
 */
function registerContextManager(): void {
  if (contextManager) return;
  contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
}

/**
 * Starts the SDK when an OTLP endpoint is configured; undefined otherwise, so nothing of
 * it runs. Spans wait in a bounded queue and go out in batches in the background: an
 * export never delays a request, and a full queue drops spans rather than grow.
 */
export function startTraceExport(config: TracingConfig, logger: Logger, serviceName = config.serviceName): TraceExport | undefined {
  if (config.endpoint === undefined) return undefined;
  registerContextManager();
  const Exporter = config.protocol === 'http/json' ? JsonTraceExporter : ProtobufTraceExporter;
  const exporter = reportingFailures(
    new Exporter({ url: config.endpoint, headers: config.headers, timeoutMillis: config.timeoutMs }),
    logger.child({ component: 'traces' }),
  );
  const provider = new TracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ ...config.resourceAttributes, [ATTR_SERVICE_NAME]: serviceName })),
    sampler: samplerOf(config),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: config.batch.scheduleDelayMs,
        exportTimeoutMillis: config.batch.exportTimeoutMs,
        maxQueueSize: config.batch.maxQueueSize,
        maxExportBatchSize: config.batch.maxExportBatchSize,
      }),
    ],
  });
  return {
    tracer: provider.getTracer('synapse-gateway'),
    // A collector that does not answer must not hold the process at exit: its failure was already reported.
    shutdown: () => within(provider.shutdown(), SHUTDOWN_FLUSH_MS).catch(() => undefined),
  };
}

/** Longest wait at shutdown for the last spans to leave. */
const SHUTDOWN_FLUSH_MS = 3_000;

/** `promise`, or nothing once `ms` have passed (the timer never keeps the process alive). */
function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

/** OTEL_TRACES_SAMPLER as the specification defines each name. */
function samplerOf({ sampler, samplerRatio }: TracingConfig): Sampler {
  switch (sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(samplerRatio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(samplerRatio) });
  }
}

/**
 * The exporter, with one warning when exports start failing and one line when they work
 * again (as for Redis): the OpenTelemetry SDK itself says nothing unless a diagnostic
 * logger is installed, so lost traces would go unnoticed.
 */
function reportingFailures(exporter: SpanExporter, logger: Logger): SpanExporter {
  let failing = false;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        if (result.code === ExportResultCode.FAILED) {
          if (!failing) logger.warn({ spans: spans.length, reason: result.error?.message }, 'trace export failed: spans are dropped until the collector answers');
          failing = true;
        } else if (failing) {
          failing = false;
          logger.info('trace export works again');
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/** What a gateway traces with: its operations, their upstream calls, and the live pollers. */
export interface Tracing {
  /** One SERVER span per GraphQL operation, active while it runs. */
  plugin: Plugin;
  /** CLIENT spans of upstream calls (the client's seam). */
  calls: CallTracer;
  /** Runs one live-update poll in a span of its own: a root, since a poll serves every subscriber of its group. */
  tracePoll<T>(poll: () => Promise<T>): Promise<T>;
}

/** The gateway's spans on `tracer` (see startTraceExport). */
export function createTracing(
  tracer: Tracer,
  options: { graphqlEndpoint: string; requestState: (request: Request) => RequestState | undefined },
): Tracing {
  return {
    plugin: useOperationSpans(tracer, options),
    calls: upstreamCallTracer(tracer),
    tracePoll(poll) {
      const span = tracer.startSpan('assignmentUpdated poll', { kind: SpanKind.INTERNAL }, ROOT_CONTEXT);
      return context.with(trace.setSpan(ROOT_CONTEXT, span), poll).then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
          throw error;
        },
      );
    },
  };
}

/** How an operation ended, as `synapse.outcome` says it. */
type Outcome = 'ok' | 'partial' | 'refused' | 'failed';

/** One operation's span and what its answer said, until the answer is sent (or its stream ends). */
class OperationSpan {
  streaming = false;
  status = 0;
  private readonly codes = new Set<string>();
  private data = false;
  private ended = false;
  private hashed: string | undefined;

  constructor(
    readonly span: Span,
    readonly recording: boolean,
    /** Began with its execution (a WebSocket operation): no HTTP request or response of its own. */
    readonly websocket: boolean,
  ) {}

  /** Names the span by the operation's type, and records its name, once the document is known. */
  name(document: DocumentNode, operationName: string | null | undefined): void {
    if (!this.recording) return;
    const definition = getOperationAST(document, operationName);
    if (!definition) return;
    this.span.updateName(definition.operation);
    this.span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, definition.operation);
    if (definition.name) this.span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, definition.name.value);
  }

  /** Records the hash of the document's text (never the text), hashing the same text once. */
  document(text: string): void {
    if (!this.recording || text === this.hashed) return;
    this.hashed = text;
    this.span.setAttribute(ATTR_DOCUMENT_HASH, `sha256:${hash('sha256', text, 'hex')}`);
  }

  /** Notes one result (or one part of a stream): its error codes, whether it carried data. */
  observe(result: ExecutionResult): void {
    if (!this.recording) return;
    if (result.data) this.data = true;
    for (const code of errorCodesOf(result)) this.codes.add(code);
  }

  end(state: RequestState | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (this.recording) {
      const codes = [...this.codes];
      const fault = this.status >= 500 || codes.some(isFault);
      const outcome: Outcome = codes.length === 0 ? 'ok' : fault ? 'failed' : this.data ? 'partial' : 'refused';
      const attributes: Attributes = { [ATTR_OUTCOME]: outcome };
      if (!this.websocket) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = this.status;
      if (codes.length > 0) attributes[ATTR_ERROR_CODES] = codes;
      if (state) {
        attributes[ATTR_REQUEST_ID] = state.requestId;
        attributes[ATTR_UPSTREAM_REQUESTS] = state.stats.requests;
        attributes[ATTR_UPSTREAM_RETRIES] = state.stats.retries;
      }
      // A refusal is the caller's business (the conventions keep 4xx off a server span's status).
      if (fault) {
        attributes[ATTR_ERROR_TYPE] = codes.find(isFault) ?? String(this.status);
        this.span.setStatus({ code: SpanStatusCode.ERROR });
      }
      this.span.setAttributes(attributes);
    }
    this.span.end();
  }
}

/**
 * One SERVER span per GraphQL request to the endpoint, started before yoga's own hooks and
 * active while they and the operation run (yoga's `request` instrumentation), so upstream
 * calls and log lines are its children. Named by the operation type as the GraphQL
 * conventions say; the operation name, the document's hash (never its text), the client's
 * name and version, the outcome and the error codes are attributes. Variables and headers
 * other than those two are never read. A caller's `traceparent` is continued.
 */
function useOperationSpans(
  tracer: Tracer,
  options: { graphqlEndpoint: string; requestState: (request: Request) => RequestState | undefined },
): Plugin {
  const spans = new WeakMap<Request, OperationSpan>();
  /** Starts the operation's span, a child of the caller's `traceparent` if any, and runs the rest in it. */
  const begin = <T>(request: Request, attributes: Attributes, websocket: boolean, run: () => T): T => {
    const parent = propagator.extract(ROOT_CONTEXT, request.headers, requestHeaders);
    const span = tracer.startSpan(UNKNOWN_OPERATION, { kind: SpanKind.SERVER }, parent);
    const recording = span.isRecording();
    if (recording) span.setAttributes(attributes);
    spans.set(request, new OperationSpan(span, recording, websocket));
    return context.with(trace.setSpan(parent, span), run);
  };
  // A WebSocket operation (process/websocket.ts) never passes through yoga's request handling:
  // its span starts with its execution and ends with its result, or with its stream.
  const beginUnlessTraced = ({ context: ctx }: { context: { request?: Request } }, wrapped: () => PromiseOrValue<void>) => {
    const { request } = ctx;
    if (!request || spans.has(request)) return wrapped();
    return begin(request, clientAttributes(request), true, wrapped);
  };
  const webSocketResult = (args: ExecutionArgs) => {
    const { request } = args.contextValue as { request?: Request };
    const operation = request && spans.get(request);
    if (!request || !operation?.websocket) return undefined;
    operation.name(args.document, args.operationName);
    const end = () => operation.end(options.requestState(request));
    return ({ result }: { result: ExecutionResult | AsyncIterable<ExecutionResult> }) => {
      if (isAsyncIterable(result)) return { onNext: ({ result: part }: { result: ExecutionResult }) => operation.observe(part), onEnd: end };
      operation.observe(result);
      end();
      return undefined;
    };
  };
  return {
    instrumentation: {
      request({ request }, wrapped) {
        if (!isOperationRequest(request, options.graphqlEndpoint)) return wrapped();
        return begin(request, requestAttributes(request, options.graphqlEndpoint), false, wrapped);
      },
      execute: beginUnlessTraced,
      subscribe: beginUnlessTraced,
    },
    // The text sent is hashed as soon as it is read, so a document the trusted-documents gate
    // refuses has its hash too; one sent by id alone has no text until the gate (a later plugin's
    // onParams) puts it in, so it is hashed when parsed.
    onParams({ request, params }) {
      if (params.query) spans.get(request)?.document(params.query);
    },
    onParse({ context: ctx, params }) {
      const { request } = ctx as { request?: Request };
      if (request) spans.get(request)?.document(typeof params.source === 'string' ? params.source : params.source.body);
    },
    onValidate({ context: ctx, params }) {
      const { request, params: requested } = ctx as { request?: Request; params?: { operationName?: string | null } };
      // Named before validation, so a document refused by a limit still has its type.
      if (request) spans.get(request)?.name(params.documentAST, requested?.operationName);
    },
    onExecute({ args }) {
      const onExecuteDone = webSocketResult(args);
      return onExecuteDone && { onExecuteDone };
    },
    onSubscribe({ args }) {
      const onSubscribeResult = webSocketResult(args);
      return onSubscribeResult && { onSubscribeResult };
    },
    onResultProcess({ request, result, setResult }) {
      const operation = spans.get(request);
      if (!operation) return;
      if (isAsyncIterable(result)) {
        // A stream (@defer, @stream, a subscription) ends when its last part is sent or its client goes.
        operation.streaming = true;
        const end = () => operation.end(options.requestState(request));
        setResult(
          mapAsyncIterator(
            result,
            (part) => {
              operation.observe(part);
              return part;
            },
            (error: unknown) => {
              end();
              throw error;
            },
            end,
          ),
        );
        return;
      }
      for (const single of Array.isArray(result) ? result : [result]) operation.observe(single);
    },
    onResponse({ request, response }) {
      const operation = spans.get(request);
      if (!operation) return;
      operation.status = response.status;
      if (!operation.streaming) operation.end(options.requestState(request));
    },
  };
}

/** A GraphQL request, as opposed to GraphiQL's page, a preflight, `/health` or `/metrics`. */
function isOperationRequest(request: Request, endpoint: string): boolean {
  if (request.method !== 'GET' && request.method !== 'POST') return false;
  return pathOf(request.url) === endpoint && !shouldRenderGraphiQL(request);
}

/** An HTTP request's own attributes: method and route (the endpoint it was sent to), and the client's. */
function requestAttributes(request: Request, endpoint: string): Attributes {
  return { [ATTR_HTTP_REQUEST_METHOD]: request.method, [ATTR_HTTP_ROUTE]: endpoint, ...clientAttributes(request) };
}

/** The client's name and version as its headers send them, cut to a bound. */
function clientAttributes(request: Request): Attributes {
  const attributes: Attributes = {};
  const { name, version } = sentClient(request, MAX_CLIENT_FIELD);
  if (name) attributes[ATTR_CLIENT_NAME] = name;
  if (version) attributes[ATTR_CLIENT_VERSION] = version;
  return attributes;
}

/**
 * CLIENT spans of upstream calls, children of whatever span is active (the operation's,
 * or a poll's), each sending a `traceparent` of its own so Synapse's spans join the trace.
 * Named `GET /sdk/assignments/`: the route's shape, never an id or a query value.
 */
function upstreamCallTracer(tracer: Tracer): CallTracer {
  const servers = new Map<string, Attributes>();
  const serverOf = (origin: string): Attributes => {
    let attributes = servers.get(origin);
    if (!attributes) {
      const url = new URL(origin);
      attributes = { [ATTR_SERVER_ADDRESS]: url.hostname, [ATTR_SERVER_PORT]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
      servers.set(origin, attributes);
    }
    return attributes;
  };
  return {
    start(call, headers): TracedCall {
      const parent = context.active();
      const span = tracer.startSpan(`${call.method} /${call.route}`, { kind: SpanKind.CLIENT }, parent);
      if (span.isRecording()) {
        span.setAttributes({
          ...serverOf(call.origin),
          [ATTR_HTTP_REQUEST_METHOD]: call.method,
          [ATTR_URL_TEMPLATE]: `/${call.route}`,
          [ATTR_URL_FULL]: redactedUrl(call.origin, call.path),
          ...(call.attempt > 0 ? { [ATTR_HTTP_REQUEST_RESEND_COUNT]: call.attempt } : {}),
        });
      }
      const carrier = { ...headers };
      propagator.inject(trace.setSpan(parent, span), carrier, defaultTextMapSetter);
      return {
        headers: carrier,
        end(status, failure) {
          if (span.isRecording()) {
            if (status !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
            // A client span's error is any answer but 2xx, or none (the conventions' `_OTHER`).
            if (failure !== undefined) {
              span.setAttribute(ATTR_ERROR_TYPE, status === null ? '_OTHER' : String(status));
              span.setStatus({ code: SpanStatusCode.ERROR, message: failure });
            }
          }
          span.end();
        },
      };
    },
    event(name, call) {
      const span = trace.getSpan(context.active());
      if (!span?.isRecording()) return;
      span.addEvent(name, {
        [ATTR_HTTP_REQUEST_METHOD]: call.method,
        [ATTR_URL_TEMPLATE]: `/${call.route}`,
        'synapse.upstream.attempt': call.attempt,
        ...(call.status == null ? {} : { [ATTR_HTTP_RESPONSE_STATUS_CODE]: call.status }),
        ...(call.delayMs === undefined ? {} : { 'synapse.upstream.delay_ms': call.delayMs }),
      });
    },
  };
}

/**
 * `url.full` with every query value a caller chose (a filter, a search) replaced by
 * `REDACTED`, as the URL conventions allow: the page asked is useful, a caller's values
 * are not ours to ship. The token is never in a URL.
 */
function redactedUrl(origin: string, path: string): string {
  const at = path.indexOf('?');
  if (at === -1) return origin + path;
  const query = new URLSearchParams(
    [...new URLSearchParams(path.slice(at + 1))].map(([key, value]) => [key, SHOWN_QUERY_PARAMETERS.has(key) ? value : 'REDACTED']),
  );
  return `${origin}${path.slice(0, at)}?${query}`;
}
