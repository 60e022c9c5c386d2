import { describe, it, expect } from 'vitest';
import { mulberry32 } from '../../src/dev-backend/prng.ts';
import { RetryBudget, backoffDelay, defaultRetryPolicy, type RetryPolicy } from '../../src/upstream/retry.ts';

function policy(random: () => number, baseDelayMs = 100, maxDelayMs = 2_000): RetryPolicy {
  return { retries: 10, baseDelayMs, maxDelayMs, random, budget: new RetryBudget() };
}

const ceiling = (p: RetryPolicy, attempt: number) => Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** attempt);

describe('backoffDelay (full jitter)', () => {
  it('is 0 when random() is 0', () => {
    const p = policy(() => 0);
    for (let attempt = 0; attempt < 12; attempt++) expect(backoffDelay(p, attempt)).toBe(0);
  });

  it('stays strictly below the ceiling when random() is just under 1', () => {
    const p = policy(() => 0.999999);
    for (let attempt = 0; attempt < 12; attempt++) {
      const delay = backoffDelay(p, attempt);
      const cap = ceiling(p, attempt);
      expect(delay).toBeLessThan(cap);
      // And uses (almost) all of the window: the ceiling is not smaller than it should be.
      expect(delay).toBeGreaterThanOrEqual(cap - 1);
    }
  });

  it('grows as base * 2^attempt until the cap', () => {
    const p = policy(() => 0.999999, 100, 2_000);
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(p, a))).toEqual([99, 199, 399, 799, 1599, 1999, 1999]);
  });

  it('keeps every delay of a seeded sequence in [0, min(cap, base * 2^k)) as an integer', () => {
    for (const [base, cap] of [
      [1, 5],
      [100, 2_000],
      [250, 30_000],
      [7, 7],
    ] as const) {
      const p = policy(mulberry32(base * 31 + cap), base, cap);
      const seen = new Set<number>();
      const outOfBounds: { attempt: number; delay: number }[] = [];
      for (let i = 0; i < 2_000; i++) {
        const attempt = i % 12;
        const delay = backoffDelay(p, attempt);
        if (!Number.isInteger(delay) || delay < 0 || delay >= ceiling(p, attempt)) outOfBounds.push({ attempt, delay });
        if (attempt === 11) seen.add(delay);
      }
      expect({ base, cap, outOfBounds }).toEqual({ base, cap, outOfBounds: [] });
      // Jitter really spreads the delays (not a constant).
      if (cap > 10) expect(seen.size).toBeGreaterThan(10);
    }
  });

  it('treats Retry-After as a floor, not a ceiling', () => {
    const low = policy(() => 0);
    const high = policy(() => 0.999999, 1_000, 60_000);
    expect(backoffDelay(low, 0, 1)).toBe(1_000);
    expect(backoffDelay(low, 3, 0.25)).toBe(250);
    expect(backoffDelay(low, 0, 0.0001)).toBe(1);
    expect(backoffDelay(low, 0, 0)).toBe(0);
    // A jittered delay above the floor wins.
    expect(backoffDelay(high, 5, 1)).toBe(31_999);
    for (let attempt = 0; attempt < 8; attempt++) {
      expect(backoffDelay(policy(mulberry32(attempt)), attempt, 3)).toBeGreaterThanOrEqual(3_000);
    }
  });

  it('the default policy uses Math.random with a 100 ms base and a 2 s cap', () => {
    const p = defaultRetryPolicy(4);
    expect(p.retries).toBe(4);
    expect(p.random).toBe(Math.random);
    for (let attempt = 0; attempt < 10; attempt++) {
      const delay = backoffDelay(p, attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(2_000, 100 * 2 ** attempt));
    }
  });
});

describe('RetryBudget', () => {
  it('spends the reserve, then refuses until enough first attempts are recorded', () => {
    const budget = new RetryBudget(0.1, 3);
    expect(budget.available).toBe(3);
    expect([budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()]).toEqual([true, true, true]);
    expect(budget.tryAcquire()).toBe(false);
    for (let i = 0; i < 9; i++) budget.recordAttempt();
    // 0.9 tokens: still not a whole retry.
    expect(budget.tryAcquire()).toBe(false);
    // The tenth attempt at ratio 0.1 earns one retry (0.1 summed ten times is 0.9999999999999999).
    budget.recordAttempt();
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false);
  });

  it('allows about ratio retries per attempt in steady state', () => {
    const budget = new RetryBudget(0.1, 1);
    expect(budget.tryAcquire()).toBe(true);
    let granted = 0;
    for (let i = 0; i < 1_000; i++) {
      budget.recordAttempt();
      if (budget.tryAcquire()) granted++;
    }
    expect(granted).toBeGreaterThanOrEqual(99);
    expect(granted).toBeLessThanOrEqual(101);
  });

  it('never holds more than the reserve', () => {
    const budget = new RetryBudget(0.5, 2);
    for (let i = 0; i < 100; i++) budget.recordAttempt();
    expect(budget.available).toBe(2);
    expect([budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()]).toEqual([true, true, false]);
  });
});
