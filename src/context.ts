import type { YogaInitialContext } from 'graphql-yoga';
import type { Config, UpstreamConfig } from './config.ts';
import { unauthenticatedError } from './graphql/errors.ts';
import { createLoaders, type Loaders } from './graphql/loaders/create-loaders.ts';
import { SynapseClient, UpstreamStats, type CallGate, type Credentials, type UpstreamCallEvent } from './upstream/client.ts';
import type { RetryPolicy } from './upstream/retry.ts';
import type { Transport } from './upstream/transport.ts';

/** Everything one GraphQL request needs; built fresh for each request, shared with none. */
export interface GatewayContext extends YogaInitialContext {
  requestId: string;
  config: Config;
  /** The caller's credentials, or null when none were sent. */
  credentials: Credentials | null;
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
}

/** Long-lived collaborators shared by all requests: none of them holds caller data. */
export interface ContextDeps {
  config: Config & { upstream: { baseUrl: string } };
  transport: Transport;
  retryPolicy?: RetryPolicy;
  gate?: CallGate;
  onUpstreamCall?: (event: UpstreamCallEvent) => void;
  now?: () => Date;
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

/** Stands in for the breaker when no credentials came: no anonymous call ever leaves. */
const REFUSE_ANONYMOUS: CallGate = {
  assertCanCall() {
    throw unauthenticatedError();
  },
  recordSuccess() {},
  recordFailure() {},
};

/**
 * Builds one request's context. Everything is built eagerly (envelop copies the
 * context object, so lazy getters would run anyway); nothing here does I/O.
 */
export function createContext(
  initial: YogaInitialContext,
  deps: ContextDeps,
  request: { requestId: string; stats: UpstreamStats; signal?: AbortSignal; deadlineAt?: number },
): GatewayContext {
  const credentials = readCredentials(initial.request.headers);
  const gate = credentials ? deps.gate : REFUSE_ANONYMOUS;
  const client = new SynapseClient({
    config: deps.config.upstream,
    credentials: credentials ?? { token: '' },
    transport: deps.transport,
    stats: request.stats,
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.deadlineAt === undefined ? {} : { deadlineAt: request.deadlineAt }),
    ...(deps.retryPolicy ? { retryPolicy: deps.retryPolicy } : {}),
    ...(gate ? { gate } : {}),
    ...(deps.onUpstreamCall ? { onCall: deps.onUpstreamCall } : {}),
  });
  return {
    ...initial,
    requestId: request.requestId,
    config: deps.config,
    credentials,
    client,
    loaders: createLoaders(client),
    stats: request.stats,
    fileUrlPrefix: fileUrlPrefixOf(deps.config.upstream),
    pendingLists: new Set(),
    now: deps.now ?? (() => new Date()),
  };
}
