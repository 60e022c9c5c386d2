import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import { subscribeSse, subscribeWs, wsClient, type Subscription } from '../helpers/live-clients.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';
import { startReplica, type Replica } from '../helpers/replicas.ts';
import { restSetTags } from '../helpers/rest.ts';
import { SEED_NOW, TOKENS } from '../helpers/stack.ts';

// Seed: assignment i is in project ((i - 1) % 4) + 1; project p's tag "escalated" has id 13 (p - 1) + 7.
const escalated = (project: number) => 13 * (project - 1) + 7;
const POLL_MS = 1_000;
const LEASE_MS = 3_000;

const TAG = /* GraphQL */ `
  mutation Tag($ids: [ID!]!, $tag: String!) {
    setAssignmentTags(input: { assignmentIds: $ids, tagNames: [$tag], mode: ADD }) { writeCalls userErrors { message } }
  }
`;
const ONE = /* GraphQL */ `
  query One($id: ID!) { assignment(id: $id) { id tags { name } } }
`;

async function gql(replica: Replica, query: string, variables: Record<string, unknown>, token: string = TOKENS.admin) {
  const response = await fetch(replica.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Token ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { extensions?: Record<string, unknown> }[]; extensions?: Record<string, any> };
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function gauge(replica: Replica, name: string): Promise<number> {
  const text = await (await fetch(replica.url.replace(/\/graphql$/, '/metrics'))).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

async function ready(replica: Replica): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(replica.url.replace(/\/graphql$/, '/ready'));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const polls = (backend: DevBackend, token: string) =>
  backend.requests.filter((r) => r.path === '/sdk/assignments/' && r.query['ordering'] === 'updated_at' && r.token === token);

describe('two gateway replicas sharing one Redis', () => {
  let redis: RedisServer;
  let backend: DevBackend;
  let a: Replica;
  let b: Replica;
  const open: Subscription[] = [];
  const env = () => ({
    SYNAPSE_BACKEND_URL: backend.url,
    SYNAPSE_IDS_FILTER: 'true',
    REDIS_URL: redis.url,
    SUBSCRIPTION_POLL_MS: String(POLL_MS),
    SUBSCRIPTION_LEASE_MS: String(LEASE_MS),
    MAX_SUBSCRIPTIONS_PER_TOKEN: '200',
    RATE_LIMIT_EXPENSIVE_PER_MINUTE: '4',
  });
  /** The replica whose id holds a lease, by the lease keys in Redis. */
  const leaseHolders = async (): Promise<string[]> => {
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('synapse-gateway:lease:poll:*');
      return Promise.all(keys.map(async (key) => (await client.get(key)) ?? ''));
    } finally {
      client.disconnect();
    }
  };

  beforeAll(async () => {
    redis = await startRedis();
    backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 400, projects: 4, now: SEED_NOW } });
    [a, b] = await Promise.all([startReplica(env()), startReplica(env())]);
    await waitFor(async () => (await ready(a)).body['redis'] === 'ok' && (await ready(b)).body['redis'] === 'ok', 'both on Redis');
  });
  afterAll(async () => {
    await Promise.allSettled(open.map((s) => s.close()));
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await backend?.close();
    await redis?.stop();
  });

  it('a tag set on replica A reaches a subscriber on replica B within a second', async () => {
    const onB = subscribeSse(b.url, TOKENS.alice, { project: '1' });
    open.push(onB);
    await waitFor(async () => (await gauge(b, 'synapse_live_groups')) === 1, 'the group on B');
    await waitFor(() => polls(backend, TOKENS.alice).length > 0, 'the first poll');
    const written = await gql(a, TAG, { ids: ['1'], tag: 'urgent' });
    expect(written.data.setAssignmentTags.writeCalls).toBe(1);
    const sent = performance.now();
    // The contract is "within a second"; typical is tens of ms (see `npm run bench:live`).
    await onB.until((events) => events.length >= 1, 1_000, 'the change on B');
    expect(performance.now() - sent).toBeLessThan(1_000);
    expect(onB.ids()).toEqual(['1']);
  });

  it('a change written straight to the backend reaches a subscriber on each replica within one poll interval plus a second', async () => {
    const filter = { project: '3' };
    const onA = subscribeSse(a.url, TOKENS.admin, filter);
    const onB = subscribeSse(b.url, TOKENS.admin, filter);
    open.push(onA, onB);
    await waitFor(async () => (await gauge(a, 'synapse_live_groups')) >= 1 && (await gauge(b, 'synapse_live_groups')) >= 1, 'a group on each replica');
    await waitFor(() => polls(backend, TOKENS.admin).some((r) => r.query['project'] === '3'), 'the first poll');
    const pollsBefore = polls(backend, TOKENS.admin).length;

    await restSetTags(backend.url, [11], [escalated(3)]);
    const written = performance.now();
    const arrivals = await Promise.all(
      [onA, onB].map(async (subscription) => {
        await subscription.until((events) => events.length >= 1, POLL_MS + 1_000, 'the external change');
        return performance.now() - written;
      }),
    );
    for (const ms of arrivals) expect(ms).toBeLessThan(POLL_MS + 1_000);
    expect(onA.ids()).toEqual(['11']);
    expect(onB.ids()).toEqual(['11']);
    // One poller for the (token, filter) pair, not one per replica: at most two polls in that time.
    expect(polls(backend, TOKENS.admin).length - pollsBefore).toBeLessThanOrEqual(2);
    await Promise.all([onA.close(), onB.close()]);
  });

  it('never crosses callers: bob on B hears of project 3 writes made on A, never of project 1', async () => {
    const bob = subscribeSse(b.url, TOKENS.bob);
    open.push(bob);
    await waitFor(() => polls(backend, TOKENS.bob).length > 0, 'bob\'s first poll');
    await gql(a, TAG, { ids: ['5'], tag: 'urgent' }); // project 1
    await gql(a, TAG, { ids: ['7'], tag: 'urgent' }); // project 3
    await bob.until((events) => events.length >= 1, 5_000, 'assignment 7');
    const seen = polls(backend, TOKENS.bob).length;
    await waitFor(() => polls(backend, TOKENS.bob).length >= seen + 2, 'two more polls');
    expect(bob.ids()).toEqual(['7']);
    await bob.close();
  });

  it('shares the cache: a hit on B for what A cached, another caller misses, a write on B drops the entry on A', async () => {
    const first = await gql(a, ONE, { id: '9' });
    expect(first.extensions).toMatchObject({ cache: 'MISS' });
    // Once A answers from the cache, the entry is stored; B has never run this query.
    await waitFor(async () => (await gql(a, ONE, { id: '9' })).extensions!['cache'] === 'HIT', 'the entry to be stored', 3_000);
    const calls = backend.requests.length;
    const hit = await gql(b, ONE, { id: '9' });
    expect(backend.requests.length).toBe(calls);
    expect(hit.extensions).toMatchObject({ cache: 'HIT', upstream: { requests: 0 } });
    expect(hit.data).toEqual(first.data);
    expect((await gql(b, ONE, { id: '9' }, TOKENS.alice)).extensions).toMatchObject({ cache: 'MISS' });
    await gql(b, TAG, { ids: ['9'], tag: 'archived' });
    const after = await gql(a, ONE, { id: '9' });
    expect(after.extensions).toMatchObject({ cache: 'MISS' });
    expect(after.data.assignment.tags.map((t: { name: string }) => t.name)).toContain('archived');
  });

  it('enforces one expensive-operation limit per token across both replicas, counted in Redis by caller hash', async () => {
    const QUEUE = '{ assignmentQueue(filter: { project: 1 }) { pendingCount } }';
    const remaining: number[] = [];
    for (const replica of [a, b, a, b]) {
      const answer = await gql(replica, QUEUE, {}, TOKENS.viewer);
      expect(answer.errors).toBeUndefined();
      remaining.push(answer.extensions!['rateLimit'].remaining);
    }
    expect(remaining).toEqual([3, 2, 1, 0]);
    const refused = await gql(a, QUEUE, {}, TOKENS.viewer);
    expect(refused.errors![0]!.extensions!['code']).toBe('RATE_LIMITED');
    // Another caller has its own allowance.
    expect((await gql(b, QUEUE, {}, TOKENS.alice)).extensions!['rateLimit'].remaining).toBe(3);
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('synapse-gateway:*');
      expect(keys.some((key) => key.includes('rate:expensive'))).toBe(true);
      expect(keys.filter((key) => key.includes('dev-') || key.includes('token'))).toEqual([]);
    } finally {
      client.disconnect();
    }
  });

  it('200 subscribers with one token and filter on two replicas cost one poll per interval, and all hear an external change', async () => {
    const token = TOKENS.viewer;
    const filter = { project: '2' };
    const sse = Array.from({ length: 100 }, () => subscribeSse(a.url, token, filter));
    const clients = Array.from({ length: 4 }, () => wsClient(b.url.replace('http', 'ws'), token));
    const ws = Array.from({ length: 100 }, (_, i) => subscribeWs(clients[i % 4]!, filter));
    open.push(...sse, ...ws);
    await waitFor(async () => (await gauge(a, 'synapse_live_subscriptions')) >= 100 && (await gauge(b, 'synapse_live_subscriptions')) >= 100, 'all 200 subscribers', 30_000);

    const before = polls(backend, token).length;
    const since = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 4 * POLL_MS));
    const intervals = (performance.now() - since) / POLL_MS;
    const made = polls(backend, token).length - before;
    // One poller for the group across both replicas: about one poll per interval, not 200.
    expect(made).toBeGreaterThanOrEqual(Math.floor(intervals) - 1);
    expect(made).toBeLessThanOrEqual(Math.ceil(intervals) + 1);

    await restSetTags(backend.url, [2, 6], [escalated(2)]);
    for (const subscription of [...sse, ...ws]) await subscription.until((events) => events.length >= 2, POLL_MS + 5_000, '2 and 6');
    expect(new Set([...sse, ...ws].map((s) => s.ids().sort().join(',')))).toEqual(new Set(['2,6']));
    await Promise.all([...sse, ...ws].map((s) => s.close()));
    await Promise.all(clients.map((client) => client.dispose()));
  });

  it('moves the poll to the other replica within one lease period when the poller dies', async () => {
    const token = TOKENS.alice;
    const filter = { project: '2' };
    const onA = subscribeSse(a.url, token, filter);
    const onB = subscribeSse(b.url, token, filter);
    open.push(onA, onB);
    await waitFor(async () => (await gauge(a, 'synapse_live_groups')) >= 1 && (await gauge(b, 'synapse_live_groups')) >= 1, 'both groups');
    await waitFor(async () => (await leaseHolders()).length > 0 && polls(backend, token).some((r) => r.query['project'] === '2'), 'a poller');
    const holders = await leaseHolders();
    const poller = holders.includes(a.replicaId) ? a : b;
    const survivor = poller === a ? b : a;
    const survivorSubscription = poller === a ? onB : onA;

    await poller.kill();
    const killedAt = performance.now();
    await restSetTags(backend.url, [10], [escalated(2)]);
    await survivorSubscription.until((events) => events.length >= 1, LEASE_MS + POLL_MS + 3_000, 'the change after the takeover');
    expect(performance.now() - killedAt).toBeLessThan(LEASE_MS + POLL_MS + 3_000);
    expect(survivorSubscription.ids()).toEqual(['10']);
    expect(await leaseHolders()).toContain(survivor.replicaId);

    // The dead replica comes back as a new process for the tests after this one.
    const restarted = await startReplica(env());
    if (poller === a) a = restarted;
    else b = restarted;
    await waitFor(async () => (await ready(restarted)).body['redis'] === 'ok', 'the new replica on Redis');
  });

  it('keeps answering correctly while Redis is down, says so on /ready, warns once, and recovers by itself', async () => {
    const onA = subscribeSse(a.url, TOKENS.admin, { project: '4' });
    open.push(onA);
    await waitFor(() => polls(backend, TOKENS.admin).some((r) => r.query['project'] === '4'), 'the first poll');
    await gql(a, ONE, { id: '12' });
    await gql(a, ONE, { id: '12' });

    const logsBefore = [a, b].map((replica) => replica.logs.length);
    await redis.kill();
    await waitFor(async () => (await ready(a)).body['redis'] === 'degraded' && (await ready(b)).body['redis'] === 'degraded', 'degraded');
    const status = await ready(a);
    expect(status.status).toBe(200);
    // The cache is bypassed, never served stale: the answer comes from upstream.
    const answer = await gql(a, ONE, { id: '12' });
    expect(answer.extensions).toMatchObject({ cache: 'MISS' });
    expect(answer.extensions!['upstream'].requests).toBe(1);
    // Limits fall back to counting in this process.
    const queue = await gql(a, '{ assignmentQueue(filter: { project: 4 }) { pendingCount } }', {}, TOKENS.admin);
    expect(queue.errors).toBeUndefined();
    expect(queue.extensions!['rateLimit']).toMatchObject({ limit: 4, remaining: 3 });
    await gql(a, TAG, { ids: ['12'], tag: 'urgent' });
    const fresh = await gql(b, ONE, { id: '12' });
    expect(fresh.data.assignment.tags.map((t: { name: string }) => t.name)).toContain('urgent');
    // Live updates keep working within the replica.
    await onA.until((events) => events.length >= 1, 5_000, 'the local change');
    expect(onA.ids()).toEqual(['12']);

    await redis.start();
    await waitFor(async () => (await ready(a)).body['redis'] === 'ok' && (await ready(b)).body['redis'] === 'ok', 'recovery', 20_000);
    // Info lines are written in batches, within a second. The recovery line is told apart by its
    // message: a replica restarted by the test before this one may log its first "redis connected"
    // after logsBefore was read, and that line is no recovery.
    const isRecovery = (line: Record<string, unknown>) =>
      line['component'] === 'redis' && line['level'] === 'info' && String(line['msg']).startsWith('redis available again');
    const recovered = (replica: Replica, i: number) => replica.logs.slice(logsBefore[i]).some(isRecovery);
    await waitFor(() => [a, b].every(recovered), 'the recovery log lines');
    // One warning per replica for the whole outage, however many commands failed during it.
    [a, b].forEach((replica, i) => {
      const during = replica.logs.slice(logsBefore[i]);
      const end = during.findIndex(isRecovery);
      const warnings = during.slice(0, end).filter((line) => line['component'] === 'redis' && line['level'] === 'warn');
      expect(warnings).toHaveLength(1);
    });
    // Shared again: a write on B reaches A's subscriber.
    await gql(b, TAG, { ids: ['16'], tag: 'urgent' });
    await onA.until((events) => events.length >= 2, 3_000, 'the change from B after recovery');
    expect(onA.ids()).toEqual(['12', '16']);
  });
});
