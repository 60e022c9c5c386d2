/** How failed idempotent calls are retried: capped exponential backoff with full jitter. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Source of randomness in [0, 1); injectable so tests can bound delays exactly. */
  random: () => number;
  /** Shared budget that stops retries from multiplying load during an outage. */
  budget: RetryBudget;
}

/**
 * Full-jitter backoff (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * a uniform delay in [0, min(cap, base * 2^attempt)). A Retry-After from the
 * upstream is a floor: we never come back sooner than it asked.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterSeconds?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = Math.floor(policy.random() * ceiling);
  const floor = retryAfterSeconds === undefined ? 0 : Math.ceil(retryAfterSeconds * 1000);
  return Math.max(jittered, floor);
}

export interface RetryBudgetOptions {
  /** How long a first attempt's deposit (and a retry paid from it) counts, in ms. */
  ttlMs: number;
  /** Share of the first attempts within `ttlMs` that may be retried (0.2: one retry per five calls). */
  ratio: number;
  /** Retries allowed in any one second whatever the traffic, so a quiet gateway can still retry. */
  minPerSecond: number;
  /** Monotonic clock in ms, injectable so tests can move time. */
  now?: () => number;
}

/** One decision of the budget, for metrics. */
export type RetryBudgetOutcome = 'granted' | 'refused';

/** Slices of the deposit window: expiry happens a tenth of the TTL at a time, as in Finagle. */
const SLICES = 10;
/** Deposits are counted in millionths of a retry, so a ratio of 0.1 earns exactly one retry in ten calls. */
const UNIT = 1_000_000;
const SECOND_MS = 1_000;

/**
 * A retry budget in the model of Finagle's `RetryBudget` (and close to Envoy's):
 * every first attempt deposits `ratio` of a retry, deposits expire after `ttlMs`,
 * and a retry is granted while the window holds at least one whole retry. On top
 * of that, `minPerSecond` retries are always allowed in any one second.
 *
 * Where it departs from Finagle: Finagle's floor is a reserve of minPerSecond × TTL
 * retries inside the same window, so after a storm drains it a quiet client waits a
 * full TTL for it. Here the floor is its own sliding second, so it is back one
 * second after the storm, and it is spent first (it expires soonest), keeping the
 * ratio's deposits for bursts.
 *
 * Memory is fixed whatever the traffic: ten slice sums for the window, and the times
 * of the last `minPerSecond` floor retries.
 */
export class RetryBudget {
  private readonly now: () => number;
  private readonly sliceMs: number;
  private readonly depositUnits: number;
  /** Net units per slice: + deposits, − retries paid by the ratio. */
  private readonly slices = new Float64Array(SLICES);
  /** Index (now / sliceMs, floored) of the slice written last. */
  private currentSlice = Number.NEGATIVE_INFINITY;
  /** Times of the last `minPerSecond` floor retries, oldest at `floorNext`. */
  private readonly floorTimes: Float64Array;
  private floorNext = 0;
  private readonly listeners = new Set<(outcome: RetryBudgetOutcome) => void>();

  constructor(options: RetryBudgetOptions) {
    const { ttlMs, ratio, minPerSecond } = options;
    if (!(Number.isFinite(ttlMs) && ttlMs >= SLICES)) throw new RangeError(`ttlMs must be at least ${SLICES}, got ${ttlMs}`);
    if (!(ratio >= 0 && ratio <= 1000)) throw new RangeError(`ratio must be in [0, 1000], got ${ratio}`);
    if (!(Number.isInteger(minPerSecond) && minPerSecond >= 0)) {
      throw new RangeError(`minPerSecond must be a non-negative integer, got ${minPerSecond}`);
    }
    this.now = options.now ?? (() => performance.now());
    this.sliceMs = ttlMs / SLICES;
    this.depositUnits = Math.round(ratio * UNIT);
    this.floorTimes = new Float64Array(minPerSecond).fill(Number.NEGATIVE_INFINITY);
  }

  /** A first attempt went out: it earns `ratio` of a retry for the next `ttlMs`. */
  recordAttempt(): void {
    const slot = this.rotate();
    this.slices[slot] = this.slices[slot]! + this.depositUnits;
  }

  /** Takes one retry when the floor or the window has one; false means "do not retry now". */
  tryAcquire(): boolean {
    const granted = this.takeFloor() || this.takeDeposit();
    for (const listener of this.listeners) listener(granted ? 'granted' : 'refused');
    return granted;
  }

  /** Subscribes to every decision (metrics); returns the unsubscribe function. */
  observe(listener: (outcome: RetryBudgetOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private takeFloor(): boolean {
    const size = this.floorTimes.length;
    if (size === 0) return false;
    const now = this.now();
    // The oldest of the last `size` floor retries: once it is a second old, one more fits in the second.
    if (now - this.floorTimes[this.floorNext]! < SECOND_MS) return false;
    this.floorTimes[this.floorNext] = now;
    this.floorNext = (this.floorNext + 1) % size;
    return true;
  }

  private takeDeposit(): boolean {
    const slot = this.rotate();
    let balance = 0;
    for (const units of this.slices) balance += units;
    if (balance < UNIT) return false;
    this.slices[slot] = this.slices[slot]! - UNIT;
    return true;
  }

  /** Moves the window to now, emptying the slices that fell out of it; returns the current slice's slot. */
  private rotate(): number {
    const slice = Math.floor(this.now() / this.sliceMs);
    if (slice > this.currentSlice) {
      for (let i = Math.max(this.currentSlice + 1, slice - SLICES + 1); i <= slice; i++) this.slices[slot(i)] = 0;
      this.currentSlice = slice;
    }
    return slot(slice);
  }
}

function slot(slice: number): number {
  return ((slice % SLICES) + SLICES) % SLICES;
}

/** The budget's defaults (SYNAPSE_RETRY_BUDGET_*), the same as Finagle's `RetryBudget()`. */
export const DEFAULT_RETRY_BUDGET: Omit<RetryBudgetOptions, 'now'> = { ttlMs: 10_000, ratio: 0.2, minPerSecond: 10 };

export function defaultRetryPolicy(retries: number): RetryPolicy {
  return { retries, baseDelayMs: 100, maxDelayMs: 2_000, random: Math.random, budget: new RetryBudget(DEFAULT_RETRY_BUDGET) };
}
