import type { YogaInitialContext } from 'graphql-yoga';
import type { Config } from './config.ts';
import { unauthenticatedError } from './errors.ts';
import { createLoaders, type Loaders } from './loaders/create-loaders.ts';
import { SynapseClient, UpstreamStats, type CallGate, type Credentials, type UpstreamCallEvent } from './upstream/client.ts';
import type { RetryPolicy } from './upstream/retry.ts';
import type { FetchFn } from './upstream/transport.ts';

/** Everything one GraphQL request needs; built fresh for each request, shared with none. */
export interface GatewayContext extends YogaInitialContext {
  requestId: string;
  config: Config;
  /** The caller's credentials, or null when none were sent. */
  credentials: Credentials | null;
  /** This caller's upstream client; throws UNAUTHENTICATED when no credentials were sent. */
  readonly client: SynapseClient;
  /** This request's DataLoaders (never shared between requests). */
  readonly loaders: Loaders;
  stats: UpstreamStats;
  /** Clock of the request, injectable so tests can pin "now". */
  now: () => Date;
}

/** Long-lived collaborators shared by all requests: none of them holds caller data. */
export interface ContextDeps {
  config: Config & { upstream: { baseUrl: string } };
  fetch?: FetchFn;
  retryPolicy?: RetryPolicy;
  gate?: CallGate;
  onUpstreamCall?: (event: UpstreamCallEvent) => void;
  now?: () => Date;
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

/** Builds one request's context; client and loaders are created on first use. */
export function createContext(
  initial: YogaInitialContext,
  deps: ContextDeps,
  request: { requestId: string; stats: UpstreamStats; signal?: AbortSignal },
): GatewayContext {
  const credentials = readCredentials(initial.request.headers);
  let client: SynapseClient | undefined;
  let loaders: Loaders | undefined;
  const fileUrlPrefix = deps.config.upstream.fileUrlPrefix ?? new URL(deps.config.upstream.baseUrl).origin;
  const context: GatewayContext = {
    ...initial,
    requestId: request.requestId,
    config: deps.config,
    credentials,
    stats: request.stats,
    now: deps.now ?? (() => new Date()),
    get client() {
      if (!credentials) throw unauthenticatedError();
      client ??= new SynapseClient({
        config: { ...deps.config.upstream, fileUrlPrefix },
        credentials,
        stats: request.stats,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        ...(deps.retryPolicy ? { retryPolicy: deps.retryPolicy } : {}),
        ...(deps.gate ? { gate: deps.gate } : {}),
        ...(deps.onUpstreamCall ? { onCall: deps.onUpstreamCall } : {}),
      });
      return client;
    },
    get loaders() {
      loaders ??= createLoaders(context.client);
      return loaders;
    },
  };
  return context;
}
