import type { CallGate } from '../upstream/client.ts';
import { UpstreamError } from '../upstream/errors.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Gauge value of each state, as `synapse_circuit_breaker_state` exports it. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface BreakerOptions {
  /** Open when failures reach this share (in %) of the calls in the window... */
  failureThresholdPercent: number;
  /** ...and the window holds at least this many calls (one bad call of two is not an outage). */
  minRequests: number;
  /** Length of the rolling window over which calls are counted. */
  windowMs: number;
  /** Time spent open before probe calls are let through (half-open). */
  resetMs: number;
  /** Probe calls allowed at once while half-open. */
  halfOpenProbes: number;
  /** Clock in ms, injectable so tests can move time. */
  now?: () => number;
}

/** A state change or a refused call, for metrics and logs. */
export type BreakerEvent =
  | { type: 'state'; from: BreakerState; to: BreakerState; failures: number; calls: number }
  | { type: 'rejected'; state: BreakerState };

const BUCKETS = 10;

interface Bucket {
  start: number;
  successes: number;
  failures: number;
}

/**
 * One circuit breaker per upstream, shared by every request (it holds counts, never
 * caller data). Closed: calls pass and outcomes are counted in a rolling window of
 * ten buckets. When failures reach the threshold over at least `minRequests` calls,
 * it opens: calls fail at once with UPSTREAM_UNAVAILABLE ("circuit open") and never
 * reach the upstream. After `resetMs` it is half-open: up to `halfOpenProbes` calls
 * go through; one success closes it, one failure opens it again.
 *
 * Which outcomes count is the client's choice (see SynapseClient): only "no answer"
 * and 5xx are failures; 4xx answers are successes, since the upstream is alive.
 */
export class CircuitBreaker implements CallGate {
  private current: BreakerState = 'closed';
  private buckets: Bucket[] = [];
  private openedAt = 0;
  private probesInFlight = 0;
  private lastProbeAt = 0;
  private readonly listeners = new Set<(event: BreakerEvent) => void>();
  private readonly now: () => number;
  private readonly bucketMs: number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? (() => performance.now());
    this.bucketMs = Math.max(1, options.windowMs / BUCKETS);
  }

  /** The state now; an open breaker whose reset time has passed reads as half-open. */
  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.resetMs) this.transition('half-open');
    return this.current;
  }

  /** Calls and failures in the rolling window. */
  get window(): { calls: number; failures: number } {
    const since = this.now() - this.options.windowMs;
    let calls = 0;
    let failures = 0;
    for (const bucket of this.buckets) {
      if (bucket.start + this.bucketMs <= since) continue;
      calls += bucket.successes + bucket.failures;
      failures += bucket.failures;
    }
    return { calls, failures };
  }

  /** Subscribes to state changes and refusals; returns the unsubscribe function. */
  observe(listener: (event: BreakerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  assertCanCall(): void {
    const state = this.state;
    if (state === 'closed') return;
    if (state === 'half-open') {
      // A probe whose outcome never came back (its operation was cancelled) must not
      // hold the slot forever: after resetMs another probe may go.
      const stale = this.now() - this.lastProbeAt >= this.options.resetMs;
      if (this.probesInFlight < this.options.halfOpenProbes || stale) {
        if (stale) this.probesInFlight = 0;
        this.probesInFlight++;
        this.lastProbeAt = this.now();
        return;
      }
    }
    this.emit({ type: 'rejected', state });
    const waitMs = state === 'open' ? this.options.resetMs - (this.now() - this.openedAt) : this.options.resetMs;
    throw new UpstreamError({
      status: null,
      code: 'UPSTREAM_UNAVAILABLE',
      message: 'The Synapse backend is unavailable; try again later. (circuit open)',
      retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      requestSent: false,
    });
  }

  recordSuccess(): void {
    const state = this.state;
    if (state === 'half-open') {
      this.probesInFlight = Math.max(0, this.probesInFlight - 1);
      this.transition('closed');
      return;
    }
    // A late answer to a call made before the breaker opened says nothing new.
    if (state === 'closed') this.bucket().successes++;
  }

  recordFailure(): void {
    const state = this.state;
    if (state === 'half-open') {
      this.probesInFlight = Math.max(0, this.probesInFlight - 1);
      this.trip();
      return;
    }
    if (state !== 'closed') return;
    this.bucket().failures++;
    const { calls, failures } = this.window;
    if (calls >= this.options.minRequests && (failures / calls) * 100 >= this.options.failureThresholdPercent) this.trip();
  }

  private trip(): void {
    this.openedAt = this.now();
    this.transition('open');
  }

  private transition(to: BreakerState): void {
    const from = this.current;
    if (from === to) return;
    const { calls, failures } = this.window;
    this.current = to;
    if (to === 'closed' || to === 'open') this.buckets = [];
    if (to === 'half-open') {
      this.probesInFlight = 0;
      this.lastProbeAt = this.now();
    }
    this.emit({ type: 'state', from, to, failures, calls });
  }

  private bucket(): Bucket {
    const now = this.now();
    const start = now - (now % this.bucketMs);
    let last = this.buckets.at(-1);
    if (!last || last.start !== start) {
      last = { start, successes: 0, failures: 0 };
      this.buckets.push(last);
      const oldest = now - this.options.windowMs - this.bucketMs;
      while (this.buckets.length > 0 && this.buckets[0]!.start < oldest) this.buckets.shift();
    }
    return last;
  }

  private emit(event: BreakerEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
