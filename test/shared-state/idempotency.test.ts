import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { createMemoryIdempotencyStore, type IdempotencyStore } from '../../src/shared-state/idempotency.ts';
import { createSharedState, type SharedState } from '../../src/shared-state/index.ts';
import { sharedStateConfig, startRedis, type RedisServer } from '../helpers/redis-server.ts';

const TIMES = { now: 1_000_000, writingMs: 30_000, ttlMs: 60_000 };

/** The contract of a store, run on memory and on two replicas sharing a real Redis. */
function behavesAsAKeyStore(stores: () => [IdempotencyStore, IdempotencyStore]) {
  let n = 0;
  const scope = () => `caller:key-${++n}-${Math.random()}`;

  it('claims each assignment once: a second request with the key finds it busy, then done once settled', async () => {
    const [a, b] = stores();
    const key = scope();
    expect(await a.claim(key, 'f', [1, 2], TIMES)).toEqual(
      new Map([
        [1, { kind: 'claimed', previous: 'none' }],
        [2, { kind: 'claimed', previous: 'none' }],
      ]),
    );
    expect(await b.claim(key, 'f', [1, 2, 3], { ...TIMES, now: TIMES.now + 1 })).toEqual(
      new Map([
        [1, { kind: 'busy' }],
        [2, { kind: 'busy' }],
        [3, { kind: 'claimed', previous: 'none' }],
      ]),
    );
    await a.settle(key, new Map([[1, { state: 'done', reviewId: 77 }], [2, null]]), TIMES.ttlMs);
    expect(await b.claim(key, 'f', [1, 2], TIMES)).toEqual(
      new Map([
        [1, { kind: 'done', reviewId: 77 }],
        [2, { kind: 'claimed', previous: 'none' }],
      ]),
    );
  });

  it('refuses the key for another decision, and keeps callers apart by scope', async () => {
    const [a, b] = stores();
    const key = scope();
    await a.claim(key, 'approve', [1], TIMES);
    expect(await b.claim(key, 'reject', [1], TIMES)).toBe('mismatch');
    expect(await b.peek(key, 'reject', [1])).toBe('mismatch');
    expect((await b.claim(`other-${key}`, 'reject', [1], TIMES)) as Map<number, unknown>).toEqual(new Map([[1, { kind: 'claimed', previous: 'none' }]]));
  });

  it('hands a lost answer or an abandoned claim to the next request, saying which', async () => {
    const [a, b] = stores();
    const key = scope();
    await a.claim(key, 'f', [1, 2], TIMES);
    await a.settle(key, new Map([[1, { state: 'unknown', since: TIMES.now }]]), TIMES.ttlMs);
    const later = { ...TIMES, now: TIMES.now + TIMES.writingMs };
    expect(await b.claim(key, 'f', [1, 2], later)).toEqual(
      new Map([
        [1, { kind: 'claimed', previous: 'unknown', since: TIMES.now }],
        [2, { kind: 'claimed', previous: 'abandoned', since: TIMES.now + TIMES.writingMs }],
      ]),
    );
    expect(await a.peek(key, 'f', [1, 2, 3])).toEqual(
      new Map([
        [1, { state: 'writing', until: later.now + TIMES.writingMs }],
        [2, { state: 'writing', until: later.now + TIMES.writingMs }],
      ]),
    );
  });
}

describe('in memory', () => {
  const store = createMemoryIdempotencyStore();
  behavesAsAKeyStore(() => [store, store]);
});

describe('on a real Redis, shared by two replicas', () => {
  let redis: RedisServer;
  let a: SharedState;
  let b: SharedState;
  const config = () => sharedStateConfig(redis.url, 'idem:');

  beforeAll(async () => {
    redis = await startRedis();
    a = createSharedState(config(), createLogger('silent'));
    b = createSharedState(config(), createLogger('silent'));
    for (let i = 0; i < 500 && (a.status() !== 'ok' || b.status() !== 'ok'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  behavesAsAKeyStore(() => [a.idempotency, b.idempotency]);

  it('expires a key with its time to live', async () => {
    await a.idempotency.claim('caller:short', 'f', [1], { ...TIMES, ttlMs: 1_000 });
    expect(await a.redis!.command.pttl('idem:review-key:caller:short')).toBeGreaterThan(0);
    expect(await a.redis!.command.pttl('idem:review-key:caller:short')).toBeLessThanOrEqual(1_000);
  });

  it('stands in with its own memory while Redis is down, and uses Redis again once it is back', async () => {
    await redis.kill();
    for (let i = 0; i < 500 && a.status() === 'ok'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await a.idempotency.claim('caller:outage', 'f', [1], TIMES)).toEqual(new Map([[1, { kind: 'claimed', previous: 'none' }]]));
    expect(await a.idempotency.claim('caller:outage', 'f', [1], TIMES)).toEqual(new Map([[1, { kind: 'busy' }]]));
    await redis.start();
    for (let i = 0; i < 500 && a.status() !== 'ok'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(a.status()).toBe('ok');
    await a.idempotency.claim('caller:back', 'f', [1], TIMES);
    expect(await b.idempotency.claim('caller:back', 'f', [1], TIMES)).toEqual(new Map([[1, { kind: 'busy' }]]));
  });
});
