import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { mulberry32 } from '../../src/dev-backend/prng.ts';
import { createReliability } from '../../src/reliability/index.ts';
import { DEFAULT_RETRY_BUDGET, RetryBudget } from '../../src/upstream/retry.ts';
import type { WireAssignment, WirePage } from '../../src/contract/index.ts';
import { startCraftedServer, type CraftedServer } from '../helpers/crafted-server.ts';
import { metricValue } from '../helpers/metrics.ts';
import { rest, restTags } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { testClient } from '../helpers/synapse-test-client.ts';
import { getText } from './helpers.ts';

/** A list read plus the tag reads of its four projects: five upstream calls, the query. */
const LIST = /* GraphQL */ `
  query List {
    assignments(first: 50) { totalCount nodes { id status tags { id name } } }
  }
`;
const SET_TAGS = /* GraphQL */ `
  mutation SetTags($input: SetAssignmentTagsInput!) {
    setAssignmentTags(input: $input) { writeCalls userErrors { code } }
  }
`;

const FAIL_RATE = 0.3;
const RETRIES = 3;
const QUERIES = 500;
const CALLS_PER_QUERY = 5;
/** "A few queries a second": the budget's clock moves half a second per query. */
const MS_PER_QUERY = 500;
/** Chance that a sound run lands outside the asserted interval, per side. */
const TAIL = 1e-6;

/** Smallest `lo` and largest `hi` with P(X < lo) ≤ tail and P(X > hi) ≤ tail for X ~ Binomial(n, p). */
function binomialInterval(n: number, p: number, tail: number): { lo: number; hi: number } {
  const pmf: number[] = [];
  let logTerm = n * Math.log1p(-p);
  for (let k = 0; k <= n; k++) {
    pmf.push(Math.exp(logTerm));
    logTerm += Math.log(n - k) - Math.log(k + 1) + Math.log(p) - Math.log1p(-p);
  }
  let lo = 0;
  for (let below = 0; below + pmf[lo]! <= tail; lo++) below += pmf[lo]!;
  let hi = n;
  for (let above = 0; above + pmf[hi]! <= tail; hi--) above += pmf[hi]!;
  return { lo, hi };
}

describe('(a) a quiet gateway under 30 % 503 with SYNAPSE_RETRIES=3 and the default budget', () => {
  let stack: Stack;
  let ids: string[];
  const clock = { t: 0 };

  beforeAll(async () => {
    const env = {
      SYNAPSE_RETRIES: String(RETRIES),
      // Tiny real backoff: the budget runs on the test's clock, the jitter on a seeded PRNG.
      SYNAPSE_RETRY_BASE_MS: '1',
      SYNAPSE_RETRY_MAX_MS: '2',
      // The breaker is another protection with its own tests; here only the budget may refuse.
      BREAKER_ENABLED: 'false',
      // Every query must reach the upstream: a cache hit would be a query that cannot fail.
      RESPONSE_CACHE_TTL_MS: '0',
    };
    const { retryPolicy } = createReliability(loadConfig({ NODE_ENV: 'test', ...env }), {
      now: () => clock.t,
      random: mulberry32(15),
    });
    expect(retryPolicy.budget).toBeInstanceOf(RetryBudget);
    stack = await startStack({ assignments: 200, env, deps: { retryPolicy } });
    const page = await rest<WirePage<WireAssignment>>(stack.backend.url, 'sdk/assignments/?ordering=id&page=1&page_size=50');
    ids = page.results.map((row) => String(row.id));
    // The seed tags no row of project 3 on this page; one tag makes the query read four projects'
    // tags, as in the report (a list read plus four tag reads).
    const untagged = page.results.find((row) => row.project === 3 && row.tags.length === 0)!;
    const [tag] = await restTags(stack.backend.url, 3);
    const response = await fetch(`${stack.backend.url}assignments/set_tags/`, {
      method: 'POST',
      headers: { authorization: `Token ${TOKENS.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ assignment_ids: [untagged.id], tag_ids: [tag!.id] }),
    });
    expect(response.status).toBe(200);
  });
  afterAll(() => stack.close());

  it('refuses no retry over 500 seeded list queries, so only calls that fail four times fail', async () => {
    // With no failures, the query costs exactly the five calls the model below counts.
    stack.backend.resetRequests();
    const clean = await stack.gql(LIST);
    expect(clean.body.errors).toBeUndefined();
    expect(stack.upstreamCalls()).toHaveLength(CALLS_PER_QUERY);
    expect(new Set(stack.upstreamCalls().map((call) => call.method))).toEqual(new Set(['GET']));

    stack.backend.setFaults({ failRate: loadConfig({ DEV_BACKEND_FAIL_RATE: String(FAIL_RATE) }).devBackend.failRate });
    stack.backend.resetRequests();
    let failedQueries = 0;
    let reportedRetries = 0;
    for (let i = 0; i < QUERIES; i++) {
      clock.t += MS_PER_QUERY;
      const { body } = await stack.gql(LIST);
      reportedRetries += body.extensions!['upstream'].retries;
      if (!body.errors) continue;
      failedQueries++;
      expect(body.errors.map((error) => error.extensions!['code'])).toContain('UPSTREAM_UNAVAILABLE');
    }

    const calls = stack.upstreamCalls();
    const unavailable = calls.filter((call) => call.status === 503).length;
    const metrics = (await getText(stack.gateway, '/metrics')).text;
    const granted = metricValue(metrics, 'synapse_upstream_retry_budget_total', { outcome: 'granted' });
    const refused = metricValue(metrics, 'synapse_upstream_retry_budget_total', { outcome: 'refused' });
    // Every 503 was either retried or a call's fourth: a call failed only after four attempts.
    const failedCalls = unavailable - granted;
    const firstAttempts = calls.length - granted;
    const figures = {
      queries: QUERIES,
      failedQueries,
      upstreamRequests: calls.length,
      firstAttempts,
      unavailable,
      granted,
      refused,
      failedCalls,
    };
    console.info(`retry budget (a): ${JSON.stringify(figures)}`);

    expect(refused).toBe(0);
    expect(granted).toBe(reportedRetries);
    expect(metricValue(metrics, 'synapse_upstream_retries_total')).toBe(granted);
    expect(failedCalls).toBeGreaterThanOrEqual(failedQueries);

    // Each attempt fails independently with p = 0.3 (the backend's seeded draw per request), so a
    // call fails with 0.3^4 and a five-call query with 1 − (1 − 0.3^4)^5 ≈ 4 %. The counts must sit
    // inside the binomial interval holding all but 2·10⁻⁶ of sound runs: above it, the budget (or
    // anything else) failed queries that four attempts would have saved; below it, calls were
    // retried more than SYNAPSE_RETRIES allows.
    const perCall = FAIL_RATE ** (RETRIES + 1);
    const perQuery = 1 - (1 - perCall) ** CALLS_PER_QUERY;
    const queryBounds = binomialInterval(QUERIES, perQuery, TAIL);
    expect(queryBounds).toEqual({ lo: expect.any(Number), hi: expect.any(Number) });
    expect(queryBounds.hi).toBeLessThan(QUERIES * 0.1);
    expect(failedQueries).toBeGreaterThanOrEqual(queryBounds.lo);
    expect(failedQueries).toBeLessThanOrEqual(queryBounds.hi);
    const callBounds = binomialInterval(firstAttempts, perCall, TAIL);
    expect(failedCalls).toBeGreaterThanOrEqual(callBounds.lo);
    expect(failedCalls).toBeLessThanOrEqual(callBounds.hi);
  });

  it('(d) writes are still never retried: one POST per mutation, whatever its answer', async () => {
    const posts = () => stack.upstreamCalls().filter((call) => call.method === 'POST');
    let failedWrites = 0;
    for (let i = 0; i < 60 && failedWrites < 3; i++) {
      clock.t += MS_PER_QUERY;
      const before = posts().length;
      await stack.gql(SET_TAGS, { input: { assignmentIds: [ids[i % ids.length]!], tagNames: ['urgent'] } });
      const sent = posts().slice(before);
      expect(sent.length).toBeLessThanOrEqual(1);
      if (sent[0]?.status === 503) failedWrites++;
    }
    expect(failedWrites).toBeGreaterThan(0);
  });
});

describe('(b) a storm through the client: 2,000 first attempts in one second, all failing', () => {
  let server: CraftedServer;
  beforeAll(async () => {
    server = await startCraftedServer();
  });
  afterAll(() => server.close());

  it('sends at most ratio × attempts + floor retries', async () => {
    server.reset({ status: 503, body: { detail: 'down' } });
    const clock = { t: 0 };
    const budget = new RetryBudget({ ...DEFAULT_RETRY_BUDGET, now: () => clock.t });
    const decisions = { granted: 0, refused: 0 };
    budget.observe((outcome) => decisions[outcome]++);
    const client = testClient(server.url, { retryPolicy: { retries: RETRIES, budget }, config: { concurrency: 16 } });
    const attempts = 2_000;
    // Waves of 40 calls, the clock moving 0.5 ms per call: 2,000 first attempts in [0, 1 s).
    for (let wave = 0; wave < attempts / 40; wave++) {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => {
          clock.t = (wave * 40 + i) * 0.5;
          return client.getAssignment(7).catch(() => undefined);
        }),
      );
    }
    expect(clock.t).toBeLessThan(1_000);
    const retries = server.requests.length - attempts;
    const bound = DEFAULT_RETRY_BUDGET.ratio * attempts + DEFAULT_RETRY_BUDGET.minPerSecond;
    console.info(`retry budget (b): ${JSON.stringify({ attempts, requests: server.requests.length, retries, bound, ...decisions })}`);
    expect(client.stats.retries).toBe(retries);
    expect(decisions.granted).toBe(retries);
    expect(retries).toBeLessThanOrEqual(bound);
    // Without a budget this storm would send 3 retries per call (6,000); the ratio is really spent.
    expect(retries).toBeGreaterThanOrEqual(DEFAULT_RETRY_BUDGET.ratio * attempts);
    expect(decisions.refused).toBeGreaterThan(attempts / 2);
  });

  it('asks nothing of the budget for a write, even with the budget full', async () => {
    server.reset({ status: 503, body: { detail: 'down' } });
    const budget = new RetryBudget({ ...DEFAULT_RETRY_BUDGET, now: () => 0 });
    const asked: string[] = [];
    budget.observe((outcome) => asked.push(outcome));
    const client = testClient(server.url, { retryPolicy: { retries: RETRIES, budget } });
    await client.setTags({ assignmentIds: [1], tagIds: [2], mode: 'add', notify: false }).catch(() => undefined);
    expect(server.requests.map((request) => request.method)).toEqual(['POST']);
    expect(asked).toEqual([]);
  });
});
