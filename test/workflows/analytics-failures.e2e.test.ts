import { afterEach, describe, expect, it } from 'vitest';
import { RetryBudget } from '../../src/upstream/retry.ts';
import { restAll } from '../helpers/rest.ts';
import { SEED_NOW, startStack, type Stack } from '../helpers/stack.ts';
import { ANALYTICS, expectedAnalytics, roundFloats } from './oracle.ts';

describe('assignmentAnalytics when upstream pages fail', () => {
  let stack: Stack | undefined;
  afterEach(() => stack?.close());

  it('fails with UPSTREAM_UNAVAILABLE rather than answering from the pages that did arrive', async () => {
    stack = await startStack({ assignments: 3000, projects: 1, upstream: { pageSize: 50, streamPageSize: 50, retries: 0 } });
    stack.backend.setFaults({ failRate: 0.5 });
    const { body } = await stack.gql(ANALYTICS, { days: 60 });
    expect(body.data).toEqual({ assignmentAnalytics: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
    const answered = stack.backend.requests.filter((r) => r.status === 200);
    expect(answered.length).toBeGreaterThan(0);
    expect(stack.backend.requests.some((r) => r.status === 503)).toBe(true);
  });

  it('retries failed pages like any idempotent GET and then matches the oracle exactly', async () => {
    stack = await startStack({
      assignments: 3000,
      projects: 1,
      upstream: { pageSize: 50, streamPageSize: 50, retries: 5 },
      deps: {
        retryPolicy: {
          retries: 5,
          baseDelayMs: 1,
          maxDelayMs: 5,
          random: Math.random,
          budget: new RetryBudget({ ttlMs: 10_000, ratio: 0.5, minPerSecond: 1_000 }),
        },
      },
    });
    const expected = expectedAnalytics(await restAll(stack.backend.url, ''), SEED_NOW, 60);
    stack.backend.setFaults({ failRate: 0.2 });
    const { body } = await stack.gql(ANALYTICS, { days: 60 });
    expect(body.errors).toBeUndefined();
    expect(roundFloats(body.data!.assignmentAnalytics)).toEqual(roundFloats(expected));
    expect(body.extensions!.upstream.retries).toBeGreaterThan(0);
    expect(stack.backend.requests.filter((r) => r.status === 503).length).toBe(body.extensions!.upstream.retries);
  });
});
