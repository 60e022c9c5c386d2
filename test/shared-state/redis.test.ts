import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCacheStore } from '../../src/cache/stores.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createSharedState, type SharedState } from '../../src/shared-state/index.ts';
import { sharedStateConfig, startRedis, type RedisServer } from '../helpers/redis-server.ts';

const logger = createLogger('silent');

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Two replicas' shared state on one real redis-server of the test's own. */
describe('shared state on a real Redis', () => {
  let redis: RedisServer;
  let a: SharedState;
  let b: SharedState;
  const config = (prefix: string) => sharedStateConfig(redis.url, prefix);

  beforeAll(async () => {
    redis = await startRedis();
    a = createSharedState(config('t1:'), logger);
    b = createSharedState(config('t1:'), logger);
    await waitFor(() => a.status() === 'ok' && b.status() === 'ok', 'both connections');
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  it('delivers a message to every replica once, the publisher\'s own handlers included (not twice via its echo)', async () => {
    const got: string[] = [];
    const offA = a.bus.subscribe('news', (m) => got.push(`a:${m}`));
    const offB = b.bus.subscribe('news', (m) => got.push(`b:${m}`));
    await waitFor(async () => (await a.redis!.command.pubsub('NUMSUB', 't1:bus:news'))[1] === 2, 'both subscriptions');
    a.bus.publish('news', 'x');
    b.bus.publish('news', 'y');
    await waitFor(() => got.length >= 4, 'four deliveries');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(got.sort()).toEqual(['a:x', 'a:y', 'b:x', 'b:y']);
    offA();
    offB();
  });

  it('gives a lease to one replica at a time, renews it for its holder, and frees it on release or expiry', async () => {
    expect(await a.leases.hold('job', 300)).toBe(true);
    expect(await b.leases.hold('job', 300)).toBe(false);
    expect(await a.leases.hold('job', 300)).toBe(true);
    await a.leases.release('job');
    expect(await b.leases.hold('job', 300)).toBe(true);
    expect(await a.leases.hold('job', 300)).toBe(false);
    // b stops renewing (as if it died): after the ttl, a takes over.
    await waitFor(() => a.leases.hold('job', 300), 'the lease to expire', 3_000);
    await a.leases.write('cursor', '2026-11-20T12:00:00.000001Z', 1000);
    expect(await b.leases.read('cursor')).toBe('2026-11-20T12:00:00.000001Z');
  });

  it('shares a cache between replicas; invalidation on one drops the entry for both; keys and tag sets expire', async () => {
    const storeA = createRedisCacheStore(a.redis!, { prefix: 't2:', markerTtlMs: 5000 });
    const storeB = createRedisCacheStore(b.redis!, { prefix: 't2:', markerTtlMs: 5000 });
    const miss = (await storeA.get('q')) as { miss: string };
    await storeA.set('q', { data: { n: 1 } }, ['Assignment:1', 'Scope:project:1'], 5000, miss.miss);
    expect(await storeB.get('q')).toEqual({ hit: { data: { n: 1 } } });
    await storeB.invalidate(['Assignment:1']);
    expect('miss' in ((await storeA.get('q')) ?? { hit: 1 })).toBe(true);
    // Nothing in Redis outlives its entries: every key of ours has an expiry.
    const keys = await a.redis!.command.keys('t2:*');
    for (const key of keys.filter((k) => !k.endsWith(':sequence') && !k.endsWith(':generation'))) {
      expect(await a.redis!.command.pttl(key), key).toBeGreaterThan(0);
    }
    // A result read before an invalidation on another replica is not stored.
    const before = (await storeA.get('r')) as { miss: string };
    await storeB.invalidate(['Scope:project:1']);
    await storeA.set('r', { data: { n: 2 } }, ['Scope:project:1'], 5000, before.miss);
    expect('miss' in ((await storeA.get('r')) ?? { hit: 1 })).toBe(true);
  });

  it('degrades when Redis dies and recovers by itself: local delivery goes on, leases fail open, the cache bypasses and then flushes what it could not invalidate', async () => {
    const store = createRedisCacheStore(a.redis!, { prefix: 't3:', markerTtlMs: 5000 });
    const miss = (await store.get('q')) as { miss: string };
    await store.set('q', { data: { n: 1 } }, ['Assignment:9'], 60_000, miss.miss);
    const states: string[] = [];
    a.redis!.onStateChange((state) => states.push(state));
    const local: unknown[] = [];
    const off = a.bus.subscribe('during', (m) => local.push(m));

    await redis.kill();
    await waitFor(() => a.status() === 'degraded', 'the outage to be noticed');
    a.bus.publish('during', 'still here');
    await waitFor(() => local.length === 1, 'local delivery');
    expect(await a.leases.hold('other-job', 1000)).toBe(true);
    expect(await b.leases.hold('other-job', 1000)).toBe(true);
    expect(await store.get('q')).toBeUndefined();
    // This invalidation is lost: the entry would be stale once Redis is back.
    await store.invalidate(['Assignment:9']);

    await redis.start();
    await waitFor(() => a.status() === 'ok' && b.status() === 'ok', 'reconnection', 15_000);
    expect(states).toEqual(['degraded', 'ok']);
    // (Redis restarted empty here; the generation guard is what protects a Redis that kept its data.)
    await a.redis!.command.set('t3:cache:q:0', JSON.stringify({ data: { n: 'stale' } }), 'PX', 60_000);
    await waitFor(async () => (await store.get('q'))?.hasOwnProperty('miss') === true, 'the stale entry to be gone');
    off();
  });
});
