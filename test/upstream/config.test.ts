import { describe, it, expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

/** The parts this suite owns; other sections (security, ...) have their own tests. */
function core(env: Record<string, string>) {
  const { env: nodeEnv, host, port, upstream, devBackend } = loadConfig(env);
  return { env: nodeEnv, host, port, upstream, devBackend };
}

function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected loadConfig(${JSON.stringify(env)}) to throw a ConfigError`);
}

describe('loadConfig defaults', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(core({})).toEqual({
      env: 'development',
      host: '127.0.0.1',
      port: 4000,
      upstream: {
        baseUrl: undefined,
        fileUrlPrefix: undefined,
        pageSize: 100,
        streamPageSize: 1000,
        concurrency: 8,
        timeoutMs: 15_000,
        retries: 3,
        idsFilter: true,
        httpClient: 'undici',
        connections: 64,
        v2: { mode: 'auto', recheckMs: 300_000, auth: 'authorization' },
      },
      devBackend: {
        enabled: true,
        host: '127.0.0.1',
        port: 4010,
        dbPath: '.data/dev-backend.sqlite',
        seedAssignments: 2000,
        latencyMs: 0,
        failRate: 0,
        maxPageSize: 1000,
        v2: true,
      },
    });
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', SYNAPSE_BACKEND_URL: '', SYNAPSE_IDS_FILTER: '' }).upstream).toMatchObject({
      baseUrl: undefined,
      idsFilter: true,
    });
    expect(loadConfig({ PORT: '' }).port).toBe(4000);
  });

  it('ignores variables it does not know', () => {
    expect(loadConfig({ SOMETHING_ELSE: 'x', PATH: '/bin' }).port).toBe(4000);
  });
});

describe('loadConfig values', () => {
  it('reads every variable', () => {
    const config = core({
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      PORT: '8080',
      SYNAPSE_BACKEND_URL: 'https://synapse.example.com/api',
      FILE_URL_PREFIX: 'https://cdn.example.com/media/',
      SYNAPSE_PAGE_SIZE: '250',
      SYNAPSE_STREAM_PAGE_SIZE: '500',
      SYNAPSE_CONCURRENCY: '4',
      SYNAPSE_TIMEOUT_MS: '3000',
      SYNAPSE_RETRIES: '0',
      SYNAPSE_IDS_FILTER: 'yes',
      SYNAPSE_HTTP_CLIENT: 'node-fetch',
      SYNAPSE_CONNECTIONS: '16',
      SYNAPSE_API_V2: 'false',
      SYNAPSE_API_V2_RECHECK_MS: '60000',
      SYNAPSE_API_V2_AUTH: 'access-token',
      DEV_BACKEND_HOST: 'localhost',
      DEV_BACKEND_PORT: '0',
      DEV_BACKEND_DB: ':memory:',
      DEV_BACKEND_SEED_ASSIGNMENTS: '50',
      DEV_BACKEND_LATENCY_MS: '25',
      DEV_BACKEND_FAIL_RATE: '0.25',
      DEV_BACKEND_MAX_PAGE_SIZE: '100',
      DEV_BACKEND_V2: 'false',
    });
    expect(config).toEqual({
      env: 'production',
      host: '0.0.0.0',
      port: 8080,
      upstream: {
        baseUrl: 'https://synapse.example.com/api/',
        fileUrlPrefix: 'https://cdn.example.com/media/',
        pageSize: 250,
        streamPageSize: 500,
        concurrency: 4,
        timeoutMs: 3000,
        retries: 0,
        idsFilter: true,
        httpClient: 'node-fetch',
        connections: 16,
        v2: { mode: 'false', recheckMs: 60_000, auth: 'access-token' },
      },
      devBackend: {
        enabled: false,
        host: 'localhost',
        port: 0,
        dbPath: ':memory:',
        seedAssignments: 50,
        latencyMs: 25,
        failRate: 0.25,
        maxPageSize: 100,
        v2: false,
      },
    });
  });

  it('keeps a trailing slash on the backend URL single', () => {
    expect(loadConfig({ SYNAPSE_BACKEND_URL: 'http://127.0.0.1:9000/' }).upstream.baseUrl).toBe('http://127.0.0.1:9000/');
    expect(loadConfig({ SYNAPSE_BACKEND_URL: 'http://127.0.0.1:9000/v1' }).upstream.baseUrl).toBe(
      'http://127.0.0.1:9000/v1/',
    );
  });

  it('turns the ids filter off for a real backend unless SYNAPSE_IDS_FILTER says otherwise', () => {
    const url = 'http://synapse.internal:8000/';
    expect(loadConfig({ SYNAPSE_BACKEND_URL: url }).upstream.idsFilter).toBe(false);
    for (const yes of ['true', '1', 'yes', 'on']) {
      expect(loadConfig({ SYNAPSE_BACKEND_URL: url, SYNAPSE_IDS_FILTER: yes }).upstream.idsFilter).toBe(true);
    }
    for (const no of ['false', '0', 'no', 'off']) {
      expect(loadConfig({ SYNAPSE_IDS_FILTER: no }).upstream.idsFilter).toBe(false);
      expect(loadConfig({ SYNAPSE_BACKEND_URL: url, SYNAPSE_IDS_FILTER: no }).upstream.idsFilter).toBe(false);
    }
  });

  it('accepts the edges of each range', () => {
    expect(loadConfig({ SYNAPSE_PAGE_SIZE: '1' }).upstream.pageSize).toBe(1);
    expect(loadConfig({ SYNAPSE_PAGE_SIZE: '1000' }).upstream.pageSize).toBe(1000);
    expect(loadConfig({ SYNAPSE_CONCURRENCY: '64' }).upstream.concurrency).toBe(64);
    expect(loadConfig({ SYNAPSE_RETRIES: '10' }).upstream.retries).toBe(10);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
    expect(loadConfig({ DEV_BACKEND_FAIL_RATE: '1' }).devBackend.failRate).toBe(1);
  });
});

describe('loadConfig errors', () => {
  it.each([
    ['SYNAPSE_CONCURRENCY', '0'],
    ['SYNAPSE_CONCURRENCY', '65'],
    ['SYNAPSE_CONCURRENCY', '2.5'],
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['SYNAPSE_BACKEND_URL', 'notaurl'],
    ['SYNAPSE_BACKEND_URL', 'ftp://synapse.example.com/'],
    ['DEV_BACKEND_FAIL_RATE', '2'],
    ['DEV_BACKEND_FAIL_RATE', '-0.1'],
    ['SYNAPSE_IDS_FILTER', 'maybe'],
    ['SYNAPSE_PAGE_SIZE', '0'],
    ['SYNAPSE_PAGE_SIZE', '1001'],
    ['SYNAPSE_STREAM_PAGE_SIZE', '0'],
    ['SYNAPSE_STREAM_PAGE_SIZE', '1001'],
    ['SYNAPSE_HTTP_CLIENT', 'fetch'],
    ['SYNAPSE_CONNECTIONS', '0'],
    ['DEV_BACKEND_MAX_PAGE_SIZE', '0'],
    ['SYNAPSE_TIMEOUT_MS', '0'],
    ['SYNAPSE_RETRIES', '11'],
    ['DEV_BACKEND_PORT', 'http'],
    ['DEV_BACKEND_LATENCY_MS', '-5'],
    ['DEV_BACKEND_SEED_ASSIGNMENTS', 'lots'],
    ['NODE_ENV', 'staging'],
  ])('%s=%s throws a ConfigError naming the variable', (name, value) => {
    const error = configErrorOf({ [name]: value });
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain(name);
    expect(error.message).toContain(JSON.stringify(value));
  });

  it('names every bad variable at once, and no good one', () => {
    const error = configErrorOf({ PORT: 'abc', SYNAPSE_CONCURRENCY: '0', SYNAPSE_RETRIES: '2', HOST: 'example' });
    expect(error.message).toContain('PORT');
    expect(error.message).toContain('SYNAPSE_CONCURRENCY');
    expect(error.message).not.toContain('SYNAPSE_RETRIES');
    expect(error.message).not.toContain('HOST');
  });
});
