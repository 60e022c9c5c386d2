/**
 * `npm run bench:live`: live updates and the shared cache with two replicas, on loopback,
 * bounded in time. Starts its own redis-server (free port, temp dir), the embedded
 * backend (in this process, so upstream calls are counted where they arrive) and three
 * gateway processes: replicas A and B on Redis, and C alone with the cache off.
 *
 * Prints, for LIVE_SUBSCRIBERS subscribers (half SSE on A, half WebSocket on B; one token,
 * one filter): upstream polls per minute against what one poller per subscriber would
 * cost; delivery latency p50/p99 of gateway-made changes (a mutation on A) and of
 * external changes (REST straight to the backend), over every subscriber's receipt;
 * then a repeated dashboard query: hit ratio, req/s and upstream calls with the cache
 * (A) and without (C), alternating, two rounds.
 *
 * Env: LIVE_SUBSCRIBERS (200), LIVE_POLL_MS (5000, the default), LIVE_CHANGES (10),
 * LIVE_WINDOW_S (30, for polls per minute), LIVE_DURATION_S (5, per cache round).
 */
import { autocannon } from './autocannon.ts';
import { createDevBackend } from '../src/dev-backend/server.ts';
import { subscribeSse, subscribeWs, wsClient, type Subscription } from '../test/helpers/live-clients.ts';
import { metricValue } from '../test/helpers/metrics.ts';
import { startRedis } from '../test/helpers/redis-server.ts';
import { startReplica, type Replica } from '../test/helpers/replicas.ts';
import { waitFor } from '../test/helpers/wait-for.ts';

const SUBSCRIBERS = Number(process.env['LIVE_SUBSCRIBERS'] ?? 200);
const POLL_MS = Number(process.env['LIVE_POLL_MS'] ?? 5_000);
const CHANGES = Number(process.env['LIVE_CHANGES'] ?? 10);
const WINDOW_S = Number(process.env['LIVE_WINDOW_S'] ?? 30);
const DURATION_S = Number(process.env['LIVE_DURATION_S'] ?? 5);
const TOKEN = 'dev-admin-token';
const FILTER = { project: '1' };


const watchdog = setTimeout(() => {
  console.error('bench:live: over its time budget; stopping');
  process.exit(1);
}, (WINDOW_S + CHANGES * 2 * (POLL_MS / 1000 + 2) + 8 * DURATION_S + 180) * 1000);
watchdog.unref();

const redis = await startRedis();
const backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 20_000, projects: 4 } });
const shared = { SYNAPSE_BACKEND_URL: backend.url, SYNAPSE_IDS_FILTER: 'true', NODE_ENV: 'production', SUBSCRIPTION_POLL_MS: String(POLL_MS) };
const replicas: Replica[] = [];
try {
  const [a, b, c] = await Promise.all([
    startReplica({ ...shared, REDIS_URL: redis.url, MAX_SUBSCRIPTIONS_PER_TOKEN: String(SUBSCRIBERS), RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0' }),
    startReplica({ ...shared, REDIS_URL: redis.url, MAX_SUBSCRIPTIONS_PER_TOKEN: String(SUBSCRIBERS), RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0' }),
    startReplica({ ...shared, RESPONSE_CACHE_TTL_MS: '0', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0' }),
  ]);
  replicas.push(a!, b!, c!);

  // --- subscribers -------------------------------------------------------------------
  const half = Math.ceil(SUBSCRIBERS / 2);
  const received = new Map<Subscription, Map<string, number>>();
  const subscriptions: Subscription[] = [];
  const clients = Array.from({ length: Math.max(1, Math.ceil((SUBSCRIBERS - half) / 50)) }, () => wsClient(b!.url.replace('http', 'ws'), TOKEN));
  for (let i = 0; i < SUBSCRIBERS; i++) {
    subscriptions.push(i < half ? subscribeSse(a!.url, TOKEN, FILTER) : subscribeWs(clients[i % clients.length]!, FILTER));
  }
  // Arrival time of each (subscriber, assignment id, updatedAt), sampled as events come in.
  const sampler = setInterval(() => {
    const now = performance.now();
    for (const subscription of subscriptions) {
      let seen = received.get(subscription);
      if (!seen) received.set(subscription, (seen = new Map()));
      for (const event of subscription.events) {
        const row = event.data?.['assignmentUpdated'];
        if (!row) continue;
        const key = `${row.id}@${row.updatedAt}`;
        if (!seen.has(key)) seen.set(key, now);
      }
    }
  }, 2);
  const open = async (replica: Replica) => metricValue(await (await fetch(replica.metricsUrl)).text(), 'synapse_live_subscriptions');
  await waitFor(async () => (await open(a!)) + (await open(b!)) >= SUBSCRIBERS, 60_000, `the ${SUBSCRIBERS} subscribers to connect`);

  // --- polls per minute ----------------------------------------------------------------
  const polls = () => backend.requests.filter((r) => r.path === '/sdk/assignments/' && r.query['ordering'] === 'updated_at').length;
  const pollsBefore = polls();
  await new Promise((resolve) => setTimeout(resolve, WINDOW_S * 1000));
  const pollsPerMinute = ((polls() - pollsBefore) * 60) / WINDOW_S;

  // --- delivery latency ----------------------------------------------------------------
  const gql = async (replica: Replica, query: string, variables: Record<string, unknown>) => {
    const response = await fetch(replica.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Token ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: unknown[] };
  };
  /** Latencies from `sentAt` to each subscriber's receipt of assignment `id` in a newer state than `after`. */
  const waitForAll = async (id: string, sentAt: number, timeoutMs: number): Promise<number[]> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const times = [...received.values()].map((seen) => [...seen].find(([key, at]) => key.startsWith(`${id}@`) && at >= sentAt)?.[1]);
      if (times.every((t) => t !== undefined)) return times.map((t) => t! - sentAt);
      if (performance.now() > deadline) {
        const missing = subscriptions.filter((s) => !received.get(s) || ![...received.get(s)!].some(([key, at]) => key.startsWith(`${id}@`) && at >= sentAt));
        throw new Error(`${missing.length} of ${subscriptions.length} subscribers did not receive ${id} within ${timeoutMs} ms; e.g. ${JSON.stringify(missing[0]?.events.slice(-2))} done=${missing[0]?.done} failure=${String(missing[0]?.failure)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const projectOne = (i: number) => String(4 * i + 1);
  const gatewayMade: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const sent = performance.now();
    const result = await gql(a!, 'mutation($ids: [ID!]!) { setAssignmentTags(input: { assignmentIds: $ids, tagNames: ["urgent"], mode: REPLACE }) { writeCalls } }', {
      ids: [projectOne(i)],
    });
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    gatewayMade.push(...(await waitForAll(projectOne(i), sent, POLL_MS * 3)));
  }
  const external: number[] = [];
  for (let i = CHANGES; i < 2 * CHANGES; i++) {
    // Spread over the poll interval, as real changes arrive.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * POLL_MS));
    const sent = performance.now();
    const response = await fetch(`${backend.url}assignments/set_tags/?replace=true`, {
      method: 'POST',
      headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ assignment_ids: [Number(projectOne(i))], tag_ids: [8] }),
    });
    if (response.status !== 200) throw new Error(`REST write: ${response.status}`);
    external.push(...(await waitForAll(projectOne(i), sent, POLL_MS * 3)));
  }
  clearInterval(sampler);
  await Promise.all(subscriptions.map((s) => s.close()));
  await Promise.all(clients.map((client) => client.dispose()));

  // --- the cache on a repeated dashboard query ---------------------------------------
  const DASHBOARD = JSON.stringify({
    query: 'query Dashboard { assignmentAnalytics(filter: { project: 2 }, days: 30) { totalAssignments completionRate statusBreakdown { status count } } assignmentQueue(filter: { project: 2 }) { pendingCount inProgressCount } }',
  });
  const cacheRows: { name: string; round: number; reqPerSec: number; p50: number; p99: number; upstreamPerOp: number; hitRatio: number | null }[] = [];
  for (let round = 1; round <= 2; round++) {
    for (const [name, replica] of [['with cache (A)', a!], ['without cache (C)', c!]] as const) {
      const callsBefore = backend.requests.length;
      const result = await autocannon({
        url: replica.url.replace(/\/graphql$/, ''),
        connections: 8,
        duration: DURATION_S,
        requests: [{ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', authorization: `Token ${TOKEN}` }, body: DASHBOARD }],
      });
      if (result.non2xx + result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      const upstreamPerOp = (backend.requests.length - callsBefore) / result.requests.total;
      cacheRows.push({
        name,
        round,
        reqPerSec: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        upstreamPerOp,
        // A hit costs no upstream call; a miss costs what the query costs without the cache.
        hitRatio: null,
      });
    }
  }
  const missCost = cacheRows.filter((r) => r.name.startsWith('without')).reduce((sum, r) => sum + r.upstreamPerOp, 0) / 2;
  for (const row of cacheRows) if (row.name.startsWith('with ')) row.hitRatio = 1 - row.upstreamPerOp / missCost;

  // --- the table ---------------------------------------------------------------------
  const pct = (values: number[], p: number) => [...values].sort((x, y) => x - y)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;
  const naive = (SUBSCRIBERS * 60_000) / POLL_MS;
  console.log(`\nLive updates: ${SUBSCRIBERS} subscribers (${half} SSE on replica A, ${SUBSCRIBERS - half} WebSocket on B), one token and filter, SUBSCRIPTION_POLL_MS=${POLL_MS}\n`);
  console.log('| measure | value |');
  console.log('| --- | ---: |');
  console.log(`| upstream polls per minute (over ${WINDOW_S} s) | ${pollsPerMinute.toFixed(1)} |`);
  console.log(`| one poller per subscriber would make | ${naive.toFixed(0)} (${(naive / Math.max(pollsPerMinute, 1e-9)).toFixed(0)}x) |`);
  console.log(`| gateway-made change → every subscriber, p50 / p99 (${gatewayMade.length} deliveries) | ${pct(gatewayMade, 50).toFixed(1)} ms / ${pct(gatewayMade, 99).toFixed(1)} ms |`);
  console.log(`| external change → every subscriber, p50 / p99 (${external.length} deliveries) | ${pct(external, 50).toFixed(0)} ms / ${pct(external, 99).toFixed(0)} ms |`);
  console.log(`\nRepeated dashboard query (analytics + queue of one project), 8 connections, ${DURATION_S} s per row:\n`);
  console.log('| replica | round | req/s | p50 (ms) | p99 (ms) | upstream calls per op | hit ratio |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of cacheRows) {
    console.log(`| ${row.name} | ${row.round} | ${row.reqPerSec.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.upstreamPerOp.toFixed(3)} | ${row.hitRatio === null ? '' : row.hitRatio.toFixed(3)} |`);
  }
  const withCache = cacheRows.filter((r) => r.name.startsWith('with ')).reduce((s, r) => s + r.reqPerSec, 0);
  const without = cacheRows.filter((r) => r.name.startsWith('without')).reduce((s, r) => s + r.reqPerSec, 0);
  console.log(`\nwith ÷ without cache: ${(withCache / without).toFixed(1)}x req/s\n`);
} finally {
  await Promise.allSettled(replicas.map((replica) => replica.stop()));
  await backend.close();
  await redis.stop();
}
process.exit(0);
