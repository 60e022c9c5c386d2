import type { UpstreamConfig } from '../config.ts';
import { UpstreamError, errorFromResponse, unavailableError } from './errors.ts';
import { backoffDelay, defaultRetryPolicy, type RetryPolicy } from './retry.ts';
import { isCallTimeout, type Transport } from './transport.ts';
import { V2Support, readV2Detail, readV2List, type V2Page } from './v2.ts';
import {
  ROUTES,
  routePath,
  type RouteShape,
  type WireAssignment,
  type WireAssignmentFilter,
  type WireAssignmentV2,
  type WireDryRun,
  type WireOrdering,
  type WirePage,
  type WireReview,
  type WireReviewCreate,
  type WireReviewItem,
  type WireSetTagsAction,
  type WireSetTagsResult,
  type WireTag,
  type WireTagCreate,
  type WireTagV2,
} from '../contract/index.ts';

type Method = 'GET' | 'POST' | 'DELETE';

/** The caller's own credentials, forwarded on every upstream call made for them. */
export interface Credentials {
  token: string;
  tenant?: string | undefined;
}

/** What one GraphQL operation cost upstream; shown to clients in `extensions.upstream`. */
export class UpstreamStats {
  requests = 0;
  retries = 0;
  writes = 0;
  /** Wall-clock ms during which at least one upstream call was in flight. */
  ms = 0;
  private inFlight = 0;
  private busySince = 0;

  begin(): void {
    if (this.inFlight++ === 0) this.busySince = performance.now();
  }

  end(): void {
    if (--this.inFlight === 0) this.ms += performance.now() - this.busySince;
  }

  toJSON(): { requests: number; retries: number; writes: number; ms: number } {
    return { requests: this.requests, retries: this.retries, writes: this.writes, ms: Math.round(this.ms) };
  }
}

/** One finished HTTP exchange, for metrics and logs (never carries the token). */
export interface UpstreamCallEvent {
  method: Method;
  route: RouteShape;
  /** HTTP status, or null when no answer came (timeout, reset). */
  status: number | null;
  ms: number;
  attempt: number;
}

/** Shared per-upstream gate (the circuit breaker); the client asks it before each call. */
export interface CallGate {
  /** Throws an UpstreamError at once when calls must not go out. */
  assertCanCall(): void;
  recordSuccess(): void;
  recordFailure(): void;
}

/**
 * Traces upstream calls (OpenTelemetry; observability/tracing.ts implements it). Given
 * only when tracing is on: a gateway without it makes no span and copies no header.
 */
export interface CallTracer {
  /** Starts the span of one HTTP exchange; the call sends the headers it returns (its own `traceparent` added). */
  start(call: TracedCallInfo, headers: Record<string, string>): TracedCall;
  /** Records on the operation's span what happened between exchanges: a retry planned, a breaker or budget refusal. */
  event(name: UpstreamTraceEvent, call: TracedCallInfo & { status?: number | null; delayMs?: number }): void;
}

/** One upstream exchange as a span shows it: never the token, which travels in a header. */
export interface TracedCallInfo {
  method: Method;
  route: RouteShape;
  origin: string;
  /** Absolute path with its query. */
  path: string;
  /** 0 for the first attempt, 1 for the first retry... */
  attempt: number;
}

/** The span of one exchange, ended once with its answer. */
export interface TracedCall {
  headers: Record<string, string>;
  /** `status` null: no answer came; `failure`: the reason we give the caller (our wording, never the upstream body). */
  end(status: number | null, failure?: string): void;
}

/** What happens to a call outside any exchange, recorded as span events. */
export type UpstreamTraceEvent = 'upstream.retry' | 'upstream.retry_budget_refused' | 'upstream.circuit_open';

export interface SynapseClientOptions {
  config: UpstreamConfig & { baseUrl: string };
  credentials: Credentials;
  /** The HTTP library behind the client (shared by every client of a gateway). */
  transport: Transport;
  /** Aborts every call of this client: the operation's deadline or the client going away. */
  signal?: AbortSignal;
  /** `performance.now()` at which the operation's deadline passes: no retry is planned beyond it. */
  deadlineAt?: number;
  stats?: UpstreamStats;
  retryPolicy?: RetryPolicy;
  gate?: CallGate;
  onCall?: (event: UpstreamCallEvent) => void;
  /** Spans of this client's calls; absent when tracing is off. */
  tracer?: CallTracer;
  /** The upstream answered 401: these credentials no longer work (caches and streams of the caller must end). */
  onUnauthenticated?: () => void;
  /** Whether the backend serves v2, shared by the gateway's clients; by default from `config.v2`, this client's own. */
  v2?: V2Support;
}

/** How `set_tags` changes the listed assignments' tags. */
export type SetTagsMode = WireSetTagsAction;

export interface PageRequest {
  page?: number;
  pageSize?: number;
  ordering?: WireOrdering;
}

/** One page of a streamed listing, with the total the first page reported. */
export interface StreamedPage {
  page: number;
  count: number;
  results: WireAssignment[];
}

/** Outcome per id of `getAssignmentsByIds`. */
export type AssignmentResult = WireAssignment | UpstreamError;

/**
 * The only code that speaks HTTP to Synapse. Built per GraphQL request with that
 * caller's credentials, so nothing it holds can reach another caller.
 */
export class SynapseClient {
  readonly stats: UpstreamStats;
  private readonly config: UpstreamConfig & { baseUrl: string };
  private readonly transport: Transport;
  private readonly origin: string;
  /** The base URL's path (ends in `/`): every route is relative to it. */
  private readonly basePath: string;
  /** The caller's headers, built once: every call of this client sends them. */
  private readonly getHeaders: Record<string, string>;
  private readonly postHeaders: Record<string, string>;
  private readonly signal: AbortSignal | undefined;
  private readonly deadlineAt: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly gate: CallGate | undefined;
  private readonly onCall: ((event: UpstreamCallEvent) => void) | undefined;
  private readonly tracer: CallTracer | undefined;
  private readonly onUnauthenticated: (() => void) | undefined;
  /** Caps this operation's calls in flight, whatever mix of methods issues them. */
  private readonly slots: CallSlots;
  /** The caller's headers on v2 calls, in the form SYNAPSE_API_V2_AUTH names. */
  private readonly v2Headers: { get: Record<string, string>; post: Record<string, string> };
  private readonly v2: V2Support;
  /** This operation's check of an unknown v2: made once, awaited by every v2 call of it. */
  private v2Check: Promise<void> | undefined;

  constructor(options: SynapseClientOptions) {
    this.config = options.config;
    this.transport = options.transport;
    const base = new URL(options.config.baseUrl);
    this.origin = base.origin;
    this.basePath = base.pathname;
    this.getHeaders = { accept: 'application/json', authorization: `Token ${options.credentials.token}` };
    if (options.credentials.tenant) this.getHeaders['synapse-tenant'] = options.credentials.tenant;
    this.postHeaders = { ...this.getHeaders, 'content-type': 'application/json' };
    this.signal = options.signal;
    this.deadlineAt = options.deadlineAt ?? Number.POSITIVE_INFINITY;
    this.stats = options.stats ?? new UpstreamStats();
    this.retryPolicy = options.retryPolicy ?? defaultRetryPolicy(options.config.retries);
    this.gate = options.gate;
    this.onCall = options.onCall;
    this.tracer = options.tracer;
    this.onUnauthenticated = options.onUnauthenticated;
    this.slots = new CallSlots(options.config.concurrency);
    this.v2 = options.v2 ?? new V2Support(options.config.v2);
    const v2Get = v2CredentialHeaders(options.credentials, options.config.v2.auth);
    this.v2Headers = { get: v2Get, post: { ...v2Get, 'content-type': 'application/json' } };
  }

  /** `GET assignments/{id}/` */
  async getAssignment(id: number): Promise<WireAssignment> {
    return this.getJson<WireAssignment>(routePath(ROUTES.assignment, id), ROUTES.assignment);
  }

  /** `GET sdk/assignments/`: one page. */
  async listAssignments(filter: WireAssignmentFilter, request: PageRequest = {}): Promise<WirePage<WireAssignment>> {
    const query = toQuery(filter, {
      page: request.page ?? 1,
      pageSize: request.pageSize ?? this.config.pageSize,
      ordering: request.ordering,
    });
    return this.getJson<WirePage<WireAssignment>>(`${ROUTES.assignments}?${query}`, ROUTES.assignments);
  }

  /**
   * Every page of a listing, asked SYNAPSE_STREAM_PAGE_SIZE rows at a time. The first
   * page gives the count and the page size the backend honours (DRF caps `page_size`
   * silently: the rows that came are what counts, not the size asked); the rest are
   * fetched at that size concurrently (at most SYNAPSE_CONCURRENCY in flight) and
   * yielded as they arrive, so memory holds at most that many pages whatever the
   * total. Any page that still fails after its retries, or comes back short before
   * the end, fails the whole stream: no answer from partial data.
   */
  async *streamAssignments(
    filter: WireAssignmentFilter,
    options: { ordering?: WireOrdering; pageSize?: number } = {},
  ): AsyncGenerator<StreamedPage> {
    const asked = options.pageSize ?? this.config.streamPageSize;
    const first = await this.listAssignments(filter, { page: 1, pageSize: asked, ordering: options.ordering });
    const count = first.count;
    const { pageSize, lastPage } = pagingAfterFirst(asked, first.results.length, count);
    yield { page: 1, count, results: first.results };
    let nextPage = 2;
    const inFlight = new Map<number, Promise<{ n: number; page: WirePage<WireAssignment> }>>();
    const launch = () => {
      while (inFlight.size < this.config.concurrency && nextPage <= lastPage) {
        const n = nextPage++;
        inFlight.set(
          n,
          this.listAssignments(filter, { page: n, pageSize, ordering: options.ordering }).then((page) => {
            assertFullPage(page.results.length, n, pageSize, count);
            return { n, page };
          }),
        );
      }
    };
    try {
      launch();
      while (inFlight.size > 0) {
        const { n, page } = await Promise.race(inFlight.values());
        inFlight.delete(n);
        launch();
        yield { page: n, count, results: page.results };
      }
    } finally {
      // A consumer that stops early (or a failed page) must not leave rejections unobserved.
      for (const pending of inFlight.values()) pending.catch(() => undefined);
    }
  }

  /**
   * Many assignments by id, each id at most once. With the `ids` filter: one list call
   * per chunk of page size; ids missing from it (not found or not visible) are asked
   * one by one, so each gets its precise NOT_FOUND or FORBIDDEN. Without it: GETs with
   * at most SYNAPSE_CONCURRENCY in flight.
   */
  async getAssignmentsByIds(ids: readonly number[]): Promise<Map<number, AssignmentResult>> {
    const unique = [...new Set(ids)];
    const results = new Map<number, AssignmentResult>();
    let missing = unique;
    if (this.config.idsFilter && unique.length > 0) {
      const chunkSize = Math.min(this.config.pageSize, 1000);
      const chunks: number[][] = [];
      for (let i = 0; i < unique.length; i += chunkSize) chunks.push(unique.slice(i, i + chunkSize));
      const pages = await Promise.all(
        chunks.map((chunk) => this.listAssignments({ ids: chunk }, { page: 1, pageSize: chunk.length })),
      );
      for (const page of pages) for (const row of page.results) results.set(row.id, row);
      missing = unique.filter((id) => !results.has(id));
    }
    await Promise.all(
      missing.map(async (id) => {
        try {
          results.set(id, await this.getAssignment(id));
        } catch (error) {
          if (!(error instanceof UpstreamError) || error.code === 'UPSTREAM_UNAVAILABLE' || error.code === 'UNAUTHENTICATED') {
            throw error;
          }
          results.set(id, error);
        }
      }),
    );
    return results;
  }

  /**
   * `POST assignments/set_tags/`. add/replace use the seed's body with `replace` and
   * `notify`; remove uses the newer `{ids, tags, action}` form. Never retried: a write
   * whose answer was lost may have been applied.
   */
  async setTags(input: {
    assignmentIds: readonly number[];
    tagIds: readonly number[];
    mode: SetTagsMode;
    notify: boolean;
  }): Promise<WireSetTagsResult> {
    const params = new URLSearchParams();
    let body: unknown;
    if (input.mode === 'remove') {
      body = { ids: input.assignmentIds, tags: input.tagIds, action: 'remove' };
    } else {
      body = { assignment_ids: input.assignmentIds, tag_ids: input.tagIds };
      params.set('replace', String(input.mode === 'replace'));
    }
    params.set('notify', String(input.notify));
    this.stats.writes++;
    return this.request<WireSetTagsResult>('POST', `${ROUTES.setTags}?${params}`, ROUTES.setTags, body);
  }

  /** Every tag of a project (`GET projects/{id}/tags/`, all pages, at the size the backend honours). */
  async listProjectTags(projectId: number): Promise<WireTag[]> {
    const path = (page: number, pageSize: number) => `${routePath(ROUTES.projectTags, projectId)}?page=${page}&page_size=${pageSize}`;
    const asked = this.config.streamPageSize;
    const first = await this.getJson<WirePage<WireTag>>(path(1, asked), ROUTES.projectTags);
    const { pageSize, lastPage } = pagingAfterFirst(asked, first.results.length, first.count);
    const rest = await Promise.all(
      Array.from({ length: lastPage - 1 }, async (_, i) => {
        const page = await this.getJson<WirePage<WireTag>>(path(i + 2, pageSize), ROUTES.projectTags);
        assertFullPage(page.results.length, i + 2, pageSize, first.count);
        return page;
      }),
    );
    return [first, ...rest].flatMap((page) => page.results);
  }

  /**
   * `GET v2/reviews/?assignment=…`: one page of an assignment's reviews, newest first.
   * With `fields`, asks for those detail fields too (the policy page's field selection);
   * a backend that ignores it answers lean items, which the caller must check.
   */
  async listReviews(
    assignmentId: number,
    page: { cursor?: string | null | undefined; perPage: number; fields?: readonly string[] | undefined },
  ): Promise<V2Page<WireReviewItem & Partial<WireReview>>> {
    const params = new URLSearchParams({ assignment: String(assignmentId), sort: '-created', per_page: String(page.perPage) });
    if (page.cursor) params.set('cursor', page.cursor);
    if (page.fields?.length) params.set('fields', page.fields.join(','));
    return readV2List(await this.v2Request('GET', `${ROUTES.v2Reviews}?${params}`, ROUTES.v2Reviews));
  }

  /** `GET v2/reviews/{id}/` */
  async getReview(id: number): Promise<WireReview> {
    return readV2Detail(await this.v2Request('GET', routePath(ROUTES.v2Review, id), ROUTES.v2Review));
  }

  /** `POST v2/reviews/`: the author is the caller. Never retried, as every write. */
  async createReview(body: WireReviewCreate): Promise<WireReview> {
    return readV2Detail(await this.v2Request('POST', ROUTES.v2Reviews, ROUTES.v2Reviews, body));
  }

  /** `GET v2/assignments/{id}/` */
  async getAssignmentV2(id: number): Promise<WireAssignmentV2> {
    return readV2Detail(await this.v2Request('GET', routePath(ROUTES.v2Assignment, id), ROUTES.v2Assignment));
  }

  /** `POST v2/projects/{project_pk}/tags/`; with `dryRun`, Synapse checks it (`?dry_run=true`) and creates nothing. */
  async createProjectTag(projectId: number, body: WireTagCreate): Promise<WireTagV2>;
  async createProjectTag(projectId: number, body: WireTagCreate, options: { dryRun: true }): Promise<WireDryRun>;
  async createProjectTag(projectId: number, body: WireTagCreate, options: { dryRun?: boolean } = {}): Promise<WireTagV2 | WireDryRun> {
    const path = `${routePath(ROUTES.v2ProjectTags, projectId)}${options.dryRun ? '?dry_run=true' : ''}`;
    return readV2Detail(await this.v2Request('POST', path, ROUTES.v2ProjectTags, body, !options.dryRun));
  }

  /** `DELETE v2/projects/{project_pk}/tags/{id}/` (204, no body); with `dryRun`, checked and kept. */
  async deleteProjectTag(projectId: number, tagId: number, options: { dryRun?: boolean } = {}): Promise<void> {
    const path = `${routePath(ROUTES.v2ProjectTag, projectId, tagId)}${options.dryRun ? '?dry_run=true' : ''}`;
    await this.v2Request('DELETE', path, ROUTES.v2ProjectTag, undefined, !options.dryRun);
  }

  /**
   * Resolves when the backend serves v2, throws UPSTREAM_FEATURE_UNAVAILABLE when it
   * does not. Mutations call it before their first write, so that none of it happens
   * when the v2 part could not. Unknown (SYNAPSE_API_V2=auto, nothing learned lately),
   * it asks with `GET v2/reviews/?per_page=1`, once per operation: any HTTP answer but a
   * 404 (401 and 403 included) says the route exists.
   */
  ensureV2(): Promise<void> {
    const state = this.v2.state;
    if (state === 'present') return Promise.resolve();
    if (state === 'absent') return Promise.reject(this.v2.unavailable());
    this.v2Check ??= this.request('GET', `${ROUTES.v2Reviews}?per_page=1`, ROUTES.v2Reviews, undefined, true).then(
      () => this.v2.learn(true),
      (error: unknown) => {
        const served = this.learnV2FromFailure(error);
        if (served === undefined) {
          // No answer says nothing about v2: the next operation asks again.
          this.v2Check = undefined;
          throw error;
        }
        if (!served) throw this.v2.unavailable();
      },
    );
    return this.v2Check;
  }

  /**
   * Records what a failed `GET v2/reviews/` says about v2, for the probe and the list alike:
   * any HTTP answer but a 404 (401 and 403 included) says the route exists; no answer
   * (network failure, timeout) says nothing, and gives undefined.
   */
  private learnV2FromFailure(error: unknown): boolean | undefined {
    if (!(error instanceof UpstreamError) || error.status === null) return undefined;
    const served = error.status !== 404;
    this.v2.learn(served);
    return served;
  }

  /**
   * A v2 call, once v2 is known to be there. `GET v2/reviews/` needs no check first: a
   * 404 on that list can only mean the route is missing, so its own answer tells (any
   * other route's 404 may be a missing resource).
   */
  private async v2Request(method: Method, path: string, route: RouteShape, body?: unknown, write = method !== 'GET'): Promise<unknown> {
    const decisive = method === 'GET' && route === ROUTES.v2Reviews;
    if (!(decisive && this.v2.state === 'unknown')) await this.ensureV2();
    if (write) this.stats.writes++;
    try {
      const answer = await this.request<unknown>(method, path, route, body, true);
      if (decisive) this.v2.learn(true);
      return answer;
    } catch (error) {
      if (decisive && this.learnV2FromFailure(error) === false) throw this.v2.unavailable();
      throw error;
    }
  }

  private getJson<T>(path: string, route: RouteShape): Promise<T> {
    return this.request<T>('GET', path, route);
  }

  /** One logical call: gate, bounded concurrency, timeout, and retries for GETs only. */
  private async request<T>(method: Method, path: string, route: RouteShape, body?: unknown, v2 = false): Promise<T> {
    const maxAttempts = method === 'GET' ? this.retryPolicy.retries + 1 : 1;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.stats.retries++;
      else this.retryPolicy.budget.recordAttempt();
      try {
        await this.slots.acquire();
        try {
          return await this.attempt<T>(method, path, route, body, attempt, v2);
        } finally {
          this.slots.release();
        }
      } catch (error) {
        const retryable =
          error instanceof UpstreamError && isRetryable(error) && attempt + 1 < maxAttempts && !this.signal?.aborted;
        if (!retryable) throw error;
        const delay = backoffDelay(this.retryPolicy, attempt, error.retryAfterSeconds);
        // A retry that could only start after the deadline (a long Retry-After) is no retry:
        // answer now with the upstream's error and its Retry-After, not with a timeout later
        // (and without spending the budget on it).
        if (performance.now() + delay >= this.deadlineAt) throw error;
        const call = this.tracer && { method, route, origin: this.origin, path: this.basePath + path, attempt, status: error.status };
        if (!this.retryPolicy.budget.tryAcquire()) {
          if (call) this.tracer!.event('upstream.retry_budget_refused', call);
          throw error;
        }
        if (call) this.tracer!.event('upstream.retry', { ...call, delayMs: Math.round(delay) });
        await sleep(delay, this.signal);
      }
    }
  }

  private async attempt<T>(method: Method, path: string, route: RouteShape, body: unknown, attempt: number, v2: boolean): Promise<T> {
    // An UpstreamError like any other cancellation, not the raw abort reason (which would mask as INTERNAL_SERVER_ERROR).
    if (this.signal?.aborted) throw unavailableError(abortReason(this.signal), this.signal.reason, false);
    const fullPath = this.basePath + path;
    try {
      this.gate?.assertCanCall();
    } catch (error) {
      // The breaker refuses with UPSTREAM_UNAVAILABLE; a caller without credentials is refused otherwise.
      if (this.tracer && error instanceof UpstreamError && error.code === 'UPSTREAM_UNAVAILABLE') {
        this.tracer.event('upstream.circuit_open', { method, route, origin: this.origin, path: fullPath, attempt });
      }
      throw error;
    }
    const started = performance.now();
    let status: number | null = null;
    let failure: string | undefined;
    const headers = v2
      ? body === undefined ? this.v2Headers.get : this.v2Headers.post
      : body === undefined ? this.getHeaders : this.postHeaders;
    const traced = this.tracer?.start({ method, route, origin: this.origin, path: fullPath, attempt }, headers);
    this.stats.requests++;
    this.stats.begin();
    try {
      // The operation's signal goes to the transport as is; the per-call timeout is the transport's.
      const response = await this.transport.request({
        method,
        origin: this.origin,
        path: fullPath,
        headers: traced ? traced.headers : headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: this.signal,
        timeoutMs: this.config.timeoutMs,
      });
      status = response.status;
      if (status === 401) this.onUnauthenticated?.();
      if (status < 200 || status >= 300) throw errorFromResponse(status, response.text, response.retryAfter);
      this.gate?.recordSuccess();
      // A 204 (a delete) has no body.
      return (response.text === '' ? undefined : JSON.parse(response.text)) as T;
    } catch (error) {
      const mapped = toUpstreamError(error, this.signal);
      // Only "no answer" and 5xx say the upstream is unwell; a 4xx (429 included) is an
      // answer from a live upstream. A call cancelled by its operation says nothing.
      const unwell = mapped.code === 'UPSTREAM_UNAVAILABLE' && (mapped.status === null || mapped.status >= 500);
      if (unwell && !this.signal?.aborted) this.gate?.recordFailure();
      else if (!unwell && mapped.status !== null) this.gate?.recordSuccess();
      failure = mapped.message;
      throw mapped;
    } finally {
      traced?.end(status, failure);
      this.stats.end();
      this.onCall?.({ method, route, status, ms: performance.now() - started, attempt });
    }
  }
}

/**
 * The caller's credentials as a v2 call carries them (the contract's sources differ):
 * `Authorization: Token` with the tenant as a bare code, as v2's Go client sends it, or
 * `SYNAPSE-ACCESS-TOKEN` alone, the token naming its workspace.
 */
function v2CredentialHeaders(credentials: Credentials, style: 'authorization' | 'access-token'): Record<string, string> {
  if (style === 'access-token') return { accept: 'application/json', 'synapse-access-token': credentials.token };
  const headers: Record<string, string> = { accept: 'application/json', authorization: `Token ${credentials.token}` };
  const tenant = credentials.tenant?.replace(/^token\s+/i, '');
  if (tenant) headers['synapse-tenant'] = tenant;
  return headers;
}

/**
 * The page size and last page of a listing, from its first page: asked `asked`
 * rows, got `got` of `count`. Fewer rows than asked while more exist means the
 * backend capped `page_size` (DRF's max_page_size): its size is the one to page by.
 */
function pagingAfterFirst(asked: number, got: number, count: number): { pageSize: number; lastPage: number } {
  if (got === 0 && count > 0) {
    throw unavailableError(`inconsistent upstream page: no rows while the count is ${count}`, undefined);
  }
  const pageSize = got < asked && got < count ? got : asked;
  return { pageSize, lastPage: Math.max(1, Math.ceil(count / pageSize)) };
}

/** Page `n` of size `pageSize` must be full unless it is the last: a shorter one would silently lose rows. */
function assertFullPage(got: number, n: number, pageSize: number, count: number): void {
  const expected = Math.min(pageSize, count - (n - 1) * pageSize);
  if (got < expected) {
    throw unavailableError(`inconsistent upstream page: page ${n} has ${got} rows where ${expected} were due`, undefined);
  }
}

/**
 * At most `size` calls at once; the others wait in arrival order. In place of
 * p-limit: made for every operation, p-limit cost about 1.5% of the CPU of a
 * one-call operation (defining its accessor properties, a few promises per call);
 * a free slot here costs no promise of ours.
 */
class CallSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  acquire(): Promise<void> | void {
    if (this.free > 0) {
      this.free--;
      return;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot to the next waiting call, if any. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

function isRetryable(error: UpstreamError): boolean {
  if (error.status === null) return error.cause !== undefined && isConnectionError(error.cause);
  return error.status === 429 || error.status === 502 || error.status === 503 || error.status === 504;
}

function isConnectionError(cause: unknown): boolean {
  const code = (cause as { code?: string; cause?: { code?: string } } | null)?.code;
  return code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'EPIPE' || code === 'UND_ERR_SOCKET';
}

function toUpstreamError(error: unknown, operation: AbortSignal | undefined): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (operation?.aborted) return unavailableError(abortReason(operation), error);
  if (isCallTimeout(error)) return unavailableError('upstream timeout', error);
  if (error instanceof SyntaxError) return unavailableError('invalid upstream response', error);
  return unavailableError('connection failed', error);
}

/** Why the operation's signal fired: its deadline (a TimeoutError) or the client going away. */
function abortReason(signal: AbortSignal): string {
  return (signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError'
    ? 'operation deadline exceeded'
    : 'request cancelled';
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(unavailableError(abortReason(signal), signal.reason));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(unavailableError(abortReason(signal!), signal?.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Serializes filters and paging as `GET sdk/assignments/` expects them. */
export function toQuery(
  filter: WireAssignmentFilter,
  paging: { page: number; pageSize: number; ordering?: WireOrdering | undefined },
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || value === null) continue;
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  if (paging.ordering) params.set('ordering', paging.ordering);
  params.set('page', String(paging.page));
  params.set('page_size', String(paging.pageSize));
  return params.toString();
}
