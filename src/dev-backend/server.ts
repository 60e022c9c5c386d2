import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE } from '@opentelemetry/semantic-conventions';
import { authenticate, readCredentials, type Credentials } from './auth.ts';
import type { RequestContext } from './context.ts';
import { HttpError, methodNotAllowed, notFound, serviceUnavailable } from './errors.ts';
import { Faults, NO_FAULTS, type FaultSettings } from './faults.ts';
import { Reply, readBody, requestUrl, sendJson } from './http.ts';
import { serveMedia } from './media.ts';
import { matchRoute, type RouteMatch } from './routes.ts';
import type { SeedOptions } from './seed.ts';
import { DevStore } from './store.ts';
import { isV2Path, v2ErrorBody } from './v2-http.ts';

export interface DevBackendOptions {
  /** SQLite file, or ':memory:'. A new file is seeded; an existing one is reused as is. */
  dbPath: string;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Used only when the database is new. */
  seed?: SeedOptions;
  latencyMs?: number;
  failRate?: number;
  /** Largest `page_size` honoured (default 1000); a larger one is capped silently, as in DRF. */
  maxPageSize?: number;
  /** Seed of the failure PRNG, so a fail-rate run is reproducible. Default 1. */
  failSeed?: number;
  /** Keep the `requests` log (tests count upstream calls with it). Default true; long-running servers turn it off. */
  recordRequests?: boolean;
  /** Serve the v2 routes (reviews, project tags, assignment detail). Default true; false answers them 404, as a backend without v2. */
  v2?: boolean;
  /** Traces every request as a SERVER span continuing the caller's `traceparent`, as Synapse's own tracing would. */
  tracer?: Tracer | undefined;
}

/** Most entries the request log keeps; past it the older half is dropped, so memory stays bounded. */
const MAX_RECORDED_REQUESTS = 100_000;

/** One request as the backend saw it. */
export interface RecordedRequest {
  method: string;
  /** Pathname, without the query. */
  path: string;
  query: Record<string, string>;
  /** The token after `Token `, from either auth header; null when none was sent. */
  token: string | null;
  /** The raw `Synapse-Tenant` header (recorded, not enforced). */
  tenant: string | null;
  /** The answer's status; 0 while unanswered, and for requests never answered. */
  status: number;
  /** The W3C `traceparent` header the caller sent, or null: how tests see the trace continue upstream. */
  traceparent: string | null;
}

export interface DevBackend {
  /** Base URL ending in '/', e.g. 'http://127.0.0.1:4010/'. */
  readonly url: string;
  readonly store: DevStore;
  /** Every request in arrival order, pushed as it starts. */
  readonly requests: RecordedRequest[];
  resetRequests(): void;
  /** Requests received since start; counted even when `requests` is not recorded (benchmarks). */
  readonly received: number;
  readonly inFlight: number;
  readonly peakInFlight: number;
  /** Restarts peak tracking from the current in-flight count. */
  resetPeak(): void;
  setFaults(faults: Partial<FaultSettings>): void;
  /** Stops listening, destroys open (including hanging) connections, closes the database. */
  close(): Promise<void>;
}

/** Starts a Synapse-compatible HITL API on loopback (by default) over a SQLite store. */
export async function createDevBackend(options: DevBackendOptions): Promise<DevBackend> {
  const store = DevStore.open(options.dbPath, options.seed);
  try {
    const faults = new Faults({ ...NO_FAULTS, latencyMs: options.latencyMs ?? 0, failRate: options.failRate ?? 0 }, options.failSeed ?? 1);
    const backend = new DevBackendServer(store, faults, {
      recording: options.recordRequests ?? true,
      maxPageSize: options.maxPageSize ?? 1000,
      v2: options.v2 ?? true,
      tracer: options.tracer,
    });
    await backend.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    return backend;
  } catch (error) {
    store.close();
    throw error;
  }
}

class DevBackendServer implements DevBackend {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private address = '';
  private active = 0;
  private peak = 0;
  private count = 0;
  private closing: Promise<void> | undefined;

  constructor(
    readonly store: DevStore,
    private readonly faults: Faults,
    private readonly options: { recording: boolean; maxPageSize: number; v2: boolean; tracer: Tracer | undefined },
  ) {
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  get url(): string {
    return `http://${this.address}/`;
  }

  get received(): number {
    return this.count;
  }

  get inFlight(): number {
    return this.active;
  }

  get peakInFlight(): number {
    return this.peak;
  }

  resetRequests(): void {
    // Emptied in place, so a test holding the array sees the reset.
    this.requests.length = 0;
  }

  resetPeak(): void {
    this.peak = this.active;
  }

  setFaults(faults: Partial<FaultSettings>): void {
    this.faults.update(faults);
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const { address, port: actualPort } = this.server.address() as AddressInfo;
        this.address = `${address.includes(':') ? `[${address}]` : address}:${actualPort}`;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      // Waiting requests give up first, so nothing touches the store once it is closed.
      this.faults.close();
      this.server.close(() => {
        this.store.close();
        resolve();
      });
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = requestUrl(request, this.address);
    const query = Object.fromEntries(url.searchParams);
    const credentials = readCredentials(request.headers);
    const { 'synapse-tenant': tenant, traceparent } = request.headers;
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query,
      token: credentials.kind === 'token' ? credentials.token : null,
      tenant: typeof tenant === 'string' ? tenant : null,
      status: 0,
      traceparent: typeof traceparent === 'string' ? traceparent : null,
    };
    if (this.options.recording) {
      if (this.requests.length >= MAX_RECORDED_REQUESTS) this.requests.splice(0, MAX_RECORDED_REQUESTS / 2);
      this.requests.push(record);
    }
    this.count++;
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    // Matched once: the span is named by the route, and dispatch answers by it.
    const route = matchRoute(url.pathname, { v2: this.options.v2 });
    const span = this.options.tracer && serverSpan(this.options.tracer, record.method, route?.shape, request.headers);
    response.once('close', () => {
      this.active--;
      if (span) endServerSpan(span, record.status);
    });
    // Media files come from a static file server in a real deployment: no latency or
    // failures are injected there, and no fault draw is used up, so fault runs stay as seeded.
    if (serveMedia(this.store, request, response, url.pathname)) {
      record.status = response.statusCode;
      return;
    }
    const fails = this.faults.drawFailure();
    const requestId = `req_${this.count.toString(16).padStart(8, '0')}`;
    const send = (status: number, body: unknown, headers?: Readonly<Record<string, string>>) => {
      // A client that gave up still had its request processed, as on a real server.
      if (response.destroyed) return;
      record.status = status;
      sendJson(response, status, body, headers);
    };
    try {
      const body = record.method === 'POST' ? await readBody(request) : undefined;
      await this.faults.delay();
      if (this.closing) return;
      if (fails) throw serviceUnavailable();
      if (body instanceof HttpError) throw body;
      const answer = this.dispatch(request, route, { url, query, body, credentials, requestId });
      if (answer instanceof Reply) send(answer.status, answer.body);
      else send(200, answer);
    } catch (error) {
      // After close, or a client gone mid-body, there is no one left to answer.
      if (this.closing || response.destroyed) return;
      if (error instanceof HttpError) {
        const v2 = this.options.v2 && isV2Path(url.pathname);
        return send(error.status, v2 ? v2ErrorBody(error, requestId) : error.body, error.headers);
      }
      console.error('dev-backend: unexpected error', error);
      send(500, { detail: 'A server error occurred.' });
    }
  }

  /** Route (404) → authenticate (401) → method (405) → handler, as Django and DRF order them. */
  private dispatch(
    request: IncomingMessage,
    route: RouteMatch | undefined,
    parts: Pick<RequestContext, 'url' | 'query' | 'body' | 'requestId'> & { credentials: Credentials },
  ): unknown {
    if (!route) throw notFound();
    const principal = authenticate(this.store, parts.credentials);
    const method = request.method ?? 'GET';
    const handler = route.methods[method];
    if (!handler) throw methodNotAllowed(method, Object.keys(route.methods));
    return handler({
      store: this.store,
      principal,
      url: parts.url,
      query: parts.query,
      pathId: route.pathIds[0],
      pathIds: route.pathIds,
      contentType: request.headers['content-type'],
      maxPageSize: this.options.maxPageSize,
      body: parts.body,
      requestId: parts.requestId,
      faults: this.faults,
    });
  }
}

const propagator = new W3CTraceContextPropagator();
const nodeHeaders: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};

/** The span of one request, a child of the caller's span when a `traceparent` came; named by the route's shape. */
function serverSpan(tracer: Tracer, method: string, shape: string | undefined, headers: IncomingHttpHeaders): Span {
  const parent = propagator.extract(ROOT_CONTEXT, headers, nodeHeaders);
  const route = shape === undefined ? undefined : `/${shape}`;
  return tracer.startSpan(
    route ? `${method} ${route}` : method,
    { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, ...(route ? { [ATTR_HTTP_ROUTE]: route } : {}) } },
    parent,
  );
}

/** Ends a request's span with its status (0: never answered); a 5xx is the server's error, as the conventions say. */
function endServerSpan(span: Span, status: number): void {
  if (status > 0) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  if (status === 0 || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
