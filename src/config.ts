import { z } from 'zod';

/** Parses "true/false/1/0/yes/no/on/off" the way operators write them in env files. */
const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
    error: 'expected true or false',
  })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const rate = z.coerce.number().min(0).max(1);

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(4000),
  SYNAPSE_BACKEND_URL: z.url({ protocol: /^https?$/ }).optional(),
  FILE_URL_PREFIX: z.string().optional(),
  SYNAPSE_PAGE_SIZE: int(1, 1000).default(100),
  SYNAPSE_CONCURRENCY: int(1, 64).default(8),
  SYNAPSE_TIMEOUT_MS: int(1, 600_000).default(15_000),
  SYNAPSE_RETRIES: int(0, 10).default(3),
  SYNAPSE_IDS_FILTER: boolish.optional(),
  DEV_BACKEND_HOST: z.string().min(1).default('127.0.0.1'),
  DEV_BACKEND_PORT: int(0, 65535).default(4010),
  DEV_BACKEND_DB: z.string().min(1).default('.data/dev-backend.sqlite'),
  DEV_BACKEND_SEED_ASSIGNMENTS: int(0, 5_000_000).default(2000),
  DEV_BACKEND_LATENCY_MS: int(0, 600_000).default(0),
  DEV_BACKEND_FAIL_RATE: rate.default(0),
  // --- abuse limits and exposure (security) ---
  // --- deadlines, breaker, logs, shutdown (reliability) ---
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
}

/** Settings of the gateway's upstream client. */
export interface UpstreamConfig {
  /** Base URL ending in `/`; undefined means "start the embedded backend". */
  baseUrl: string | undefined;
  fileUrlPrefix: string | undefined;
  pageSize: number;
  concurrency: number;
  timeoutMs: number;
  retries: number;
  /** Whether `GET sdk/assignments/?ids=1,2` is understood by the backend. */
  idsFilter: boolean;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  upstream: UpstreamConfig;
  devBackend: DevBackendConfig;
  // --- security settings ---
  // --- reliability settings ---
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
      concurrency: env.SYNAPSE_CONCURRENCY,
      timeoutMs: env.SYNAPSE_TIMEOUT_MS,
      retries: env.SYNAPSE_RETRIES,
      idsFilter: env.SYNAPSE_IDS_FILTER ?? embedded,
    },
    devBackend: {
      host: env.DEV_BACKEND_HOST,
      port: env.DEV_BACKEND_PORT,
      dbPath: env.DEV_BACKEND_DB,
      seedAssignments: env.DEV_BACKEND_SEED_ASSIGNMENTS,
      latencyMs: env.DEV_BACKEND_LATENCY_MS,
      failRate: env.DEV_BACKEND_FAIL_RATE,
    },
    // --- security values ---
    // --- reliability values ---
  };
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
