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
 * The concerns the configuration reference (docs/configuration.md) groups variables by,
 * in the order a reader deploying the gateway meets them.
 */
export const ENV_GROUPS = [
  { name: 'Server', about: 'Where the gateway listens, which mode it runs in, and how it stops.' },
  { name: 'Upstream (Synapse)', about: 'The Synapse backend the gateway calls, and how it pages and pools those calls.' },
  {
    name: 'Browser access and exposure',
    about: 'What browsers may call, and what the gateway reveals about its schema and limits.',
  },
  {
    name: 'Request limits',
    about: 'Refusals before an operation runs (document shape, body, batching) and the per-caller rate limit.',
  },
  {
    name: 'Timeouts and retries',
    about: 'Deadlines of operations and upstream calls, and when a failed upstream read is tried again.',
  },
  {
    name: 'Circuit breaker',
    about: 'Stops calling a failing Synapse for a while, so that callers get an answer at once and Synapse gets room to recover.',
  },
  {
    name: 'Shared state (Redis)',
    about: 'What lets several replicas act as one: set the same Redis on every replica.',
  },
  { name: 'Live updates', about: 'Subscriptions (`assignmentUpdated` over SSE or WebSocket).' },
  { name: 'Response cache', about: 'Query results reused for the same caller.' },
  {
    name: 'Trusted documents',
    about: 'Which documents production frontends may run: the manifests their builds ship, what happens to any other document, and the operators\' bypass.',
  },
  { name: 'Analytics', about: 'How `assignmentAnalytics` computes its percentiles.' },
  { name: 'Observability', about: 'Logs and metrics.' },
  {
    name: 'Traces (OpenTelemetry)',
    about:
      'Spans of every GraphQL operation and of its upstream calls, sent over OTLP/HTTP to a collector. Off unless an endpoint is set; the standard OpenTelemetry variables, read as the specification says.',
  },
  {
    name: 'Embedded development backend',
    about: 'The Synapse stand-in started when `SYNAPSE_BACKEND_URL` is unset, or alone by `npm run dev-backend`.',
  },
  { name: 'Removed', about: 'Variables that no longer change anything: setting one stops the process with this message.' },
] as const;

/** One of ENV_GROUPS' names. */
export type EnvGroup = (typeof ENV_GROUPS)[number]['name'];

/** What the configuration reference says about one variable, kept beside its schema so both change together. */
export interface EnvDoc {
  group: EnvGroup;
  /**
   * What the variable changes. Never its own default, which the reference takes from the schema;
   * another variable's only as `NAME (default X)`, which a test checks against the schema.
   */
  description: string;
  /** What leaving it unset means, where neither the schema nor loadConfig's fallback can say it as a value. */
  unset?: string;
  /** The accepted form, where code (a transform) rather than the schema's type checks it. */
  values?: string;
}

/** The documentation of every EnvSchema field; the reference generator and its tests read it. */
export const envDocs = z.registry<EnvDoc>();

/**
 * A variable that was removed and now changes nothing: setting it stops the process
 * rather than being ignored, since whoever set it meant a behaviour that is gone.
 */
const removed = (message: string) =>
  z.undefined({ error: message }).optional().register(envDocs, { group: 'Removed', description: message });

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

/**
 * A `key=value,key=value` list (W3C Baggage form, values percent-decoded), as OTLP headers
 * and resource attributes are given. A malformed entry is skipped, as the specification
 * says, and never echoed: a header list may hold an API key.
 */
const keyValueList = z.string().transform((value) => {
  const pairs: Record<string, string> = {};
  for (const entry of value.split(',')) {
    const at = entry.indexOf('=');
    if (at <= 0) continue;
    try {
      const key = decodeURIComponent(entry.slice(0, at).trim());
      if (key !== '') pairs[key] = decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      // A malformed percent escape: skipped like any other malformed entry.
    }
  }
  return pairs;
});

/** An optional `keyValueList` variable: every such variable documents the same form, and unset means none. */
const keyValueVariable = (doc: Pick<EnvDoc, 'group' | 'description'>) =>
  keyValueList.optional().register(envDocs, { ...doc, unset: 'none', values: '`key=value,key2=value2`, values percent-encoded' });

const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
const otlpProtocol = z.enum(OTLP_PROTOCOLS, {
  error: "expected http/protobuf or http/json (OTLP over gRPC is not supported: use the collector's OTLP/HTTP port, 4318)",
});

/** The sampler names of OTEL_TRACES_SAMPLER this gateway knows (the specification's, less the vendor ones). */
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** Every variable the gateway and the embedded backend read, with its documentation (see envDocs). */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development').register(envDocs, {
    group: 'Server',
    description:
      '`production` turns GraphiQL, introspection, limit details and localhost CORS off unless each is set explicitly, refuses to start without `SYNAPSE_BACKEND_URL` (unless `EMBEDDED_BACKEND=true`), and moves `/metrics` to the admin listener (`ADMIN_PORT`); `test` silences the logs unless `LOG_LEVEL` is set.',
  }),
  HOST: z.string().min(1).default('127.0.0.1').register(envDocs, {
    group: 'Server',
    description: 'Address the gateway listens on (`0.0.0.0`: every interface).',
  }),
  PORT: int(0, 65535).default(4000).register(envDocs, {
    group: 'Server',
    description: 'Port the gateway listens on; `0` picks a free one and prints it.',
  }),
  SYNAPSE_BACKEND_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .register(envDocs, {
      group: 'Upstream (Synapse)',
      description: 'Base URL of the Synapse API the gateway calls (a missing trailing `/` is added).',
      unset: 'unset: the gateway starts the embedded development backend and calls it (in production only with `EMBEDDED_BACKEND=true`)',
    }),
  EMBEDDED_BACKEND: boolish.optional().register(envDocs, {
    group: 'Upstream (Synapse)',
    description:
      'Start the embedded development backend and call it, with its public demo tokens (`dev-admin-token` has admin rights). In production a gateway without `SYNAPSE_BACKEND_URL` refuses to start unless this is `true` (a demo deployment), and then warns that demo tokens are live. Cannot be `true` beside `SYNAPSE_BACKEND_URL`.',
  }),
  FILE_URL_PREFIX: z.string().optional().register(envDocs, {
    group: 'Upstream (Synapse)',
    description:
      "Prefix put before relative file URLs in answers, one `/` between them; absolute URLs stay as they are (the SDK's `url_conversion`, done server-side).",
    unset: "the backend's origin",
    values: 'a URL or URL prefix such as `https://cdn.example.com/media/`',
  }),
  SYNAPSE_PAGE_SIZE: int(1, 1000).default(100).register(envDocs, {
    group: 'Upstream (Synapse)',
    description:
      "Largest `page_size` of a connection page read, and the chunk size of ids-filter reads; keep it at or under the backend's `max_page_size`.",
  }),
  SYNAPSE_STREAM_PAGE_SIZE: int(1, 1000).default(1000).register(envDocs, {
    group: 'Upstream (Synapse)',
    description:
      '`page_size` asked by reads of whole listings (analytics, queue, tiers, automation, tag lists). When the backend honours less (DRF caps `page_size` silently), the read goes on at the size it got and still reads every row.',
  }),
  SYNAPSE_CONCURRENCY: int(1, 64).default(8).register(envDocs, {
    group: 'Upstream (Synapse)',
    description: 'Most upstream calls in flight at once for one GraphQL operation.',
  }),
  SYNAPSE_TIMEOUT_MS: int(1, 600_000).default(15_000).register(envDocs, {
    group: 'Timeouts and retries',
    description:
      "Timeout of one upstream call: the longest wait for its answer's headers, then for each part of its body (the SDK's read timeout). Connecting may take min(5 s, this).",
  }),
  SYNAPSE_RETRIES: int(0, 10).default(3).register(envDocs, {
    group: 'Timeouts and retries',
    description:
      'Retries of an idempotent GET after a 429, 502, 503 or 504 answer or a connection error (reset, refused, broken pipe); each also needs the retry budget below. Writes are never retried.',
  }),
  SYNAPSE_IDS_FILTER: boolish.optional().register(envDocs, {
    group: 'Upstream (Synapse)',
    description:
      'Whether the backend understands `sdk/assignments/?ids=1,2,3`; without it, lookups by id read one assignment per call and workflows filter whole listings.',
  }),
  SYNAPSE_HTTP_CLIENT: z.enum(['undici', 'node-fetch']).default('undici').register(envDocs, {
    group: 'Upstream (Synapse)',
    description: "HTTP library of upstream calls: `undici` (its `Pool.request`) or `node-fetch` (docs/dependencies.md says why undici).",
  }),
  SYNAPSE_API_V2: z.enum(['auto', 'true', 'false']).default('auto').register(envDocs, {
    group: 'Upstream (Synapse)',
    description:
      "Whether the backend serves Synapse's v2 HITL API (reviews, project tags, assignment detail), behind `Assignment.reviews`, `reviewStatus`, `reviewAssignments`, `createTag` and `deleteTag`. `auto`: the first operation that needs it finds out (a 404 on a v2 list route means absent; see `SYNAPSE_API_V2_RECHECK_MS`); `true`: assume it; `false`: never call it. While absent, those fields answer `UPSTREAM_FEATURE_UNAVAILABLE` and everything else as before.",
  }),
  SYNAPSE_API_V2_RECHECK_MS: int(1_000, 86_400_000).default(300_000).register(envDocs, {
    group: 'Upstream (Synapse)',
    description:
      'With `SYNAPSE_API_V2` (default auto), how long the answer is remembered (present or absent) before the next operation that needs v2 asks again: a backend upgraded to v2 is noticed within it.',
  }),
  SYNAPSE_API_V2_AUTH: z.enum(['authorization', 'access-token']).default('authorization').register(envDocs, {
    group: 'Upstream (Synapse)',
    description:
      "How v2 calls carry the caller's credentials: `authorization` sends `Authorization: Token <token>` and the tenant as a bare code in `SYNAPSE-Tenant` (a `Token ` prefix the caller sent is taken off, as v2's Go client sends it); `access-token` sends `SYNAPSE-ACCESS-TOKEN: <token>` and no tenant (the token names its workspace). v1 calls keep the SDK's form.",
  }),
  SYNAPSE_CONNECTIONS: int(1, 4096).default(64).register(envDocs, {
    group: 'Upstream (Synapse)',
    description: 'Keep-alive connections to the backend for the whole process; calls beyond them wait in the pool.',
  }),
  DEV_BACKEND_HOST: z.string().min(1).default('127.0.0.1').register(envDocs, {
    group: 'Embedded development backend',
    description: 'Address the embedded backend listens on.',
  }),
  DEV_BACKEND_PORT: int(0, 65535).default(4010).register(envDocs, {
    group: 'Embedded development backend',
    description: 'Port the embedded backend listens on.',
  }),
  DEV_BACKEND_DB: z.string().min(1).default('.data/dev-backend.sqlite').register(envDocs, {
    group: 'Embedded development backend',
    description: 'SQLite file of the embedded backend (its folder is created); `:memory:` keeps the database in memory.',
  }),
  DEV_BACKEND_SEED_ASSIGNMENTS: int(0, 5_000_000).default(2000).register(envDocs, {
    group: 'Embedded development backend',
    description: 'Assignments seeded into a new database; an existing file is reused as it is (delete it to seed again).',
  }),
  DEV_BACKEND_LATENCY_MS: int(0, 600_000).default(0).register(envDocs, {
    group: 'Embedded development backend',
    description: 'Latency added to every embedded-backend response (benchmarks).',
  }),
  DEV_BACKEND_FAIL_RATE: rate.default(0).register(envDocs, {
    group: 'Embedded development backend',
    description: 'Fraction of embedded-backend requests answered 503 (fault tests).',
  }),
  DEV_BACKEND_V2: boolish.default(true).register(envDocs, {
    group: 'Embedded development backend',
    description:
      'Serve the v2 routes (reviews, project tags, assignment detail); `false` answers them 404, as a backend without v2, so the gateway\'s fallback can be seen.',
  }),
  DEV_BACKEND_MAX_PAGE_SIZE: int(1, 100_000).default(1000).register(envDocs, {
    group: 'Embedded development backend',
    description:
      "The embedded backend's `max_page_size`: a larger `page_size` is capped silently, and one that is not a positive integer gives 100 (or this cap when lower), as DRF does (never 400).",
  }),
  ANALYTICS_EXACT_LIMIT: int(0, 10_000_000).default(100_000).register(envDocs, {
    group: 'Analytics',
    description:
      'Completion times a report keeps for exact percentiles; past it, a DDSketch within 1 %. `0`: always the sketch.',
  }),
  // --- abuse limits and exposure (security) ---
  GRAPHIQL_ENABLED: boolish.optional().register(envDocs, {
    group: 'Browser access and exposure',
    description: 'Serve GraphiQL on `GET /graphql` to requests with `Accept: text/html`.',
  }),
  INTROSPECTION_ENABLED: boolish.optional().register(envDocs, {
    group: 'Browser access and exposure',
    description: 'Answer `__schema` and `__type`; off also hides the "Did you mean…" suggestions of validation errors.',
  }),
  EXPOSE_LIMITS: boolish.optional().register(envDocs, {
    group: 'Browser access and exposure',
    description:
      "Show the figures (limit and count) of a document refused for its depth, aliases, directives, tokens or characters; off: the code and the limit's name only. Cost figures are always shown.",
  }),
  CORS_ORIGINS: origins.optional().register(envDocs, {
    group: 'Browser access and exposure',
    description:
      'Origins whose browser pages may call the gateway, each exactly as a browser sends it; no credentials. Other origins get no CORS headers, and their preflights a 403 `CORS_ORIGIN_NOT_ALLOWED`.',
    unset: 'none (localhost ones aside, see `CORS_ALLOW_LOCALHOST`)',
    values: 'comma-separated origins such as `https://app.example.com`',
  }),
  CORS_ALLOW_LOCALHOST: boolish.optional().register(envDocs, {
    group: 'Browser access and exposure',
    description:
      'Also allow any `http://localhost:<port>` and `http://127.0.0.1:<port>` origin, so that a frontend dev server (Vite on 5173, CRA on 3000) works with no configuration.',
  }),
  CSRF_PREVENTION: boolish.default(false).register(envDocs, {
    group: 'Browser access and exposure',
    description:
      'GETs and form-type POSTs need the `x-graphql-yoga-csrf` header, else 403 `CSRF_HEADER_REQUIRED`. Turn it on only when a proxy in front adds credentials from cookies: the gateway itself authenticates by a header, which a browser never adds on its own.',
  }),
  MAX_DEPTH: int(1, 100).default(8).register(envDocs, {
    group: 'Request limits',
    description: 'Deepest field nesting of a document, fragments flattened.',
  }),
  MAX_ALIASES: int(0, 1000).default(15).register(envDocs, {
    group: 'Request limits',
    description: 'Aliases per operation (`__typename` not counted).',
  }),
  MAX_DIRECTIVES: int(0, 1000).default(50).register(envDocs, {
    group: 'Request limits',
    description: 'Directives per operation.',
  }),
  MAX_TOKENS: int(100, 1_000_000).default(2000).register(envDocs, {
    group: 'Request limits',
    description: "Lexer tokens of a document (GraphiQL's introspection query has about 184).",
  }),
  MAX_COST: int(1, 100_000_000).default(50_000).register(envDocs, {
    group: 'Request limits',
    description:
      'Estimated cost of an operation, page sizes and id lists given by variables counted at their cap: a full 100-row page costs about 17,450, a 100 × 100 fan-out 79,250.',
  }),
  MAX_QUERY_CHARS: int(100, 10_000_000).default(15_000).register(envDocs, {
    group: 'Request limits',
    description: 'Characters of the document (variables not counted: `MAX_BODY_BYTES` covers them).',
  }),
  MAX_BODY_BYTES: int(1024, 100 * 1024 * 1024).default(1_048_576).register(envDocs, {
    group: 'Request limits',
    description: 'Largest request body; a larger one gets 413, chunked bodies without Content-Length too.',
  }),
  MAX_BATCH: int(0, 100).default(0).register(envDocs, {
    group: 'Request limits',
    description: 'Operations per batched (array) request; `0` turns batching off (an array body gets 400 `BATCHING_NOT_SUPPORTED`).',
  }),
  RATE_LIMIT_EXPENSIVE_PER_MINUTE: int(0, 1_000_000).default(60).register(envDocs, {
    group: 'Request limits',
    description:
      'Expensive root fields per caller (token) per minute: analytics, queue, the workflow mutations and `reviewAssignments`, `assignments` pages over 50 rows, `assignmentsByIds` with more than 100 ids. `0` turns the limit off. Refusals are `RATE_LIMITED` with HTTP 429 and `Retry-After`; what counted is in `extensions.rateLimit`. With `REDIS_URL`, one allowance is shared by all replicas.',
  }),
  // --- deadlines, breaker, logs, shutdown (reliability) ---
  OPERATION_TIMEOUT_MS: int(100, 600_000).default(30_000).register(envDocs, {
    group: 'Timeouts and retries',
    description: 'Deadline of one GraphQL operation; each upstream call gets min(`SYNAPSE_TIMEOUT_MS`, the time left).',
  }),
  SYNAPSE_RETRY_BASE_MS: int(1, 60_000).default(100).register(envDocs, {
    group: 'Timeouts and retries',
    description:
      "Backoff base: retry k waits a uniformly random time in [0, min(`SYNAPSE_RETRY_MAX_MS`, base × 2^k)), never less than the answer's `Retry-After`; a retry that would start after the operation's deadline is not made.",
  }),
  SYNAPSE_RETRY_MAX_MS: int(1, 600_000).default(2_000).register(envDocs, {
    group: 'Timeouts and retries',
    description: 'Cap of one backoff delay; a value under `SYNAPSE_RETRY_BASE_MS` counts as that base.',
  }),
  SYNAPSE_RETRY_BUDGET_TTL_MS: int(1_000, 60_000).default(10_000).register(envDocs, {
    group: 'Timeouts and retries',
    description:
      "How long a first attempt counts towards the retry budget's ratio (docs/operations.md, \"Retries and the retry budget\", explains the budget).",
  }),
  SYNAPSE_RETRY_BUDGET_RATIO: rate.default(0.2).register(envDocs, {
    group: 'Timeouts and retries',
    description:
      'Retries allowed per first attempt within `SYNAPSE_RETRY_BUDGET_TTL_MS`, in one budget shared by all callers, on top of the floor `SYNAPSE_RETRY_BUDGET_MIN_PER_SECOND`.',
  }),
  SYNAPSE_RETRY_BUDGET_MIN_PER_SECOND: int(0, 1_000).default(10).register(envDocs, {
    group: 'Timeouts and retries',
    description: 'Retries always allowed in any sliding second, whatever the traffic; spent before the ratio.',
  }),
  SYNAPSE_RETRY_BUDGET_RESERVE: removed(
    'removed: the retry budget no longer has a reserve. Unset it; SYNAPSE_RETRY_BUDGET_MIN_PER_SECOND (default 10) is the retries always allowed per second, SYNAPSE_RETRY_BUDGET_TTL_MS the window of the ratio',
  ),
  BREAKER_ENABLED: boolish.default(true).register(envDocs, {
    group: 'Circuit breaker',
    description: 'Circuit breaker on the calls to Synapse; while it is open, `/ready` answers 503.',
  }),
  BREAKER_FAILURE_THRESHOLD_PERCENT: int(1, 100).default(50).register(envDocs, {
    group: 'Circuit breaker',
    description: 'Opens when failures (no answer, or a 5xx; a 4xx never counts) reach this percentage of the calls in the window…',
  }),
  BREAKER_MIN_REQUESTS: int(1, 1_000_000).default(10).register(envDocs, {
    group: 'Circuit breaker',
    description: '…and the window holds at least this many calls.',
  }),
  BREAKER_WINDOW_MS: int(100, 3_600_000).default(10_000).register(envDocs, {
    group: 'Circuit breaker',
    description: 'Length of the rolling window (counted in 10 buckets).',
  }),
  BREAKER_RESET_MS: int(10, 3_600_000).default(10_000).register(envDocs, {
    group: 'Circuit breaker',
    description: 'How long the breaker stays open before it lets probes through (half-open).',
  }),
  BREAKER_HALF_OPEN_PROBES: int(1, 1000).default(1).register(envDocs, {
    group: 'Circuit breaker',
    description: 'Calls allowed at once while half-open; one success closes the breaker, one failure opens it again.',
  }),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000).register(envDocs, {
    group: 'Server',
    description: 'After SIGTERM or SIGINT, how long in-flight requests may take to finish before the remaining connections are cut.',
  }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().register(envDocs, {
    group: 'Observability',
    description: 'pino level of the logs: one JSON line per GraphQL request on stdout, tokens redacted.',
  }),
  METRICS_ENABLED: boolish.default(true).register(envDocs, {
    group: 'Observability',
    description:
      'Serve Prometheus metrics on `GET /metrics`, which is not authenticated: on the admin listener when there is one (`ADMIN_PORT`), else on `PORT`.',
  }),
  ADMIN_PORT: int(0, 65535).optional().register(envDocs, {
    group: 'Observability',
    description:
      'Port of the admin listener, which serves `GET /metrics` (and nothing else) on `ADMIN_HOST`; the public port then answers 404 there. `/health` and `/ready` stay on `PORT` for probes. `0` picks a free one and logs it.',
    unset: 'none: `/metrics` is on `PORT`; `9464` when `NODE_ENV=production`',
  }),
  ADMIN_HOST: z.string().min(1).default('127.0.0.1').register(envDocs, {
    group: 'Observability',
    description: 'Address of the admin listener; loopback keeps the metrics to a scraper on the same host (or pod).',
  }),
  // --- trusted documents ---
  TRUSTED_DOCUMENTS: z.enum(['off', 'log', 'enforce']).optional().register(envDocs, {
    group: 'Trusted documents',
    description:
      '`off`: documents are not checked and ids are not understood. `log`: every document runs; ids of the manifests are served; a document in no manifest is counted (`synapse_trusted_documents_total{outcome="unknown"}`) and logged once per hash with its client. `enforce`: only documents of the manifests run; any other is refused `PERSISTED_QUERY_NOT_IN_LIST`, an unknown id `PERSISTED_QUERY_NOT_FOUND`, before any upstream call. `log` and `enforce` need `TRUSTED_DOCUMENTS_DIR`.',
  }),
  TRUSTED_DOCUMENTS_DIR: z.string().min(1).optional().register(envDocs, {
    group: 'Trusted documents',
    description:
      'Folder of manifests: every `*.json` file under it, at any depth (names starting with `.` skipped), in the client preset\'s format (`{ "sha256:…": "query …" }`) or Apollo\'s (`apollo-persisted-query-manifest`). The path names the client: `web/1.4.0.json` is client `web` version `1.4.0`, `web.json` client `web`. Read at start (a malformed file stops the process), again on every change and on SIGHUP (a malformed file is refused, naming file and line, and the last good set stays).',
    unset: 'no manifests: every client name counts as `unknown`',
  }),
  TRUSTED_DOCUMENTS_BYPASS_TOKEN: z.string().min(32, 'at least 32 characters: a secret, not a password').optional().register(envDocs, {
    group: 'Trusted documents',
    description:
      'Secret an operator sends as `X-Trusted-Documents-Bypass: <secret>` to run any document (GraphiQL and introspection in production included); compared in constant time. A request with a wrong secret is refused `TRUSTED_DOCUMENTS_BYPASS_REFUSED`.',
    unset: 'no bypass: every request with the header is refused',
    values: 'at least 32 characters, e.g. `openssl rand -hex 32`',
  }),
  // --- traces (OpenTelemetry) ---
  OTEL_SDK_DISABLED: boolish.default(false).register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description: '`true` turns tracing off whatever else is set.',
  }),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none']).default('otlp').register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description: '`none` turns tracing off; `otlp` sends spans to the endpoint below.',
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .optional()
    .register(envDocs, {
      group: 'Traces (OpenTelemetry)',
      description:
        'Base URL of an OTLP/HTTP receiver (an OpenTelemetry Collector or Jaeger, port 4318): spans go to `<this>/v1/traces`. Setting it (or the next) turns tracing on.',
      unset: 'unset: no tracing unless `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set; no span is made, no SDK started',
    }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .optional()
    .register(envDocs, {
      group: 'Traces (OpenTelemetry)',
      description: 'Full URL spans are POSTed to, used as it is (no `/v1/traces` added); wins over `OTEL_EXPORTER_OTLP_ENDPOINT`.',
      unset: '`OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces`',
    }),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.default('http/protobuf').register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description: 'Encoding of the spans sent: protobuf or JSON, both over HTTP.',
  }),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional().register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description: 'The same for traces alone; unset, `OTEL_EXPORTER_OTLP_PROTOCOL` applies.',
  }),
  OTEL_EXPORTER_OTLP_HEADERS: keyValueVariable({
    group: 'Traces (OpenTelemetry)',
    description:
      "Headers sent with every export, such as a vendor's API key; never logged. Malformed entries are skipped.",
  }),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValueVariable({
    group: 'Traces (OpenTelemetry)',
    description: 'More headers for trace exports, added to `OTEL_EXPORTER_OTLP_HEADERS` (a name in both takes this value).',
  }),
  OTEL_EXPORTER_OTLP_TIMEOUT: int(1, 600_000).default(10_000).register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description: 'Milliseconds one export may wait for the collector, retries included, before its spans are given up.',
  }),
  OTEL_SERVICE_NAME: z.string().min(1).max(256).default('synapse-gateway').register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description: "`service.name` of the gateway's spans. The embedded development backend's spans are `synapse-dev-backend`.",
  }),
  OTEL_RESOURCE_ATTRIBUTES: keyValueVariable({
    group: 'Traces (OpenTelemetry)',
    description:
      'More attributes of the process on every span (`deployment.environment.name=production,service.version=1.4.0`); `service.name` is `OTEL_SERVICE_NAME`.',
  }),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS).default('parentbased_always_on').register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description:
      "Which operations are recorded. `parentbased_*` follows the caller's `traceparent` decision when there is one; `traceidratio` keeps a fraction (`OTEL_TRACES_SAMPLER_ARG`) of the traces.",
  }),
  OTEL_TRACES_SAMPLER_ARG: rate.optional().register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description: 'The fraction of traces `traceidratio` and `parentbased_traceidratio` keep (`0.01`: one in a hundred); other samplers ignore it.',
    unset: '`1`: every trace',
  }),
  OTEL_BSP_SCHEDULE_DELAY: int(1, 600_000).default(5_000).register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description: 'Milliseconds between two exports of the finished spans. Spans are sent in the background, never while a request waits.',
  }),
  OTEL_BSP_EXPORT_TIMEOUT: int(1, 600_000).default(30_000).register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description: 'Longest one export may take before it is given up.',
  }),
  OTEL_BSP_MAX_QUEUE_SIZE: int(1, 1_000_000).default(2_048).register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description: 'Finished spans kept waiting for export; past it new spans are dropped (memory stays bounded while the collector is down).',
  }),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: int(1, 1_000_000).default(512).register(envDocs, {
    group: 'Traces (OpenTelemetry)',
    description: 'Most spans in one export (at most `OTEL_BSP_MAX_QUEUE_SIZE`).',
  }),
  // --- shared state across replicas (Redis), live updates, response cache ---
  REDIS_URL: z
    .url({ protocol: /^rediss?$/ })
    .optional()
    .register(envDocs, {
      group: 'Shared state (Redis)',
      description:
        'Redis shared by every replica (one node or Sentinel; Redis Cluster is not supported): response cache, rate limits, live-update leases and messages.',
      unset: 'unset: cache, limits and live updates live in this process',
    }),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{0,64}$/, 'letters, digits, ":", "_" and "-" only')
    .default('synapse-gateway:')
    .register(envDocs, {
      group: 'Shared state (Redis)',
      description: 'Prefix of every Redis key and channel, so that several gateways can share one Redis.',
    }),
  SUBSCRIPTION_POLL_MS: int(50, 3_600_000).default(5_000).register(envDocs, {
    group: 'Live updates',
    description:
      'How often changes made outside the gateway are looked for: one poll per (caller, filter) group across all replicas. Writes through the gateway reach subscribers at once.',
  }),
  SUBSCRIPTION_LEASE_MS: int(100, 3_600_000).optional().register(envDocs, {
    group: 'Live updates',
    description:
      "How long a replica's claim to poll for a group lasts unless renewed; when the polling replica dies, another takes over within it.",
    unset: '3 × `SUBSCRIPTION_POLL_MS`',
  }),
  MAX_SUBSCRIPTIONS_PER_TOKEN: int(0, 100_000).default(20).register(envDocs, {
    group: 'Live updates',
    description: 'Live subscriptions one token may hold at once on one replica (`RATE_LIMITED` beyond); `0` turns subscriptions off.',
  }),
  MAX_SUBSCRIPTIONS: int(0, 1_000_000).default(10_000).register(envDocs, {
    group: 'Live updates',
    description: 'Live subscriptions one replica holds at once (`RATE_LIMITED` beyond).',
  }),
  REVIEW_IDEMPOTENCY_TTL_MS: int(60_000, 30 * 86_400_000).default(86_400_000).register(envDocs, {
    group: 'Shared state (Redis)',
    description:
      "How long `reviewAssignments` remembers an `idempotencyKey` (per caller: which assignment got which review under it), in this process or, with `REDIS_URL`, in Redis for every replica. Sending the same key again within it creates only the reviews still missing.",
  }),
  RESPONSE_CACHE_TTL_MS: int(0, 86_400_000).default(5_000).register(envDocs, {
    group: 'Response cache',
    description:
      'How long a query result is reused for the same caller; `0` turns the cache off. A write through the gateway drops what it touched at once; changes made elsewhere show when the entry expires.',
  }),
  RESPONSE_CACHE_MAX_ENTRIES: int(1, 10_000_000).default(10_000).register(envDocs, {
    group: 'Response cache',
    description: "Results the in-process cache keeps (least recently used go first); with Redis, Redis's own memory policy applies instead.",
  }),
});

export type Env = z.infer<typeof EnvSchema>;

/** Settings of the embedded development backend. */
export interface DevBackendConfig {
  /** Start it when no SYNAPSE_BACKEND_URL is set; in production only when asked for (EMBEDDED_BACKEND=true). */
  enabled: boolean;
  host: string;
  port: number;
  dbPath: string;
  seedAssignments: number;
  latencyMs: number;
  failRate: number;
  /** Largest `page_size` honoured; a larger one is capped silently, as DRF's `max_page_size`. */
  maxPageSize: number;
  /** Serve the v2 routes; off, they answer 404 as on a backend without v2. */
  v2: boolean;
}

/** How the gateway uses Synapse's v2 HITL API. */
export interface V2Config {
  /** `auto`: find out at the first need and remember it for `recheckMs`. */
  mode: 'auto' | 'true' | 'false';
  recheckMs: number;
  /** Header form of the caller's credentials on v2 calls. */
  auth: 'authorization' | 'access-token';
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
  v2: V2Config;
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

/** Which documents may run (see src/trusted-documents/). */
export interface TrustedDocumentsConfig {
  /** off: not checked; log: every document runs, unknown ones counted; enforce: only the manifests' documents run. */
  mode: 'off' | 'log' | 'enforce';
  /** Folder of manifests; undefined: none. */
  dir: string | undefined;
  /** Secret of the `X-Trusted-Documents-Bypass` header; undefined: no bypass. */
  bypassToken: string | undefined;
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
  /** The admin listener (`/metrics`); undefined port: none, metrics stay on the public port. */
  admin: { port: number | undefined; host: string };
  trustedDocuments: TrustedDocumentsConfig;
  upstream: UpstreamConfig;
  devBackend: DevBackendConfig;
  analytics: AnalyticsConfig;
  // --- security settings ---
  security: SecurityConfig;
  // --- reliability settings ---
  reliability: ReliabilityConfig;
  // --- shared state, live updates and caching ---
  shared: SharedStateConfig;
  tracing: TracingConfig;
}

/** What OTEL_TRACES_SAMPLER names. */
export type SamplerName = (typeof SAMPLERS)[number];

/** OpenTelemetry traces (see src/observability/tracing.ts). */
export interface TracingConfig {
  /** The URL spans are POSTed to (`/v1/traces` included); undefined: tracing is off, no SDK is started. */
  endpoint: string | undefined;
  protocol: (typeof OTLP_PROTOCOLS)[number];
  /** Sent with every export (an API key, say): never logged. */
  headers: Record<string, string>;
  /** Longest wait of one export for the collector. */
  timeoutMs: number;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  sampler: SamplerName;
  /** The fraction of traces the ratio samplers keep. */
  samplerRatio: number;
  /** The batch span processor: exports happen in the background, a full queue drops spans. */
  batch: { scheduleDelayMs: number; exportTimeoutMs: number; maxQueueSize: number; maxExportBatchSize: number };
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
  /** How long a review idempotency key is remembered, per caller. */
  reviewIdempotencyTtlMs: number;
}

/** The admin listener's port in production: Prometheus exporters' customary one. */
const DEFAULT_ADMIN_PORT = 9464;

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
  const production = env.NODE_ENV === 'production';
  const conflicts = [
    ...(env.EMBEDDED_BACKEND === true && !embedded
      ? [`  EMBEDDED_BACKEND="true": the embedded backend stands in for SYNAPSE_BACKEND_URL, which is set too: unset one`]
      : []),
    ...(env.TRUSTED_DOCUMENTS !== undefined && env.TRUSTED_DOCUMENTS !== 'off' && env.TRUSTED_DOCUMENTS_DIR === undefined
      ? [`  TRUSTED_DOCUMENTS="${env.TRUSTED_DOCUMENTS}": needs TRUSTED_DOCUMENTS_DIR, the folder of the manifests`]
      : []),
  ];
  if (conflicts.length > 0) throw new ConfigError(`Invalid environment:\n${conflicts.join('\n')}`);
  return {
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    // In production the metrics leave the public port: they say what the gateway does, to anyone.
    admin: { port: env.ADMIN_PORT ?? (production ? DEFAULT_ADMIN_PORT : undefined), host: env.ADMIN_HOST },
    trustedDocuments: {
      // A folder of manifests is a team on its way to enforcing: count what enforcing would refuse.
      mode: env.TRUSTED_DOCUMENTS ?? (env.TRUSTED_DOCUMENTS_DIR === undefined ? 'off' : 'log'),
      dir: env.TRUSTED_DOCUMENTS_DIR,
      bypassToken: env.TRUSTED_DOCUMENTS_BYPASS_TOKEN,
    },
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
      v2: { mode: env.SYNAPSE_API_V2, recheckMs: env.SYNAPSE_API_V2_RECHECK_MS, auth: env.SYNAPSE_API_V2_AUTH },
    },
    devBackend: {
      // A production deployment that forgot SYNAPSE_BACKEND_URL must not answer public demo tokens.
      enabled: env.EMBEDDED_BACKEND ?? (embedded && !production),
      host: env.DEV_BACKEND_HOST,
      port: env.DEV_BACKEND_PORT,
      dbPath: env.DEV_BACKEND_DB,
      seedAssignments: env.DEV_BACKEND_SEED_ASSIGNMENTS,
      latencyMs: env.DEV_BACKEND_LATENCY_MS,
      failRate: env.DEV_BACKEND_FAIL_RATE,
      maxPageSize: env.DEV_BACKEND_MAX_PAGE_SIZE,
      v2: env.DEV_BACKEND_V2,
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
      reviewIdempotencyTtlMs: env.REVIEW_IDEMPOTENCY_TTL_MS,
    },
    tracing: tracingFromEnv(env),
  };
}

function tracingFromEnv(env: Env): TracingConfig {
  const off = env.OTEL_SDK_DISABLED || env.OTEL_TRACES_EXPORTER === 'none';
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base === undefined ? undefined : `${withTrailingSlash(base)}v1/traces`);
  return {
    endpoint: off ? undefined : endpoint,
    protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL,
    headers: { ...env.OTEL_EXPORTER_OTLP_HEADERS, ...env.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    timeoutMs: env.OTEL_EXPORTER_OTLP_TIMEOUT,
    serviceName: env.OTEL_SERVICE_NAME,
    resourceAttributes: env.OTEL_RESOURCE_ATTRIBUTES ?? {},
    sampler: env.OTEL_TRACES_SAMPLER,
    samplerRatio: env.OTEL_TRACES_SAMPLER_ARG ?? 1,
    batch: {
      scheduleDelayMs: env.OTEL_BSP_SCHEDULE_DELAY,
      exportTimeoutMs: env.OTEL_BSP_EXPORT_TIMEOUT,
      maxQueueSize: env.OTEL_BSP_MAX_QUEUE_SIZE,
      maxExportBatchSize: Math.min(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, env.OTEL_BSP_MAX_QUEUE_SIZE),
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
