import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { mulberry32 } from '../../src/dev-backend/prng.ts';
import { createReliability } from '../../src/reliability/index.ts';
import { backoffDelay } from '../../src/upstream/retry.ts';
import { startCraftedServer, type CraftedServer } from '../helpers/crafted-server.ts';
import { metricValue } from '../helpers/metrics.ts';
import { SAMPLE_ASSIGNMENT } from '../helpers/synapse-test-client.ts';
import { gatewayFor, getText, gql } from './helpers.ts';

const ROW = SAMPLE_ASSIGNMENT;
const PAGE = { status: 200, body: { count: 1, next: null, previous: null, results: [ROW] } } as const;
const UNAVAILABLE = { status: 503, body: { detail: 'down' } } as const;
const DETAIL = '{ assignment(id: 7) { id } }';

describe('retry policy from SYNAPSE_RETRY_*', () => {
  it('keeps seeded delays within the full-jitter window [0, min(max, base * 2^k))', () => {
    const { retryPolicy } = createReliability(loadConfig({ SYNAPSE_RETRY_BASE_MS: '50', SYNAPSE_RETRY_MAX_MS: '400', SYNAPSE_RETRIES: '4' }));
    expect(retryPolicy).toMatchObject({ retries: 4, baseDelayMs: 50, maxDelayMs: 400 });
    const seeded = { ...retryPolicy, random: mulberry32(42) };
    const maxSeen = [0, 0, 0, 0, 0];
    for (let i = 0; i < 5_000; i++) {
      const attempt = i % 5;
      const delay = backoffDelay(seeded, attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(400, 50 * 2 ** attempt));
      maxSeen[attempt] = Math.max(maxSeen[attempt]!, delay);
    }
    // Each window is used up to near its top (50, 100, 200, 400, 400): the bound is the real one.
    maxSeen.forEach((max, k) => expect(max).toBeGreaterThanOrEqual(0.95 * Math.min(400, 50 * 2 ** k)));
  });
});

describe('retries through the gateway', () => {
  let server: CraftedServer;
  beforeAll(async () => {
    server = await startCraftedServer();
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  /** The policy SYNAPSE_RETRY_* gives, with the budget's clock frozen: every operation happens in the same instant. */
  function frozenPolicy(env: Record<string, string>) {
    return createReliability(loadConfig({ NODE_ENV: 'test', ...env }), { now: () => 0 }).retryPolicy;
  }

  it('one retry budget is shared by all operations: ratio 0 and a floor of 5 a second allow 5 retries in a second', async () => {
    server.reset(UNAVAILABLE);
    const env = {
      SYNAPSE_RETRIES: '3',
      SYNAPSE_RETRY_BASE_MS: '1',
      SYNAPSE_RETRY_MAX_MS: '2',
      SYNAPSE_RETRY_BUDGET_RATIO: '0',
      SYNAPSE_RETRY_BUDGET_MIN_PER_SECOND: '5',
      BREAKER_ENABLED: 'false',
    };
    const { gateway } = gatewayFor(server.url, env, { retryPolicy: frozenPolicy(env) });
    let reported = 0;
    for (let i = 0; i < 4; i++) {
      const { body } = await gql(gateway, DETAIL);
      expect(body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
      reported += body.extensions!['upstream'].retries;
    }
    expect(reported).toBe(5);
    expect(server.requests).toHaveLength(4 + 5);
    const metrics = (await getText(gateway, '/metrics')).text;
    expect(metricValue(metrics, 'synapse_upstream_retries_total')).toBe(5);
    // The first operation got 3, the second 2 and then a refusal; the last two were refused at once.
    expect(metricValue(metrics, 'synapse_upstream_retry_budget_total', { outcome: 'granted' })).toBe(5);
    expect(metricValue(metrics, 'synapse_upstream_retry_budget_total', { outcome: 'refused' })).toBe(3);
  });

  it('both budget series are exported before any retry, at 0', async () => {
    const { gateway } = gatewayFor(server.url);
    const metrics = (await getText(gateway, '/metrics')).text;
    expect(metrics).toContain('synapse_upstream_retry_budget_total{outcome="granted"} 0');
    expect(metrics).toContain('synapse_upstream_retry_budget_total{outcome="refused"} 0');
  });

  it('with the default budget, an outage cannot multiply the load by the retry count', async () => {
    server.reset(UNAVAILABLE);
    const env = { SYNAPSE_RETRY_BASE_MS: '1', SYNAPSE_RETRY_MAX_MS: '2', BREAKER_ENABLED: 'false' };
    const { gateway } = gatewayFor(server.url, env, { retryPolicy: frozenPolicy(env) });
    const operations = 100;
    for (let i = 0; i < operations; i += 10) await Promise.all(Array.from({ length: 10 }, () => gql(gateway, DETAIL)));
    // Without a budget: 100 × (1 + 3) = 400 requests. With it, in one second: 100 + 20 % of 100 + the floor (10).
    expect(server.requests.length).toBeGreaterThan(operations);
    expect(server.requests.length).toBeLessThanOrEqual(operations + 20 + 10);
  });

  it('Retry-After is honoured: no retry before the upstream said', async () => {
    server.script({ status: 429, body: '{}', headers: { 'Retry-After': '1' } }, PAGE);
    const { gateway } = gatewayFor(server.url, { SYNAPSE_RETRY_BASE_MS: '1', SYNAPSE_RETRY_MAX_MS: '2' });
    const { body } = await gql(gateway, DETAIL);
    expect(body.errors).toBeUndefined();
    expect(body.extensions!['upstream']).toMatchObject({ requests: 2, retries: 1 });
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(1_000);
  });

  it('a Retry-After beyond the operation deadline is answered at once, with the delay, instead of waiting it out', async () => {
    server.script({ status: 503, body: '{}', headers: { 'Retry-After': '120' } }, PAGE);
    const { gateway } = gatewayFor(server.url, { OPERATION_TIMEOUT_MS: '5000' });
    const started = performance.now();
    const { body } = await gql(gateway, DETAIL);
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(server.requests).toHaveLength(1);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true, retryAfterSeconds: 120 });
  });
});
