import { hash } from 'node:crypto';
import type { YogaInitialContext } from 'graphql-yoga';
import type { Config, UpstreamConfig } from './config.ts';
import { unauthenticatedError } from './graphql/errors.ts';
import { createLoaders, type Loaders } from './graphql/loaders/create-loaders.ts';
import type { AssignmentChange, LiveUpdates } from './live/live-updates.ts';
import type { IdempotencyStore } from './shared-state/index.ts';
import { SynapseClient, UpstreamStats, type CallGate, type CallTracer, type Credentials, type UpstreamCallEvent } from './upstream/client.ts';
import type { RetryPolicy } from './upstream/retry.ts';
import type { Transport } from './upstream/transport.ts';
import type { V2Support } from './upstream/v2.ts';

/** What a write through the gateway touched: assignments, the projects they are in, and projects whose tag list changed. */
export interface WriteChange extends AssignmentChange {
  /** Projects a tag was created in or deleted from: every result showing their tags changes. */
  tagListProjectIds?: readonly number[];
}

/** Everything one GraphQL request needs; built fresh for each request, shared with none. */
export interface GatewayContext extends YogaInitialContext {
  requestId: string;
  config: Config;
  /** The caller's credentials, or null when none were sent. */
  credentials: Credentials | null;
  /** Hash of the credentials (never the token): keys the caller's cache entries, limits and live groups. */
  callerKey: string | null;
  /** This caller's upstream client; with no credentials, every call throws UNAUTHENTICATED. */
  client: SynapseClient;
  /** This request's DataLoaders (never shared between requests). */
  loaders: Loaders;
  stats: UpstreamStats;
  /** Prefix of relative file URLs (the SDK's url_conversion), applied when `files` are resolved. */
  fileUrlPrefix: string;
  /** List reads in flight; lookups by id wait for them, since their rows prime the loader. */
  pendingLists: Set<Promise<unknown>>;
  /** Clock of the request, injectable so tests can pin "now". */
  now: () => Date;
  /** Scopes the result depends on beyond the assignments it shows (see cache/response-cache.ts scopeTag). */
  cacheTags: Set<string>;
  /** Live assignment updates of this replica (subscriptions). */
  live: LiveUpdates;
  /** Review idempotency keys (per caller: the scope starts with `callerKey`), shared by the replicas through Redis. */
  idempotency: IdempotencyStore;
  /** Tells the cache and live subscribers what a write through the gateway touched; awaited before answering. */
  afterWrite(change: WriteChange): Promise<void>;
}

/** Long-lived collaborators shared by all requests: none of them holds caller data. */
export interface ContextDeps {
  config: Config & { upstream: { baseUrl: string } };
  transport: Transport;
  /** Whether the backend serves v2, as configured or learned: one memory for every caller (a fact about the backend). */
  v2: V2Support;
  retryPolicy?: RetryPolicy;
  gate?: CallGate;
  onUpstreamCall?: (event: UpstreamCallEvent) => void;
  /** Spans of upstream calls, when tracing is on. */
  callTracer?: CallTracer | undefined;
  now?: () => Date;
  live: LiveUpdates;
  idempotency: IdempotencyStore;
  afterWrite(change: WriteChange): Promise<void>;
  /** The upstream refused a caller's credentials (HTTP 401): nothing cached for it may be served again. */
  onCredentialsRefused(callerKey: string): void;
}

const filePrefixes = new WeakMap<UpstreamConfig, string>();

/** FILE_URL_PREFIX, by default the backend's origin; worked out once per gateway, at its first request. */
function fileUrlPrefixOf(upstream: UpstreamConfig & { baseUrl: string }): string {
  let prefix = filePrefixes.get(upstream);
  if (prefix === undefined) {
    prefix = upstream.fileUrlPrefix ?? new URL(upstream.baseUrl).origin;
    filePrefixes.set(upstream, prefix);
  }
  return prefix;
}

const TOKEN = /^(?:Token|Bearer)\s+([^\s,]{1,512})$/i;

/** Reads the caller's token (`Authorization` or `Synapse-Access-Token`) and tenant. */
export function readCredentials(headers: Headers): Credentials | null {
  const header = headers.get('authorization') ?? headers.get('synapse-access-token');
  const token = header?.trim().match(TOKEN)?.[1];
  if (!token) return null;
  const tenant = headers.get('synapse-tenant')?.trim();
  return { token, tenant: tenant ? tenant.slice(0, 512) : undefined };
}

/** A stable hash of a caller's token and tenant: what the gateway keys per-caller state by, never the token. */
export function callerKey(credentials: Credentials): string {
  // crypto.hash (Node 20.12+): the same digest as createHash's, without a Hash object per request.
  return hash('sha256', `${credentials.token}\n${credentials.tenant ?? ''}`, 'base64url');
}

/** Stands in for the breaker when no credentials came: no anonymous call ever leaves. */
const REFUSE_ANONYMOUS: CallGate = {
  assertCanCall() {
    throw unauthenticatedError();
  },
  recordSuccess() {},
  recordFailure() {},
};

/** What createContext adds to yoga's initial context. */
export type ContextExtension = Omit<GatewayContext, keyof YogaInitialContext>;

/**
 * Builds what one request adds to its context. Yoga assigns the returned fields onto its
 * initial context (envelop's `extendContext`), so the initial fields are not copied here.
 * Everything is built eagerly (envelop copies the object, so lazy getters would run
 * anyway); nothing here does I/O.
 */
export function createContext(
  initial: YogaInitialContext,
  deps: ContextDeps,
  request: { requestId: string; stats: UpstreamStats; signal?: AbortSignal; deadlineAt?: number },
): ContextExtension {
  const credentials = readCredentials(initial.request.headers);
  const key = credentials ? callerKey(credentials) : null;
  // Hashed once per request: the client needs the key too.
  const client = createClient(deps, credentials, request, key);
  return {
    requestId: request.requestId,
    config: deps.config,
    credentials,
    callerKey: key,
    client,
    loaders: createLoaders(client),
    stats: request.stats,
    fileUrlPrefix: fileUrlPrefixOf(deps.config.upstream),
    pendingLists: new Set(),
    now: deps.now ?? (() => new Date()),
    cacheTags: new Set(),
    live: deps.live,
    idempotency: deps.idempotency,
    afterWrite: deps.afterWrite,
  };
}

/**
 * An upstream client for one caller. Per request it carries the operation's stats,
 * deadline and cancellation; live subscriptions get one without them (a stream
 * outlives any one operation), bounded per call by SYNAPSE_TIMEOUT_MS instead.
 */
export function createClient(
  deps: ContextDeps,
  credentials: Credentials | null,
  request: { stats?: UpstreamStats; signal?: AbortSignal; deadlineAt?: number } = {},
  key: string | null = credentials ? callerKey(credentials) : null,
): SynapseClient {
  const gate = credentials ? deps.gate : REFUSE_ANONYMOUS;
  return new SynapseClient({
    config: deps.config.upstream,
    credentials: credentials ?? { token: '' },
    transport: deps.transport,
    v2: deps.v2,
    ...(request.stats ? { stats: request.stats } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.deadlineAt === undefined ? {} : { deadlineAt: request.deadlineAt }),
    ...(deps.retryPolicy ? { retryPolicy: deps.retryPolicy } : {}),
    ...(gate ? { gate } : {}),
    ...(deps.onUpstreamCall ? { onCall: deps.onUpstreamCall } : {}),
    ...(deps.callTracer ? { tracer: deps.callTracer } : {}),
    ...(key === null ? {} : { onUnauthenticated: () => deps.onCredentialsRefused(key) }),
  });
}
