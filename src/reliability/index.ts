import type { Config } from '../config.ts';
import { RetryBudget, type RetryPolicy } from '../upstream/retry.ts';
import { CircuitBreaker } from './breaker.ts';
import { OperationDeadlines } from './deadline.ts';

export { CircuitBreaker, type BreakerState } from './breaker.ts';
export { OperationDeadlines } from './deadline.ts';

/** What keeps one gateway's upstream calls bounded: shared by its requests, holding no caller data. */
export interface Reliability {
  /** One per upstream; undefined when BREAKER_ENABLED=false. */
  breaker: CircuitBreaker | undefined;
  /** One policy, so one retry budget, for every request of the gateway. */
  retryPolicy: RetryPolicy;
  deadlines: OperationDeadlines;
}

/** Clock and randomness of the retry policy; tests inject them to count, never to time. */
export interface ReliabilitySources {
  /** Monotonic ms for the retry budget (default performance.now). */
  now?: () => number;
  /** Backoff jitter in [0, 1) (default Math.random). */
  random?: () => number;
}

export function createReliability(config: Config, sources: ReliabilitySources = {}): Reliability {
  const { breaker, retry, operationTimeoutMs } = config.reliability;
  return {
    breaker: breaker.enabled ? new CircuitBreaker(breaker) : undefined,
    retryPolicy: {
      retries: config.upstream.retries,
      baseDelayMs: retry.baseMs,
      maxDelayMs: retry.maxMs,
      random: sources.random ?? Math.random,
      budget: new RetryBudget({ ...retry.budget, ...(sources.now ? { now: sources.now } : {}) }),
    },
    deadlines: new OperationDeadlines(operationTimeoutMs),
  };
}
