import pLimit, { type LimitFunction } from 'p-limit';
import type { UpstreamConfig } from '../config.ts';
import { UpstreamError, errorFromResponse, unavailableError } from './errors.ts';
import { rewriteFiles } from './files.ts';
import { backoffDelay, defaultRetryPolicy, type RetryPolicy } from './retry.ts';
import { keepAliveFetch, type FetchFn } from './transport.ts';
import {
  ROUTES,
  routePath,
  type RouteShape,
  type WireAssignment,
  type WireAssignmentFilter,
  type WireOrdering,
  type WirePage,
  type WireSetTagsAction,
  type WireSetTagsResult,
  type WireTag,
} from '../contract/index.ts';

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
  method: 'GET' | 'POST';
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

export interface SynapseClientOptions {
  config: UpstreamConfig & { baseUrl: string };
  credentials: Credentials;
  fetch?: FetchFn;
  /** Aborts every call of this client: the operation's deadline or the client going away. */
  signal?: AbortSignal;
  /** `performance.now()` at which the operation's deadline passes: no retry is planned beyond it. */
  deadlineAt?: number;
  stats?: UpstreamStats;
  retryPolicy?: RetryPolicy;
  gate?: CallGate;
  onCall?: (event: UpstreamCallEvent) => void;
  /** The upstream answered 401: these credentials no longer work (caches and streams of the caller must end). */
  onUnauthenticated?: () => void;
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
  private readonly credentials: Credentials;
  private readonly fetchFn: FetchFn;
  private readonly signal: AbortSignal | undefined;
  private readonly deadlineAt: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly gate: CallGate | undefined;
  private readonly onCall: ((event: UpstreamCallEvent) => void) | undefined;
  private readonly onUnauthenticated: (() => void) | undefined;
  /** Caps this operation's calls in flight, whatever mix of methods issues them. */
  private readonly limit: LimitFunction;

  constructor(options: SynapseClientOptions) {
    this.config = options.config;
    this.credentials = options.credentials;
    this.fetchFn = options.fetch ?? keepAliveFetch;
    this.signal = options.signal;
    this.deadlineAt = options.deadlineAt ?? Number.POSITIVE_INFINITY;
    this.stats = options.stats ?? new UpstreamStats();
    this.retryPolicy = options.retryPolicy ?? defaultRetryPolicy(options.config.retries);
    this.gate = options.gate;
    this.onCall = options.onCall;
    this.onUnauthenticated = options.onUnauthenticated;
    this.limit = pLimit(options.config.concurrency);
  }

  /** `GET assignments/{id}/` */
  async getAssignment(id: number): Promise<WireAssignment> {
    const assignment = await this.getJson<WireAssignment>(routePath(ROUTES.assignment, id), ROUTES.assignment);
    return rewriteFiles(assignment, this.config.fileUrlPrefix);
  }

  /** `GET sdk/assignments/`: one page. */
  async listAssignments(filter: WireAssignmentFilter, request: PageRequest = {}): Promise<WirePage<WireAssignment>> {
    const query = toQuery(filter, {
      page: request.page ?? 1,
      pageSize: request.pageSize ?? this.config.pageSize,
      ordering: request.ordering,
    });
    const page = await this.getJson<WirePage<WireAssignment>>(`${ROUTES.assignments}?${query}`, ROUTES.assignments);
    return { ...page, results: page.results.map((a) => rewriteFiles(a, this.config.fileUrlPrefix)) };
  }

  /**
   * Every page of a listing. The first page gives the count; the rest are fetched
   * concurrently (at most SYNAPSE_CONCURRENCY in flight) and yielded as they arrive,
   * so memory holds at most that many pages whatever the total. Any page that still
   * fails after its retries fails the whole stream: no answer from partial data.
   */
  async *streamAssignments(
    filter: WireAssignmentFilter,
    options: { ordering?: WireOrdering; pageSize?: number } = {},
  ): AsyncGenerator<StreamedPage> {
    const pageSize = options.pageSize ?? this.config.pageSize;
    const first = await this.listAssignments(filter, { page: 1, pageSize, ordering: options.ordering });
    const count = first.count;
    yield { page: 1, count, results: first.results };
    const lastPage = Math.max(1, Math.ceil(count / pageSize));
    let nextPage = 2;
    const inFlight = new Map<number, Promise<{ n: number; page: WirePage<WireAssignment> }>>();
    const launch = () => {
      while (inFlight.size < this.config.concurrency && nextPage <= lastPage) {
        const n = nextPage++;
        inFlight.set(
          n,
          this.listAssignments(filter, { page: n, pageSize, ordering: options.ordering }).then((page) => ({ n, page })),
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

  /** Every tag of a project (`GET projects/{id}/tags/`, all pages). */
  async listProjectTags(projectId: number): Promise<WireTag[]> {
    const pageSize = Math.min(this.config.pageSize * 10, 1000);
    const path = (page: number) => `${routePath(ROUTES.projectTags, projectId)}?page=${page}&page_size=${pageSize}`;
    const first = await this.getJson<WirePage<WireTag>>(path(1), ROUTES.projectTags);
    const lastPage = Math.ceil(first.count / pageSize);
    const rest = await Promise.all(
      Array.from({ length: Math.max(0, lastPage - 1) }, (_, i) =>
        this.getJson<WirePage<WireTag>>(path(i + 2), ROUTES.projectTags),
      ),
    );
    return [first, ...rest].flatMap((page) => page.results);
  }

  private getJson<T>(path: string, route: RouteShape): Promise<T> {
    return this.request<T>('GET', path, route);
  }

  /** One logical call: gate, bounded concurrency, timeout, and retries for GETs only. */
  private async request<T>(method: 'GET' | 'POST', path: string, route: RouteShape, body?: unknown): Promise<T> {
    const maxAttempts = method === 'GET' ? this.retryPolicy.retries + 1 : 1;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.stats.retries++;
      else this.retryPolicy.budget.recordAttempt();
      try {
        return await this.limit(() => this.attempt<T>(method, path, route, body, attempt));
      } catch (error) {
        const retryable =
          error instanceof UpstreamError && isRetryable(error) && attempt + 1 < maxAttempts && !this.signal?.aborted;
        if (!retryable) throw error;
        const delay = backoffDelay(this.retryPolicy, attempt, error.retryAfterSeconds);
        // A retry that could only start after the deadline (a long Retry-After) is no retry:
        // answer now with the upstream's error and its Retry-After, not with a timeout later
        // (and without spending the budget on it).
        if (performance.now() + delay >= this.deadlineAt || !this.retryPolicy.budget.tryAcquire()) throw error;
        await sleep(delay, this.signal);
      }
    }
  }

  private async attempt<T>(
    method: 'GET' | 'POST',
    path: string,
    route: RouteShape,
    body: unknown,
    attempt: number,
  ): Promise<T> {
    // An UpstreamError like any other cancellation, not the raw abort reason (which would mask as INTERNAL_SERVER_ERROR).
    if (this.signal?.aborted) throw unavailableError(abortReason(this.signal), this.signal.reason, false);
    this.gate?.assertCanCall();
    // One controller and one timer per call, both released as soon as the call ends:
    // AbortSignal.timeout would keep its timer (and the signal) alive for the full
    // timeout after every call, and AbortSignal.any is slow on Node 20.
    const call = new AbortController();
    const timer = setTimeout(() => call.abort(CALL_TIMED_OUT), this.config.timeoutMs);
    const operation = this.signal;
    const onOperationAbort = () => call.abort(operation?.reason);
    operation?.addEventListener('abort', onOperationAbort, { once: true });
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Token ${this.credentials.token}`,
    };
    if (this.credentials.tenant) headers['Synapse-Tenant'] = this.credentials.tenant;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const started = performance.now();
    let status: number | null = null;
    this.stats.requests++;
    this.stats.begin();
    try {
      const response = await this.fetchFn(this.config.baseUrl + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: call.signal,
      });
      status = response.status;
      if (status === 401) this.onUnauthenticated?.();
      const text = await response.text();
      if (status < 200 || status >= 300) throw errorFromResponse(status, text, response.headers.get('retry-after'));
      this.gate?.recordSuccess();
      return JSON.parse(text) as T;
    } catch (error) {
      const mapped = toUpstreamError(error, call.signal.reason === CALL_TIMED_OUT, this.signal);
      // Only "no answer" and 5xx say the upstream is unwell; a 4xx (429 included) is an
      // answer from a live upstream. A call cancelled by its operation says nothing.
      const unwell = mapped.code === 'UPSTREAM_UNAVAILABLE' && (mapped.status === null || mapped.status >= 500);
      if (unwell && !this.signal?.aborted) this.gate?.recordFailure();
      else if (!unwell && mapped.status !== null) this.gate?.recordSuccess();
      throw mapped;
    } finally {
      clearTimeout(timer);
      operation?.removeEventListener('abort', onOperationAbort);
      this.stats.end();
      this.onCall?.({ method, route, status, ms: performance.now() - started, attempt });
    }
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

/** Abort reason of a call that ran out of time; one shared value, since each DOMException captures a stack. */
const CALL_TIMED_OUT = new DOMException('upstream call timed out', 'TimeoutError');

function toUpstreamError(error: unknown, timedOut: boolean, operation: AbortSignal | undefined): UpstreamError {
  if (error instanceof UpstreamError) return error;
  if (operation?.aborted) return unavailableError(abortReason(operation), error);
  if (timedOut) return unavailableError('upstream timeout', error);
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
