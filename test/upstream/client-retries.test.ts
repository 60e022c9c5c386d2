import { afterAll, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import { UpstreamError } from '../../src/upstream/errors.ts';
import { RetryBudget } from '../../src/upstream/retry.ts';
import { startCraftedServer, type CraftedServer } from '../helpers/crafted-server.ts';
import { rejectionOf, testClient as baseTestClient, SAMPLE_ASSIGNMENT, TRANSPORTS, type TestClientOptions } from '../helpers/synapse-test-client.ts';

const ASSIGNMENT = SAMPLE_ASSIGNMENT;
const UNAVAILABLE = { status: 503, body: { detail: 'down' } } as const;

let server: CraftedServer;

beforeAll(async () => {
  server = await startCraftedServer();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.reset();
});

async function upstreamErrorOf(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

describe.each(TRANSPORTS)('over the %s transport', (transport) => {
  const testClient = (url: string, options: TestClientOptions = {}) => baseTestClient(url, { ...options, transport });

  describe('retries of GETs', () => {
    it.each([0, 1, 3, 5])('a 503 is retried exactly %i time(s) when retries allow it', async (retries) => {
      server.reset(UNAVAILABLE);
      const client = testClient(server.url, { retryPolicy: { retries } });
      const error = await upstreamErrorOf(client.getAssignment(7));
      expect(error.status).toBe(503);
      expect(server.requests).toHaveLength(retries + 1);
      expect(client.stats.requests).toBe(retries + 1);
      expect(client.stats.retries).toBe(retries);
    });

    it.each([1, 2, 3])('succeeds after %i failure(s) when retries allow it', async (failures) => {
      server.script(...Array.from({ length: failures }, () => UNAVAILABLE), { status: 200, body: ASSIGNMENT });
      const client = testClient(server.url, { retryPolicy: { retries: 3 } });
      await expect(client.getAssignment(7)).resolves.toEqual(ASSIGNMENT);
      expect(server.requests).toHaveLength(failures + 1);
      expect(client.stats.retries).toBe(failures);
    });

    it('fails when the failures outnumber the retries, even if the next answer would be fine', async () => {
      server.script(UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, { status: 200, body: ASSIGNMENT });
      const client = testClient(server.url, { retryPolicy: { retries: 2 } });
      expect((await upstreamErrorOf(client.getAssignment(7))).status).toBe(503);
      expect(server.requests).toHaveLength(3);
    });

    it.each([400, 401, 403, 404, 500])('a %i is not retried', async (status) => {
      server.reset({ status, body: { detail: 'no' } });
      const client = testClient(server.url, { retryPolicy: { retries: 3 } });
      expect((await upstreamErrorOf(client.getAssignment(7))).status).toBe(status);
      expect(server.requests).toHaveLength(1);
      expect(client.stats.retries).toBe(0);
    });

    it('502 and 504 are retried like 503', async () => {
      server.script({ status: 502, body: '' }, { status: 504, body: '' }, { status: 200, body: ASSIGNMENT });
      const client = testClient(server.url, { retryPolicy: { retries: 3 } });
      await expect(client.getAssignment(7)).resolves.toEqual(ASSIGNMENT);
      expect(server.requests).toHaveLength(3);
    });

    it('a connection reset is retried for a GET', async () => {
      server.script({ reset: true }, { status: 200, body: ASSIGNMENT });
      const client = testClient(server.url, { retryPolicy: { retries: 3 } });
      await expect(client.getAssignment(7)).resolves.toEqual(ASSIGNMENT);
      expect(server.requests).toHaveLength(2);
      expect(client.stats.retries).toBe(1);
    });

    it('429 with Retry-After: 1 waits at least one second before the retry', async () => {
      server.script({ status: 429, body: '{}', headers: { 'Retry-After': '1' } }, { status: 200, body: ASSIGNMENT });
      // random() = 0 makes the jittered delay 0, so only Retry-After can explain the gap.
      const client = testClient(server.url, { retryPolicy: { retries: 1, random: () => 0 } });
      await expect(client.getAssignment(7)).resolves.toEqual(ASSIGNMENT);
      expect(server.requests).toHaveLength(2);
      const gap = server.requests[1]!.at - server.requests[0]!.at;
      expect(gap).toBeGreaterThanOrEqual(1000);
    });

    it('the jittered backoff stays within its window between attempts', async () => {
      server.reset(UNAVAILABLE);
      // random() just under 1: delays just under 20, 40, 80 ms; the cap is 80 ms.
      const client = testClient(server.url, {
        retryPolicy: { retries: 3, baseDelayMs: 20, maxDelayMs: 80, random: () => 0.999 },
      });
      await upstreamErrorOf(client.getAssignment(7));
      expect(server.requests).toHaveLength(4);
      const gaps = server.requests.slice(1).map((r, i) => r.at - server.requests[i]!.at);
      // Lower bounds only (timers never fire early by more than a millisecond).
      expect(gaps[0]).toBeGreaterThanOrEqual(18);
      expect(gaps[1]).toBeGreaterThanOrEqual(38);
      expect(gaps[2]).toBeGreaterThanOrEqual(78);
    });

    it('stops retrying once the shared retry budget is spent', async () => {
      server.reset(UNAVAILABLE);
      // A frozen clock: two retries a second from the floor, and no ratio.
      const budget = new RetryBudget({ ttlMs: 10_000, ratio: 0, minPerSecond: 2, now: () => 0 });
      const client = testClient(server.url, { retryPolicy: { retries: 5, budget } });
      await upstreamErrorOf(client.getAssignment(7));
      // Two retries from the floor, then the budget refuses.
      expect(server.requests).toHaveLength(3);
      expect(client.stats.retries).toBe(2);
      server.reset(UNAVAILABLE);
      await upstreamErrorOf(testClient(server.url, { retryPolicy: { retries: 5, budget } }).getAssignment(7));
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('writes are never retried', () => {
    it.each([
      ['503', UNAVAILABLE],
      ['429 with Retry-After', { status: 429, body: '{}', headers: { 'Retry-After': '0' } }],
      ['a connection reset', { reset: true }],
    ] as const)('setTags on %s is sent exactly once', async (_name, response) => {
      server.reset(response);
      const client = testClient(server.url, { retryPolicy: { retries: 5 } });
      const error = await upstreamErrorOf(client.setTags({ assignmentIds: [1], tagIds: [2], mode: 'add', notify: false }));
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]!.method).toBe('POST');
      expect(client.stats.retries).toBe(0);
      expect(client.stats.writes).toBe(1);
    });
  });

  describe('timeouts and cancellation', () => {
    it('a server that never answers → UPSTREAM_UNAVAILABLE after timeoutMs, and the socket is closed', async () => {
      server.reset({ hang: true });
      const client = testClient(server.url, { config: { timeoutMs: 200 }, retryPolicy: { retries: 0 } });
      const started = performance.now();
      const error = await upstreamErrorOf(client.getAssignment(7));
      const elapsed = performance.now() - started;
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(error.status).toBeNull();
      expect(error.message).toContain('timeout');
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(5_000); // safety bound only
      await server.waitForClientClose(0);
      expect(server.requests[0]!.closedByClient).toBe(true);
      expect(server.requests).toHaveLength(1);
    });

    it('the timeout is per call: after one timed out, the same client still gets answers', async () => {
      server.script({ hang: true }, { status: 200, body: ASSIGNMENT });
      const client = testClient(server.url, { config: { timeoutMs: 150 }, retryPolicy: { retries: 0 } });
      expect((await upstreamErrorOf(client.getAssignment(7))).code).toBe('UPSTREAM_UNAVAILABLE');
      await expect(client.getAssignment(7)).resolves.toEqual(ASSIGNMENT);
      expect(server.requests).toHaveLength(2);
    });

    it('aborting the signal aborts every in-flight call, closes their sockets and does not retry', async () => {
      server.reset({ hang: true });
      const controller = new AbortController();
      const client = testClient(server.url, {
        signal: controller.signal,
        config: { timeoutMs: 30_000 },
        retryPolicy: { retries: 3 },
      });
      const calls = [client.getAssignment(1), client.getAssignment(2), client.listAssignments({ project: 1 })];
      await server.waitForRequests(3);
      const started = performance.now();
      controller.abort(new Error('client went away'));
      const errors = await Promise.all(calls.map((call) => upstreamErrorOf(call)));
      expect(performance.now() - started).toBeLessThan(5_000); // safety bound only
      for (const error of errors) {
        expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
        expect(error.message).toContain('cancelled');
      }
      await Promise.all([0, 1, 2].map((i) => server.waitForClientClose(i)));
      expect(server.requests).toHaveLength(3);
      expect(client.stats.retries).toBe(0);
    });

    it('aborting during a backoff sleep ends the call without another request', async () => {
      server.reset(UNAVAILABLE);
      const controller = new AbortController();
      const client = testClient(server.url, {
        signal: controller.signal,
        retryPolicy: { retries: 3, baseDelayMs: 60_000, maxDelayMs: 60_000, random: () => 0.5 },
      });
      const call = client.getAssignment(7);
      await server.waitForRequests(1);
      controller.abort();
      const error = await upstreamErrorOf(call);
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(server.requests).toHaveLength(1);
    });

    it('a call queued behind the concurrency limit when the signal aborts → UpstreamError, never sent', async () => {
      server.reset({ hang: true });
      const controller = new AbortController();
      const client = testClient(server.url, {
        signal: controller.signal,
        config: { concurrency: 1, timeoutMs: 30_000 },
        retryPolicy: { retries: 0 },
      });
      const running = client.getAssignment(1);
      const queued = client.getAssignment(2);
      await server.waitForRequests(1);
      controller.abort(new Error('deadline'));
      const errors = [await upstreamErrorOf(running), await upstreamErrorOf(queued)];
      expect(errors.map((e) => e.code)).toEqual(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);
      expect(server.requests.map((r) => r.url)).toEqual(['/assignments/1/']);
    });

    it('a signal aborted before the call → UpstreamError UPSTREAM_UNAVAILABLE and no request', async () => {
      server.reset({ status: 200, body: ASSIGNMENT });
      const controller = new AbortController();
      controller.abort();
      const client = testClient(server.url, { signal: controller.signal });
      const error = await upstreamErrorOf(client.getAssignment(7));
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(server.requests).toHaveLength(0);
      const write = await upstreamErrorOf(client.setTags({ assignmentIds: [1], tagIds: [1], mode: 'add', notify: false }));
      expect(write.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(server.requests).toHaveLength(0);
    });
  });
});
