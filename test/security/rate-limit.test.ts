import { parse } from 'graphql';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCallerLimiter, expensiveFieldCount } from '../../src/security/rate-limit.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { EXAMPLE_OPERATIONS, expectRequestIds, post } from './helpers.ts';

describe('createCallerLimiter (in memory)', () => {
  afterEach(() => vi.useRealTimers());

  it('grants perMinute per caller in a minute window, says what is left and when it resets, then refuses until then', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const limit = createCallerLimiter(3);
    const start = Date.now();
    const granted = [await limit('a', 1), await limit('a', 1), await limit('a', 1)];
    expect(granted.map((g) => [g.granted, g.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
    ]);
    expect(granted[0]!.resetAt).toBe(start + 60_000);
    vi.advanceTimersByTime(20_000);
    const refused = await limit('a', 1);
    expect(refused).toMatchObject({ granted: false, remaining: 0, retryAfterSeconds: 40, resetAt: start + 60_000 });
    expect((await limit('b', 1)).granted).toBe(true);
    vi.advanceTimersByTime(40_001);
    expect(await limit('a', 3)).toMatchObject({ granted: true, remaining: 0 });
  });

  it('refuses an operation heavier than the whole minute outright, taking nothing', async () => {
    const limit = createCallerLimiter(5);
    expect(await limit('a', 6)).toMatchObject({ granted: false, remaining: 5, retryAfterSeconds: 60 });
    expect(await limit('a', 5)).toMatchObject({ granted: true, remaining: 0 });
  });
});

describe('expensiveFieldCount', () => {
  const count = (query: string, variables: Record<string, unknown> = {}, operationName?: string) =>
    expensiveFieldCount(parse(query), operationName, variables);

  it('counts analytics, the queue and every workflow mutation', () => {
    expect(count(EXAMPLE_OPERATIONS.analytics!)).toBe(1);
    expect(count(EXAMPLE_OPERATIONS.queue!)).toBe(1);
    expect(count(EXAMPLE_OPERATIONS.qualityReview!)).toBe(1);
    expect(count(EXAMPLE_OPERATIONS.tiers!)).toBe(1);
    expect(count(EXAMPLE_OPERATIONS.automation!)).toBe(1);
    expect(count('{ assignment(id: 1) { id } tags(projectId: 1) { id } }')).toBe(0);
  });

  it('counts pages over 50 and id lists over 100, from literals or variables', () => {
    expect(count('{ assignments(first: 50) { totalCount } }')).toBe(0);
    expect(count('{ assignments(first: 51) { totalCount } }')).toBe(1);
    expect(count('{ assignments(last: 100) { totalCount } }')).toBe(1);
    expect(count('{ assignments { totalCount } }')).toBe(0);
    expect(count('query($n: Int) { assignments(first: $n) { totalCount } }', { n: 80 })).toBe(1);
    expect(count('query($n: Int) { assignments(first: $n) { totalCount } }', { n: 20 })).toBe(0);
    const ids = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));
    expect(count(`{ assignmentsByIds(ids: [${ids(100).join(',')}]) { id } }`)).toBe(0);
    expect(count(`{ assignmentsByIds(ids: [${ids(101).join(',')}]) { id } }`)).toBe(1);
    expect(count('query($ids: [ID!]!) { assignmentsByIds(ids: $ids) { id } }', { ids: ids(101) })).toBe(1);
  });

  it('counts each alias, looks through fragments, and only in the operation that runs', () => {
    expect(count('{ a: assignmentQueue { pendingCount } b: assignmentQueue { pendingCount } }')).toBe(2);
    expect(count('{ ...F ... on Query { assignmentQueue { pendingCount } } } fragment F on Query { q: assignmentQueue { pendingCount } }')).toBe(2);
    expect(count('{ ...F } fragment F on Query { ...G } fragment G on Query { ...F assignmentQueue { pendingCount } }')).toBe(1);
    const two = 'query Cheap { __typename } query Costly { assignmentQueue { pendingCount } }';
    expect(count(two, {}, 'Cheap')).toBe(0);
    expect(count(two, {}, 'Costly')).toBe(1);
  });
});

describe('per-caller limit of expensive operations', () => {
  let stack: Stack;
  const BIG_PAGE = '{ assignments(first: 100) { nodes { id } } }';

  beforeAll(async () => {
    stack = await startStack({ assignments: 150, env: { RATE_LIMIT_EXPENSIVE_PER_MINUTE: '3' } });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.backend.resetRequests());

  it('refuses the caller over the limit with RATE_LIMITED, 429, Retry-After, before any upstream call', async () => {
    const remaining: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const ok = await post(stack.gateway, { query: BIG_PAGE }, { token: TOKENS.alice });
      expect(ok.body.errors).toBeUndefined();
      // GitHub's model: what counted says how much is left and when the allowance is whole again.
      const rateLimit = ok.body.extensions.rateLimit;
      expect(rateLimit.limit).toBe(3);
      remaining.push(rateLimit.remaining);
      const resetAt = Date.parse(rateLimit.resetAt);
      expect(resetAt).toBeGreaterThan(started);
      expect(resetAt).toBeLessThanOrEqual(Date.now() + 60_000);
    }
    expect(remaining).toEqual([2, 1, 0]);
    stack.backend.resetRequests();
    const refused = await post(stack.gateway, { query: BIG_PAGE }, { token: TOKENS.alice });
    expect(refused.status).toBe(429);
    expect(refused.body.data).toBeNull();
    const error = refused.body.errors[0];
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    expect(error.extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.extensions.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(refused.headers.get('retry-after')).toBe(String(error.extensions.retryAfterSeconds));
    expect(error.message).toMatch(/^Too many expensive operations \(at most 3 per minute per token\); retry in \d+ s\.$/);
    expect(error.extensions).not.toHaveProperty('http');
    expect(refused.body.extensions.rateLimit).toMatchObject({ limit: 3, remaining: 0 });
    expectRequestIds(refused);
    expect(stack.backend.requests).toHaveLength(0);
  });

  it('leaves cheap operations and other callers alone (a cheap answer carries no rateLimit: it did not count)', async () => {
    const cheap = await post(stack.gateway, { query: '{ assignments(first: 10) { nodes { id } } }' }, { token: TOKENS.alice });
    expect(cheap.body.errors).toBeUndefined();
    expect(cheap.body.extensions).not.toHaveProperty('rateLimit');
    const other = await post(stack.gateway, { query: BIG_PAGE }, { token: TOKENS.bob });
    expect(other.body.errors).toBeUndefined();
    expect(other.body.extensions.rateLimit).toMatchObject({ limit: 3, remaining: 2 });
  });

  it('weighs aliases: an operation with more expensive fields than the minute allows is refused outright', async () => {
    const four = `{ ${[1, 2, 3, 4].map((i) => `p${i}: assignments(first: 100, after: null) { totalCount }`).join(' ')} }`;
    const response = await post(stack.gateway, { query: four }, { token: TOKENS.viewer });
    expect(response.status).toBe(429);
    expect(response.body.errors[0].message).toBe('This operation has 4 expensive fields; at most 3 are allowed per minute.');
    expect(stack.backend.requests).toHaveLength(0);
  });

  it('RATE_LIMIT_EXPENSIVE_PER_MINUTE=0 turns it off', async () => {
    const unlimited = await startStack({ assignments: 120, env: { RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0' } });
    try {
      for (let i = 0; i < 5; i++) {
        const response = await post(unlimited.gateway, { query: BIG_PAGE });
        expect(response.status).toBe(200);
        expect(response.body.extensions).not.toHaveProperty('rateLimit');
      }
    } finally {
      await unlimited.close();
    }
  });
});
