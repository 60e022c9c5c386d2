import { describe, it, expect } from 'vitest';
import { mulberry32 } from '../../src/dev-backend/prng.ts';
import {
  DEFAULT_RETRY_BUDGET,
  RetryBudget,
  backoffDelay,
  defaultRetryPolicy,
  type RetryBudgetOptions,
  type RetryPolicy,
} from '../../src/upstream/retry.ts';

function policy(random: () => number, baseDelayMs = 100, maxDelayMs = 2_000): RetryPolicy {
  return { retries: 10, baseDelayMs, maxDelayMs, random, budget: new RetryBudget(DEFAULT_RETRY_BUDGET) };
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

/** A budget on a clock the test moves by hand. */
function budgetAt(options: Omit<RetryBudgetOptions, 'now'>): { budget: RetryBudget; clock: { t: number } } {
  const clock = { t: 0 };
  return { budget: new RetryBudget({ ...options, now: () => clock.t }), clock };
}

/** Asks for up to `n` retries at once; how many were granted. */
function take(budget: RetryBudget, n: number): number {
  let granted = 0;
  for (let i = 0; i < n; i++) if (budget.tryAcquire()) granted++;
  return granted;
}

describe('RetryBudget: the ratio', () => {
  it('grants one retry per 1/ratio first attempts, exactly (0.1 × 10 is one whole retry)', () => {
    const { budget } = budgetAt({ ttlMs: 10_000, ratio: 0.1, minPerSecond: 0 });
    expect(budget.tryAcquire()).toBe(false);
    for (let i = 0; i < 9; i++) budget.recordAttempt();
    expect(budget.tryAcquire()).toBe(false);
    budget.recordAttempt();
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false);
  });

  it('allows ratio × first attempts in steady state', () => {
    const { budget, clock } = budgetAt({ ttlMs: 10_000, ratio: 0.2, minPerSecond: 0 });
    let granted = 0;
    for (let i = 0; i < 10_000; i++) {
      clock.t = i * 5;
      budget.recordAttempt();
      if (budget.tryAcquire()) granted++;
    }
    expect(granted).toBe(2_000);
  });

  it('lets deposits expire after the TTL (counted in tenths of it)', () => {
    const { budget, clock } = budgetAt({ ttlMs: 10_000, ratio: 0.5, minPerSecond: 0 });
    clock.t = 500;
    for (let i = 0; i < 4; i++) budget.recordAttempt();
    // Slice [0, 1 s) holds two retries' worth; it leaves the window when slice [10 s, 11 s) begins.
    clock.t = 9_999;
    expect(budget.tryAcquire()).toBe(true);
    clock.t = 10_000;
    expect(budget.tryAcquire()).toBe(false);
  });

  it('keeps a retry paid by the ratio on the books as long as a deposit, so a storm cannot re-spend expired credit', () => {
    const { budget, clock } = budgetAt({ ttlMs: 10_000, ratio: 1, minPerSecond: 0 });
    clock.t = 0;
    budget.recordAttempt();
    clock.t = 9_500;
    expect(budget.tryAcquire()).toBe(true);
    // The deposit has expired, the withdrawal (made in slice 9) has not: nothing is left, and a new
    // deposit only pays the debt back.
    clock.t = 10_000;
    budget.recordAttempt();
    expect(budget.tryAcquire()).toBe(false);
    clock.t = 19_000;
    expect(budget.tryAcquire()).toBe(true);
  });
});

describe('RetryBudget: the floor', () => {
  it('allows minPerSecond retries in any one second with no traffic at all', () => {
    const { budget, clock } = budgetAt({ ttlMs: 10_000, ratio: 0.2, minPerSecond: 3 });
    expect(take(budget, 5)).toBe(3);
    clock.t = 999;
    expect(budget.tryAcquire()).toBe(false);
    clock.t = 1_000;
    expect(take(budget, 5)).toBe(3);
  });

  it('holds exactly minPerSecond in any sliding second, whatever the arrival pattern (seeded)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { budget, clock } = budgetAt({ ttlMs: 10_000, ratio: 0, minPerSecond: 10 });
      const random = mulberry32(seed);
      const grants: number[] = [];
      let unjustified = 0;
      for (let i = 0; i < 20_000; i++) {
        clock.t += random() < 0.05 ? random() * 400 : random() * 3;
        if (budget.tryAcquire()) grants.push(clock.t);
        // A refusal is right only when ten retries were granted within the last second.
        else if (grants.length < 10 || clock.t - grants[grants.length - 10]! >= 1_000) unjustified++;
      }
      let worst = 0;
      for (let i = 0, j = 0; j < grants.length; j++) {
        while (grants[j]! - grants[i]! >= 1_000) i++;
        worst = Math.max(worst, j - i + 1);
      }
      expect({ seed, worst, unjustified }).toEqual({ seed, worst: 10, unjustified: 0 });
    }
  });

  it('is spent before the ratio, whose deposits last longer', () => {
    const { budget, clock } = budgetAt({ ttlMs: 10_000, ratio: 1, minPerSecond: 2 });
    budget.recordAttempt();
    expect(take(budget, 2)).toBe(2);
    clock.t = 5_000;
    // The floor came back; the deposit made at 0 is still there after it.
    expect(take(budget, 4)).toBe(3);
  });

  it('with minPerSecond 0 and ratio 0 never grants', () => {
    const { budget, clock } = budgetAt({ ttlMs: 1_000, ratio: 0, minPerSecond: 0 });
    for (let i = 0; i < 100; i++) {
      clock.t = i * 100;
      budget.recordAttempt();
      expect(budget.tryAcquire()).toBe(false);
    }
  });
});

describe('RetryBudget: storms and recovery (issue #15)', () => {
  /** First attempts spread evenly over [start, start + durationMs), each failing and asking for up to `retries` retries. */
  function storm(budget: RetryBudget, clock: { t: number }, attempts: number, start: number, durationMs: number, retries = 3) {
    let granted = 0;
    for (let i = 0; i < attempts; i++) {
      clock.t = start + (i * durationMs) / attempts;
      budget.recordAttempt();
      for (let r = 0; r < retries && budget.tryAcquire(); r++) granted++;
    }
    return granted;
  }

  it('(b) 2,000 failing first attempts in one second: retries stay within ratio × attempts + floor', () => {
    const { budget, clock } = budgetAt(DEFAULT_RETRY_BUDGET);
    const granted = storm(budget, clock, 2_000, 0, 1_000);
    const bound = DEFAULT_RETRY_BUDGET.ratio * 2_000 + DEFAULT_RETRY_BUDGET.minPerSecond;
    expect(bound).toBe(410);
    expect(granted).toBeLessThanOrEqual(bound);
    // The bound is what it grants, not a loose ceiling: it did spend ratio and floor.
    expect(granted).toBe(410);
  });

  it('a long storm stays within ratio × attempts + floor × seconds, the same at any offset', () => {
    for (const start of [0, 437, 999]) {
      const { budget, clock } = budgetAt(DEFAULT_RETRY_BUDGET);
      const granted = storm(budget, clock, 60_000, start, 30_000);
      expect(granted).toBeLessThanOrEqual(0.2 * 60_000 + 10 * 30);
      expect(granted).toBeGreaterThanOrEqual(0.2 * 60_000);
    }
  });

  it('(c) after an outage, a quiet gateway has its floor back within one second', () => {
    const { budget, clock } = budgetAt(DEFAULT_RETRY_BUDGET);
    storm(budget, clock, 20_000, 0, 10_000);
    // The outage ends with its last call: everything is spent.
    expect(clock.t).toBe(9_999.5);
    expect(budget.tryAcquire()).toBe(false);
    // A quiet gateway: one call at 10.5 s; one second after the outage, the floor is whole again.
    clock.t = 10_500;
    budget.recordAttempt();
    clock.t = 10_999.5;
    expect(take(budget, 10)).toBe(10);
    // Beyond the floor, the storm's retries still weigh on the ratio until they expire with the TTL…
    expect(budget.tryAcquire()).toBe(false);
    // …and once they have, the quiet traffic's own deposits count again.
    clock.t = 20_000;
    for (let i = 0; i < 5; i++) budget.recordAttempt();
    clock.t = 21_000;
    expect(take(budget, 12)).toBe(11);
  });
});

describe('RetryBudget: settings and observers', () => {
  it('refuses impossible settings', () => {
    expect(() => new RetryBudget({ ttlMs: 5, ratio: 0.2, minPerSecond: 10 })).toThrow(RangeError);
    expect(() => new RetryBudget({ ttlMs: 10_000, ratio: -1, minPerSecond: 10 })).toThrow(RangeError);
    expect(() => new RetryBudget({ ttlMs: 10_000, ratio: 0.2, minPerSecond: 1.5 })).toThrow(RangeError);
  });

  it('tells observers every decision', () => {
    const { budget } = budgetAt({ ttlMs: 10_000, ratio: 0, minPerSecond: 2 });
    const seen: string[] = [];
    const stop = budget.observe((outcome) => seen.push(outcome));
    take(budget, 3);
    stop();
    take(budget, 1);
    expect(seen).toEqual(['granted', 'granted', 'refused']);
  });

  it('defaults to Finagle\'s: 10 s TTL, 20 % of first attempts, 10 a second', () => {
    expect(DEFAULT_RETRY_BUDGET).toEqual({ ttlMs: 10_000, ratio: 0.2, minPerSecond: 10 });
  });
});
