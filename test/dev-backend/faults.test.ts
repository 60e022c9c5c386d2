import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import { TOKENS, call, waitFor } from './helpers.ts';

let backend: DevBackend;

beforeAll(async () => {
  backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 200 } });
});

afterAll(async () => {
  await backend.close();
});

beforeEach(() => {
  backend.setFaults({ latencyMs: 0, failRate: 0, hang: false });
  backend.resetRequests();
});

const UNAVAILABLE = { detail: 'Service temporarily unavailable.' };

describe('fail rate', () => {
  it('with 1, answers every request 503, and a failed POST changes nothing', async () => {
    backend.setFaults({ failRate: 1 });
    const before = backend.store.getAssignment(1)!;
    const get = await call(backend, 'sdk/assignments/');
    expect(get.status).toBe(503);
    expect(get.body).toEqual(UNAVAILABLE);
    // Even requests that would be 401 or 404: the failure comes before any processing.
    expect((await call(backend, 'nothing/', { token: null })).status).toBe(503);
    const post = await call(backend, 'assignments/set_tags/?replace=true&notify=true', {
      method: 'POST',
      body: { assignment_ids: [1], tag_ids: [6] },
    });
    expect(post.status).toBe(503);
    expect(post.body).toEqual(UNAVAILABLE);
    backend.setFaults({ failRate: 0 });
    expect(backend.store.getAssignment(1)).toEqual(before);
    expect(backend.store.listNotifications()).toEqual([]);
    expect(backend.requests.map((r) => r.status)).toEqual([503, 503, 503]);
  });

  it('with 0.3, fails roughly 30% of 200 requests', async () => {
    backend.setFaults({ failRate: 0.3 });
    let failures = 0;
    for (let i = 0; i < 200; i++) {
      const reply = await call(backend, 'assignments/1/');
      expect([200, 503]).toContain(reply.status);
      if (reply.status === 503) failures++;
    }
    expect(failures).toBeGreaterThanOrEqual(40);
    expect(failures).toBeLessThanOrEqual(80);
  });

  it('is reproducible for the same fail seed and request order', async () => {
    const pattern = async () => {
      const other = await createDevBackend({ dbPath: ':memory:', port: 0, failRate: 0.5, failSeed: 42 });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 40; i++) statuses.push((await call(other, 'projects/1/tags/')).status);
        return statuses;
      } finally {
        await other.close();
      }
    };
    const first = await pattern();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await pattern()).toEqual(first);
  });

  it('rejects rates outside 0..1 and negative latency', () => {
    expect(() => backend.setFaults({ failRate: 1.5 })).toThrow(RangeError);
    expect(() => backend.setFaults({ latencyMs: -1 })).toThrow(RangeError);
  });

  it('keeps settings passed as undefined', async () => {
    backend.setFaults({ failRate: 1 });
    backend.setFaults({ failRate: undefined, latencyMs: undefined });
    expect((await call(backend, 'assignments/1/')).status).toBe(503);
  });
});

describe('latency', () => {
  it('delays every answer, errors included', async () => {
    backend.setFaults({ latencyMs: 150 });
    for (const token of [TOKENS.admin, null]) {
      const started = performance.now();
      await call(backend, 'assignments/1/', { token });
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    }
  });

  it('can be set at creation', async () => {
    const slow = await createDevBackend({ dbPath: ':memory:', port: 0, latencyMs: 120 });
    try {
      const started = performance.now();
      expect((await call(slow, 'projects/1/tags/')).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    } finally {
      await slow.close();
    }
  });
});

describe('in-flight tracking', () => {
  it('counts concurrent requests and their peak', async () => {
    backend.setFaults({ latencyMs: 200 });
    backend.resetPeak();
    expect(backend.peakInFlight).toBe(0);
    const replies = await Promise.all(Array.from({ length: 10 }, () => call(backend, 'assignments/1/')));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(backend.peakInFlight).toBe(10);
    await waitFor(() => backend.inFlight === 0);
    backend.resetPeak();
    expect(backend.peakInFlight).toBe(0);
  });
});

describe('hang', () => {
  it('holds requests until hang is turned off, then answers them', async () => {
    backend.setFaults({ hang: true });
    const pending = call(backend, 'assignments/1/');
    await waitFor(() => backend.inFlight === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(backend.requests).toHaveLength(1);
    expect(backend.requests[0]!.status).toBe(0);
    backend.setFaults({ hang: false });
    expect((await pending).status).toBe(200);
    expect(backend.requests[0]!.status).toBe(200);
  });

  it('closes cleanly with requests hanging: they are cut off and nothing is applied', async () => {
    const hung = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 10 } });
    hung.setFaults({ hang: true });
    const get = call(hung, 'assignments/1/').then(
      () => 'answered',
      () => 'cut off',
    );
    const post = call(hung, 'assignments/set_tags/', { method: 'POST', body: { assignment_ids: [1], tag_ids: [6] } }).then(
      () => 'answered',
      () => 'cut off',
    );
    await waitFor(() => hung.inFlight === 2);
    const started = performance.now();
    await hung.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await get).toBe('cut off');
    expect(await post).toBe('cut off');
    expect(hung.requests.map((r) => r.status)).toEqual([0, 0]);
    await expect(fetch(hung.url)).rejects.toThrow();
  });
});
