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

/**
 * A token bucket shared by all callers of one upstream: each first attempt deposits
 * `ratio` tokens, each retry spends one. With ratio 0.1 retries stay under about
 * 10% of traffic once `reserve` is spent (the Grafbase/Envoy retry-budget idea).
 */
export class RetryBudget {
  private tokens: number;

  constructor(
    private readonly ratio = 0.1,
    private readonly reserve = 20,
  ) {
    this.tokens = reserve;
  }

  recordAttempt(): void {
    this.tokens = Math.min(this.reserve, this.tokens + this.ratio);
  }

  /** Takes one token when there is one; false means "do not retry now". */
  tryAcquire(): boolean {
    // Tolerance: 0.1 added ten times is 0.9999999999999999, which would make the ratio 1/11.
    if (this.tokens < 1 - 1e-9) return false;
    this.tokens -= 1;
    return true;
  }

  get available(): number {
    return this.tokens;
  }
}

export function defaultRetryPolicy(retries: number): RetryPolicy {
  return { retries, baseDelayMs: 100, maxDelayMs: 2_000, random: Math.random, budget: new RetryBudget() };
}
