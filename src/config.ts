import { z } from 'zod';

/** Parses "true/false/1/0/yes/no/on/off" the way operators write them in env files. */
const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
    error: 'expected true or false',
  })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const rate = z.coerce.number().min(0).max(1);

/**
 * A variable that was removed and now changes nothing: setting it stops the process
 * rather than being ignored, since whoever set it meant a behaviour that is gone.
 */
const removed = (message: string) => z.undefined({ error: message }).optional();

/** A comma list of browser origins, each exactly as a browser sends it (`https://app.example.com`). */
const origins = z.string().transform((value, ctx) => {
  const list = value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of list) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(origin)} is not an origin like https://app.example.com` });
    }
  }
  return list;
});

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(4000),
  SYNAPSE_BACKEND_URL: z.url({ protocol: /^https?$/ }).optional(),
  FILE_URL_PREFIX: z.string().optional(),
  SYNAPSE_PAGE_SIZE: int(1, 1000).default(100),
  SYNAPSE_STREAM_PAGE_SIZE: int(1, 1000).default(1000),
  SYNAPSE_CONCURRENCY: int(1, 64).default(8),
  SYNAPSE_TIMEOUT_MS: int(1, 600_000).default(15_000),
  SYNAPSE_RETRIES: int(0, 10).default(3),
  SYNAPSE_IDS_FILTER: boolish.optional(),
  SYNAPSE_HTTP_CLIENT: z.enum(['undici', 'node-fetch']).default('undici'),
  SYNAPSE_CONNECTIONS: int(1, 4096).default(64),
  DEV_BACKEND_HOST: z.string().min(1).default('127.0.0.1'),
  DEV_BACKEND_PORT: int(0, 65535).default(4010),
  DEV_BACKEND_DB: z.string().min(1).default('.data/dev-backend.sqlite'),
  DEV_BACKEND_SEED_ASSIGNMENTS: int(0, 5_000_000).default(2000),
  DEV_BACKEND_LATENCY_MS: int(0, 600_000).default(0),
  DEV_BACKEND_FAIL_RATE: rate.default(0),
  DEV_BACKEND_MAX_PAGE_SIZE: int(1, 100_000).default(1000),
  ANALYTICS_EXACT_LIMIT: int(0, 10_000_000).default(100_000),
  // --- abuse limits and exposure (security) ---
  GRAPHIQL_ENABLED: boolish.optional(),
  INTROSPECTION_ENABLED: boolish.optional(),
  EXPOSE_LIMITS: boolish.optional(),
  CORS_ORIGINS: origins.optional(),
  CORS_ALLOW_LOCALHOST: boolish.optional(),
  CSRF_PREVENTION: boolish.default(false),
  MAX_DEPTH: int(1, 100).default(8),
  MAX_ALIASES: int(0, 1000).default(15),
  MAX_DIRECTIVES: int(0, 1000).default(50),
  MAX_TOKENS: int(100, 1_000_000).default(2000),
  MAX_COST: int(1, 100_000_000).default(50_000),
  MAX_QUERY_CHARS: int(100, 10_000_000).default(15_000),
  MAX_BODY_BYTES: int(1024, 100 * 1024 * 1024).default(1_048_576),
  MAX_BATCH: int(0, 100).default(0),
  RATE_LIMIT_EXPENSIVE_PER_MINUTE: int(0, 1_000_000).default(60),
  // --- deadlines, breaker, logs, shutdown (reliability) ---
  OPERATION_TIMEOUT_MS: int(100, 600_000).default(30_000),
  SYNAPSE_RETRY_BASE_MS: int(1, 60_000).default(100),
  SYNAPSE_RETRY_MAX_MS: int(1, 600_000).default(2_000),
  SYNAPSE_RETRY_BUDGET_TTL_MS: int(1_000, 60_000).default(10_000),
  SYNAPSE_RETRY_BUDGET_RATIO: rate.default(0.2),
  SYNAPSE_RETRY_BUDGET_MIN_PER_SECOND: int(0, 1_000).default(10),
  SYNAPSE_RETRY_BUDGET_RESERVE: removed(
    'removed: the retry budget no longer has a reserve. Unset it; SYNAPSE_RETRY_BUDGET_MIN_PER_SECOND (default 10) is the retries always allowed per second, SYNAPSE_RETRY_BUDGET_TTL_MS the window of the ratio',
  ),
  BREAKER_ENABLED: boolish.default(true),
  BREAKER_FAILURE_THRESHOLD_PERCENT: int(1, 100).default(50),
  BREAKER_MIN_REQUESTS: int(1, 1_000_000).default(10),
  BREAKER_WINDOW_MS: int(100, 3_600_000).default(10_000),
  BREAKER_RESET_MS: int(10, 3_600_000).default(10_000),
  BREAKER_HALF_OPEN_PROBES: int(1, 1000).default(1),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  METRICS_ENABLED: boolish.default(true),
  // --- shared state across replicas (Redis), live updates, response cache ---
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{0,64}$/, 'letters, digits, ":", "_" and "-" only').default('synapse-gateway:'),
  SUBSCRIPTION_POLL_MS: int(50, 3_600_000).default(5_000),
  SUBSCRIPTION_LEASE_MS: int(100, 3_600_000).optional(),
  MAX_SUBSCRIPTIONS_PER_TOKEN: int(0, 100_000).default(20),
  MAX_SUBSCRIPTIONS: int(0, 1_000_000).default(10_000),
  RESPONSE_CACHE_TTL_MS: int(0, 86_400_000).default(5_000),
  RESPONSE_CACHE_MAX_ENTRIES: int(1, 10_000_000).default(10_000),
});

export type Env = z.infer<typeof EnvSchema>;

/** Settings of the embedded development backend. */
export interface DevBackendConfig {
  host: string;
  port: number;
  dbPath: string;
  seedAssignments: number;
  latencyMs: number;
  failRate: number;
  /** Largest `page_size` honoured; a larger one is capped silently, as DRF's `max_page_size`. */
  maxPageSize: number;
}

/** Settings of the gateway's upstream client. */
export interface UpstreamConfig {
  /** Base URL ending in `/`; undefined means "start the embedded backend". */
  baseUrl: string | undefined;
  fileUrlPrefix: string | undefined;
  /** `page_size` of connection pages and id chunks. */
  pageSize: number;
  /** `page_size` asked by reads that walk a whole listing (workflows); the backend may honour less. */
  streamPageSize: number;
  concurrency: number;
  timeoutMs: number;
  retries: number;
  /** Whether `GET sdk/assignments/?ids=1,2` is understood by the backend. */
  idsFilter: boolean;
  /** The HTTP library of upstream calls (see src/upstream/transport.ts). */
  httpClient: 'undici' | 'node-fetch';
  /** Most connections (so calls at once) to the upstream for the whole process; more calls queue. */
  connections: number;
}

/** Abuse limits and what the gateway shows the outside (see src/security/). */
export interface SecurityConfig {
  /** Serve GraphiQL on `GET /graphql` with `Accept: text/html`. Default: on except in production. */
  graphiql: boolean;
  /** Answer `__schema` / `__type`. Default: on except in production. Off also hides field suggestions. */
  introspection: boolean;
  /** Say which limit a refused document broke, and by how much. Default: on except in production. */
  exposeLimits: boolean;
  /** Origins allowed to call from a browser, exactly as listed. */
  corsOrigins: string[];
  /** Also allow any `http://localhost:<port>` and `http://127.0.0.1:<port>` (frontend dev servers). Default: on except in production. */
  corsAllowLocalhost: boolean;
  /**
   * Require a preflighted content type or the `x-graphql-yoga-csrf` header (else 403).
   * Default off: callers authenticate by header only, which a browser never adds on its own.
   */
  csrfPrevention: boolean;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  /** Characters of the document (variables not counted; the body limit covers them). */
  maxQueryChars: number;
  maxBodyBytes: number;
  /** Operations per batched (array) request; 0 turns batching off. */
  maxBatch: number;
  /** Expensive operations per caller (token) per minute; 0 turns the limit off. */
  rateLimitExpensivePerMinute: number;
}

/** Settings of the analytics workflow. */
export interface AnalyticsConfig {
  /** Percentiles stay exact while a report holds at most this many completion times; past it, DDSketch (within 1 %). */
  exactLimit: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  upstream: UpstreamConfig;
  devBackend: DevBackendConfig;
  analytics: AnalyticsConfig;
  // --- security settings ---
  security: SecurityConfig;
  // --- reliability settings ---
  reliability: ReliabilityConfig;
  // --- shared state, live updates and caching ---
  shared: SharedStateConfig;
}

/** Redis, subscriptions and the response cache (see src/shared-state/, src/live/, src/cache/). */
export interface SharedStateConfig {
  /** Redis shared by every replica; undefined: everything in this process's memory. */
  redisUrl: string | undefined;
  /** Prefix of every Redis key and channel, so several gateways can share one Redis. */
  keyPrefix: string;
  /** How often changes made outside the gateway are looked for, per (caller, filter). */
  pollMs: number;
  /** How long a replica's claim to poll for one (caller, filter) lasts unless renewed. */
  leaseMs: number;
  /** Live subscriptions one token may hold at once on one replica; 0 turns subscriptions off. */
  maxSubscriptionsPerToken: number;
  /** Live subscriptions one replica holds at once. */
  maxSubscriptions: number;
  /** How long a query result is reused for the same caller; 0 turns the cache off. */
  responseCacheTtlMs: number;
  /** Most results the in-memory cache keeps (least recently used go first); Redis uses its own memory policy. */
  responseCacheMaxEntries: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return `  ${name}=${JSON.stringify(raw[name] ?? '')}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const embedded = env.SYNAPSE_BACKEND_URL === undefined;
  return {
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    upstream: {
      baseUrl: embedded ? undefined : withTrailingSlash(env.SYNAPSE_BACKEND_URL!),
      fileUrlPrefix: env.FILE_URL_PREFIX,
      pageSize: env.SYNAPSE_PAGE_SIZE,
      streamPageSize: env.SYNAPSE_STREAM_PAGE_SIZE,
      concurrency: env.SYNAPSE_CONCURRENCY,
      timeoutMs: env.SYNAPSE_TIMEOUT_MS,
      retries: env.SYNAPSE_RETRIES,
      idsFilter: env.SYNAPSE_IDS_FILTER ?? embedded,
      httpClient: env.SYNAPSE_HTTP_CLIENT,
      connections: env.SYNAPSE_CONNECTIONS,
    },
    devBackend: {
      host: env.DEV_BACKEND_HOST,
      port: env.DEV_BACKEND_PORT,
      dbPath: env.DEV_BACKEND_DB,
      seedAssignments: env.DEV_BACKEND_SEED_ASSIGNMENTS,
      latencyMs: env.DEV_BACKEND_LATENCY_MS,
      failRate: env.DEV_BACKEND_FAIL_RATE,
      maxPageSize: env.DEV_BACKEND_MAX_PAGE_SIZE,
    },
    analytics: { exactLimit: env.ANALYTICS_EXACT_LIMIT },
    // --- security values ---
    security: securityFromEnv(env),
    // --- reliability values ---
    reliability: reliabilityFromEnv(env),
    // --- shared state values ---
    shared: {
      redisUrl: env.REDIS_URL,
      keyPrefix: env.REDIS_KEY_PREFIX,
      pollMs: env.SUBSCRIPTION_POLL_MS,
      // Renewed every poll: three polls' worth survives one slow renewal.
      leaseMs: env.SUBSCRIPTION_LEASE_MS ?? 3 * env.SUBSCRIPTION_POLL_MS,
      maxSubscriptionsPerToken: env.MAX_SUBSCRIPTIONS_PER_TOKEN,
      maxSubscriptions: env.MAX_SUBSCRIPTIONS,
      responseCacheTtlMs: env.RESPONSE_CACHE_TTL_MS,
      responseCacheMaxEntries: env.RESPONSE_CACHE_MAX_ENTRIES,
    },
  };
}

function securityFromEnv(env: Env): SecurityConfig {
  const open = env.NODE_ENV !== 'production';
  return {
    graphiql: env.GRAPHIQL_ENABLED ?? open,
    introspection: env.INTROSPECTION_ENABLED ?? open,
    exposeLimits: env.EXPOSE_LIMITS ?? open,
    corsOrigins: env.CORS_ORIGINS ?? [],
    corsAllowLocalhost: env.CORS_ALLOW_LOCALHOST ?? open,
    csrfPrevention: env.CSRF_PREVENTION,
    maxDepth: env.MAX_DEPTH,
    maxAliases: env.MAX_ALIASES,
    maxDirectives: env.MAX_DIRECTIVES,
    maxTokens: env.MAX_TOKENS,
    maxCost: env.MAX_COST,
    maxQueryChars: env.MAX_QUERY_CHARS,
    maxBodyBytes: env.MAX_BODY_BYTES,
    maxBatch: env.MAX_BATCH,
    rateLimitExpensivePerMinute: env.RATE_LIMIT_EXPENSIVE_PER_MINUTE,
  };
}

/** Deadlines, retries, circuit breaker, shutdown, logs and metrics (see src/reliability/, src/observability/). */
export interface ReliabilityConfig {
  /** Overall budget of one GraphQL operation; each upstream call gets min(SYNAPSE_TIMEOUT_MS, what is left). */
  operationTimeoutMs: number;
  retry: {
    /** First backoff window; attempt k waits a uniform [0, min(maxMs, baseMs * 2^k)). */
    baseMs: number;
    maxMs: number;
    /** The retry budget shared by all requests (see RetryBudget). */
    budget: {
      /** How long a first attempt counts towards the ratio. */
      ttlMs: number;
      /** Retries allowed per first attempt within ttlMs. */
      ratio: number;
      /** Retries always allowed in any one second, whatever the traffic. */
      minPerSecond: number;
    };
  };
  breaker: {
    enabled: boolean;
    failureThresholdPercent: number;
    minRequests: number;
    windowMs: number;
    resetMs: number;
    halfOpenProbes: number;
  };
  /** After SIGTERM/SIGINT: how long in-flight operations may take before connections are cut. */
  shutdownGraceMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  metricsEnabled: boolean;
}

function reliabilityFromEnv(env: Env): ReliabilityConfig {
  return {
    operationTimeoutMs: env.OPERATION_TIMEOUT_MS,
    retry: {
      baseMs: env.SYNAPSE_RETRY_BASE_MS,
      maxMs: Math.max(env.SYNAPSE_RETRY_BASE_MS, env.SYNAPSE_RETRY_MAX_MS),
      budget: {
        ttlMs: env.SYNAPSE_RETRY_BUDGET_TTL_MS,
        ratio: env.SYNAPSE_RETRY_BUDGET_RATIO,
        minPerSecond: env.SYNAPSE_RETRY_BUDGET_MIN_PER_SECOND,
      },
    },
    breaker: {
      enabled: env.BREAKER_ENABLED,
      failureThresholdPercent: env.BREAKER_FAILURE_THRESHOLD_PERCENT,
      minRequests: env.BREAKER_MIN_REQUESTS,
      windowMs: env.BREAKER_WINDOW_MS,
      resetMs: env.BREAKER_RESET_MS,
      halfOpenProbes: env.BREAKER_HALF_OPEN_PROBES,
    },
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    // Test runs build many gateways: their logs would drown the test output.
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    metricsEnabled: env.METRICS_ENABLED,
  };
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
