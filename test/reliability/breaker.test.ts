import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CircuitBreaker, type BreakerOptions } from '../../src/reliability/breaker.ts';
import type { SynapseClient } from '../../src/upstream/client.ts';
import { UpstreamError } from '../../src/upstream/errors.ts';
import { RetryBudget } from '../../src/upstream/retry.ts';
import { startCraftedServer, type CraftedServer } from '../helpers/crafted-server.ts';
import { testClient } from '../helpers/synapse-test-client.ts';

/** A breaker on a clock the test moves by hand. */
function breakerAt(options: Partial<BreakerOptions> = {}) {
  const clock = { now: 1_000_000 };
  const breaker = new CircuitBreaker({
    failureThresholdPercent: 50,
    minRequests: 4,
    windowMs: 10_000,
    resetMs: 5_000,
    halfOpenProbes: 1,
    now: () => clock.now,
    ...options,
  });
  const events: string[] = [];
  breaker.observe((event) => events.push(event.type === 'state' ? `${event.from}->${event.to}` : 'rejected'));
  return { breaker, clock, events };
}

function refusal(breaker: CircuitBreaker): UpstreamError | undefined {
  try {
    breaker.assertCanCall();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(UpstreamError);
    return error as UpstreamError;
  }
}

describe('CircuitBreaker state transitions', () => {
  it('stays closed below the minimum volume, even when every call fails', () => {
    const { breaker } = breakerAt({ minRequests: 5 });
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    expect(breaker.state).toBe('closed');
    expect(refusal(breaker)).toBeUndefined();
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
  });

  it('opens when failures reach the threshold share of the window, not before', () => {
    const { breaker, events } = breakerAt({ failureThresholdPercent: 50, minRequests: 4 });
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.recordFailure();
    breaker.recordFailure();
    // 2 of 5 = 40 %.
    expect(breaker.state).toBe('closed');
    breaker.recordFailure();
    // 3 of 6 = 50 %.
    expect(breaker.state).toBe('open');
    expect(events).toEqual(['closed->open']);
  });

  it('when open, refuses at once with a retryable UPSTREAM_UNAVAILABLE "circuit open" and a Retry-After', () => {
    const { breaker, clock, events } = breakerAt();
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    clock.now += 1_200;
    const error = refusal(breaker)!;
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.status).toBeNull();
    expect(error.message).toMatch(/circuit open/);
    // 3.8 s of the 5 s reset left.
    expect(error.retryAfterSeconds).toBe(4);
    expect(events).toEqual(['closed->open', 'rejected']);
  });

  it('forgets failures older than the window', () => {
    const { breaker, clock } = breakerAt({ minRequests: 4, windowMs: 10_000 });
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordFailure();
    clock.now += 11_000;
    breaker.recordFailure();
    expect(breaker.window).toEqual({ calls: 1, failures: 1 });
    expect(breaker.state).toBe('closed');
  });

  it('goes half-open after resetMs and lets only the allowed number of probes through', () => {
    const { breaker, clock } = breakerAt({ halfOpenProbes: 2 });
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    clock.now += 4_999;
    expect(breaker.state).toBe('open');
    clock.now += 1;
    expect(breaker.state).toBe('half-open');
    expect(refusal(breaker)).toBeUndefined();
    expect(refusal(breaker)).toBeUndefined();
    expect(refusal(breaker)?.message).toMatch(/circuit open/);
  });

  it('a probe success closes it, with an empty window', () => {
    const { breaker, clock, events } = breakerAt();
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    clock.now += 5_000;
    breaker.assertCanCall();
    breaker.recordSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.window).toEqual({ calls: 0, failures: 0 });
    expect(events).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('a probe failure opens it again for another resetMs', () => {
    const { breaker, clock } = breakerAt();
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    clock.now += 5_000;
    breaker.assertCanCall();
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    clock.now += 4_999;
    expect(breaker.state).toBe('open');
    clock.now += 1;
    expect(breaker.state).toBe('half-open');
  });

  it('a probe whose outcome never comes (its operation was cancelled) frees its slot after resetMs', () => {
    const { breaker, clock } = breakerAt();
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    clock.now += 5_000;
    breaker.assertCanCall();
    expect(refusal(breaker)).toBeDefined();
    clock.now += 5_000;
    expect(refusal(breaker)).toBeUndefined();
  });

  it('ignores late outcomes of calls made before it opened', () => {
    const { breaker, clock } = breakerAt();
    for (let i = 0; i < 4; i++) breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    clock.now += 5_000;
    expect(breaker.state).toBe('half-open');
  });
});

describe('what counts against the breaker (through the client)', () => {
  let server: CraftedServer;
  beforeAll(async () => {
    server = await startCraftedServer();
  });
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  /** A client with no retries, gated by `breaker`. */
  function gatedClient(breaker: CircuitBreaker, signal?: AbortSignal): SynapseClient {
    return testClient(server.url, {
      config: { timeoutMs: 5_000 },
      ...(signal ? { signal } : {}),
      retryPolicy: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, random: () => 0, budget: new RetryBudget({ ttlMs: 10_000, ratio: 0, minPerSecond: 0 }) },
      gate: breaker,
    });
  }

  it.each([400, 401, 403, 404, 429])('%i answers never open it', async (status) => {
    const { breaker } = breakerAt({ minRequests: 2 });
    server.reset({ status, body: { detail: 'no' } });
    const client = gatedClient(breaker);
    for (let i = 0; i < 6; i++) await client.getAssignment(1).catch(() => undefined);
    expect(server.requests).toHaveLength(6);
    expect(breaker.state).toBe('closed');
    expect(breaker.window).toEqual({ calls: 6, failures: 0 });
  });

  it('5xx answers and connection resets open it; then no request leaves', async () => {
    const { breaker } = breakerAt({ minRequests: 4 });
    server.script({ status: 500, body: '' }, { status: 503, body: '' }, { reset: true }, { status: 502, body: '' });
    const client = gatedClient(breaker);
    for (let i = 0; i < 4; i++) await client.getAssignment(1).catch(() => undefined);
    expect(breaker.state).toBe('open');
    const errors = await Promise.all(Array.from({ length: 5 }, () => client.getAssignment(1).catch((e: unknown) => e)));
    for (const error of errors) expect((error as UpstreamError).message).toMatch(/circuit open/);
    expect(server.requests).toHaveLength(4);
  });

  it('a call cancelled by its operation does not count', async () => {
    const { breaker } = breakerAt({ minRequests: 1 });
    server.reset({ hang: true });
    const controller = new AbortController();
    const call = gatedClient(breaker, controller.signal).getAssignment(1).catch((e: unknown) => e);
    await server.waitForRequests(1);
    controller.abort();
    expect(((await call) as UpstreamError).message).toMatch(/request cancelled/);
    expect(breaker.window).toEqual({ calls: 0, failures: 0 });
    expect(breaker.state).toBe('closed');
  });
});
