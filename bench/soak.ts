/**
 * `npm run bench:soak`: a mixed load for SOAK_SECONDS (600 by default) on loopback, to see
 * memory, handles and sockets of the gateway over time, not its throughput. Processes, each
 * its own: the embedded backend (5,000 assignments, 5 ms added latency); when
 * /usr/bin/redis-server exists, a redis-server of its own and two gateway replicas A and B on
 * it, otherwise one gateway A; each gateway as `npm start` runs it (the bundle, built
 * beforehand), in production configuration.
 *
 * The load, in this process, modest and fixed so it measures leaks rather than saturation:
 * per replica three readers (one token each: `assignment`, a page of `assignments` walked
 * forward, `assignmentsByIds` of 20, in turn, 50 ms apart), one tag writer (adds then removes
 * a tag, so the data does not grow; twice a second, replicas alternating), analytics every
 * 10 s, and 50 `assignmentUpdated` subscribers split over SSE and WebSocket, three tokens and
 * the replicas, whose events are counted.
 *
 * Every SOAK_SAMPLE_SECONDS (60) it scrapes each gateway's metrics and prints a row: RSS, heap
 * used, event-loop delay p99, open handles and sockets, requests done, errors and subscription
 * events so far; at the end the table, the errors, and per replica whether RSS grew more than
 * 10 % from the baseline to the end. Baseline: the sample at 2:00 in runs of 4 minutes or
 * more, else the first sample at or after 20 % of the run. Exits 0 when it ran to the end
 * (growth is a figure, not a failure), 1 when a process died or the load could not run, 130
 * on SIGINT or SIGTERM (after printing what it has).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client as WsClient } from 'graphql-ws';
import { mulberry32, type Random } from '../src/dev-backend/prng.ts';
import { within } from '../test/helpers/gateway-process.ts';
import { subscribeSse, subscribeWs, wsClient, type Subscription } from '../test/helpers/live-clients.ts';
import { metricValue } from '../test/helpers/metrics.ts';
import { REDIS_SERVER, startRedis, type RedisServer } from '../test/helpers/redis-server.ts';
import { startReplica, type Replica } from '../test/helpers/replicas.ts';
import { TOKENS } from '../test/helpers/tokens.ts';
import { waitFor } from '../test/helpers/wait-for.ts';
import { spawnBackend, type SpawnedBackend } from './spawn-backend.ts';

const SOAK_SECONDS = positive('SOAK_SECONDS', 600);
const SAMPLE_SECONDS = Math.min(positive('SOAK_SAMPLE_SECONDS', 60), SOAK_SECONDS);
const ASSIGNMENTS = 5_000;
const SUBSCRIBERS = 50;
const READ_PAUSE_MS = 50;
const WRITE_PAUSE_MS = 500;
const ANALYTICS_PAUSE_MS = 10_000;
/** The gateway's own operation deadline (OPERATION_TIMEOUT_MS): an answer later than that is an error. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Pages of `assignments` a reader walks before starting again from the first. */
const PAGES_WALKED = 25;
const GROWTH_LIMIT = 0.1;
const BASELINE_SECONDS = 120;
/** Startup (seed, build check, replicas, subscribers) and shutdown, on top of the run itself. */
const MARGIN_SECONDS = 180;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MB = 1024 * 1024;

/** Tokens of the readers and subscribers, each with the filter its subscribers use: three live groups. */
const CALLERS = [
  { token: TOKENS.admin, filter: { project: '1' } },
  { token: TOKENS.alice, filter: null },
  { token: TOKENS.viewer, filter: { project: '1' } },
] as const;

const FIELDS = 'id status priority assigneeId updatedAt tags { id name }';
const ONE = `query One($id: ID!) { assignment(id: $id) { ${FIELDS} } }`;
const PAGE = `query Page($after: String) { assignments(first: 20, after: $after) { nodes { ${FIELDS} } pageInfo { hasNextPage endCursor } } }`;
const BY_IDS = `query ByIds($ids: [ID!]!) { assignmentsByIds(ids: $ids) { ${FIELDS} } }`;
const ANALYTICS = 'query Dashboard { assignmentAnalytics(filter: { project: 1 }, days: 30) { totalAssignments completionRate statusBreakdown { status count } } }';
const TAG = `mutation Tag($ids: [ID!]!, $mode: SetTagsMode!) {
  setAssignmentTags(input: { assignmentIds: $ids, tagNames: ["urgent"], mode: $mode }) { writeCalls userErrors { message } }
}`;

/** One gateway under load, with what the load saw of it. */
interface Gateway {
  name: string;
  replica: Replica;
  requests: number;
  /** Failed requests and subscription errors seen by the clients. */
  clientErrors: number;
  events: number;
}

interface Sample {
  at: number;
  gateway: string;
  rssMb: number;
  heapMb: number;
  loopP99Ms: number;
  handles: number;
  sockets: number;
  requests: number;
  errors: number;
  events: number;
}

interface Subscriber {
  gateway: Gateway;
  subscription: Subscription;
  received: number;
  endedEarly: boolean;
}

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!(value > 0)) throw new Error(`${name} must be a positive number of seconds, not ${process.env[name]}`);
  return value;
}

const clock = (ms: number) => `${Math.floor(ms / 60_000)}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`;
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const errorLogLines = (gateway: Gateway) => gateway.replica.logs.filter((line) => (line['level'] as number) >= 50).length;

async function main(): Promise<number> {
  // The replicas use this run's redis-server or none: never one an operator's environment points at.
  delete process.env['REDIS_URL'];

  let backend: SpawnedBackend | undefined;
  let redis: RedisServer | undefined;
  const gateways: Gateway[] = [];
  const subscribers: Subscriber[] = [];
  const clients = new Map<string, WsClient>();
  const samples: Sample[] = [];
  const errorKinds = new Map<string, number>();
  // An object: signal handlers and exit watchers change it where control flow analysis cannot see.
  const state: { outcome: 'completed' | 'interrupted' | 'failed' } = { outcome: 'completed' };
  let stopping = false;
  const died: string[] = [];
  /** Ends the run early (a signal, a process gone); the normal end aborts it too. */
  const run = new AbortController();
  const pause = (ms: number) => sleep(Math.max(0, ms), undefined, { signal: run.signal }).catch(() => undefined);

  const hardStop = async () => {
    await Promise.allSettled([...gateways.map((gateway) => gateway.replica.kill()), redis?.kill()]);
    backend?.child.kill('SIGKILL');
    await redis?.stop();
  };
  const watchdog = setTimeout(() => {
    console.error(`bench:soak: still running after ${SOAK_SECONDS + MARGIN_SECONDS} s; stopping`);
    void within(hardStop(), 10_000, 'hard stop').finally(() => process.exit(1));
  }, (SOAK_SECONDS + MARGIN_SECONDS) * 1000);
  const onSignal = (signal: NodeJS.Signals) => {
    if (state.outcome === 'interrupted') {
      void within(hardStop(), 10_000, 'hard stop').finally(() => process.exit(130));
      return;
    }
    console.error(`bench:soak: ${signal}: ending the run early (again to stop at once)`);
    state.outcome = 'interrupted';
    run.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const watch = (what: string, exited: Promise<number | null>) =>
    void exited.then((code) => {
      if (stopping) return;
      died.push(`${what} exited with ${code}`);
      state.outcome = 'failed';
      run.abort();
    });

  const fail = (gateway: Gateway, what: string, message: string) => {
    gateway.clientErrors++;
    const kind = `${what} on ${gateway.name}: ${message.slice(0, 200)}`;
    errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
  };
  const operate = async (gateway: Gateway, token: string, what: string, query: string, variables: Record<string, unknown> = {}) => {
    try {
      const response = await fetch(gateway.replica.url, {
        method: 'POST',
        headers: { authorization: `Token ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = (await response.json()) as { data?: Record<string, any>; errors?: { message: string; extensions?: { code?: string } }[] };
      gateway.requests++;
      const error = body.errors?.[0];
      if (response.status !== 200 || error) {
        fail(gateway, what, `${response.status} ${error?.extensions?.code ?? ''} ${error?.message ?? ''}`);
        return undefined;
      }
      return body.data;
    } catch (error) {
      gateway.requests++;
      fail(gateway, what, String(error));
      return undefined;
    }
  };
  /** Counts the subscribers' events so far, then drops them: ten minutes of events would otherwise pile up here. */
  const drain = () => {
    for (const subscriber of subscribers) {
      const { events } = subscriber.subscription;
      for (const event of events) {
        if (event.errors) fail(subscriber.gateway, 'subscription', event.errors[0]?.message ?? 'errors');
        else if (event.data?.['assignmentUpdated']) {
          subscriber.received++;
          subscriber.gateway.events++;
        }
      }
      events.length = 0;
      if (subscriber.subscription.done && !subscriber.endedEarly) {
        subscriber.endedEarly = true;
        fail(subscriber.gateway, 'subscription', `ended early: ${String(subscriber.subscription.failure ?? 'completed')}`);
      }
    }
  };
  const scrape = async (gateway: Gateway) => {
    try {
      return await (await fetch(gateway.replica.metricsUrl, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).text();
    } catch (error) {
      fail(gateway, 'metrics scrape', String(error));
      return '';
    }
  };
  const sample = async (at: number) => {
    drain();
    for (const gateway of gateways) {
      const text = await scrape(gateway);
      // NaN when the scrape failed or lacks the series: the report shows it as missing, not as 0.
      const value = (name: string, labels: Record<string, string> = {}) => metricValue(text, name, labels, NaN);
      const row: Sample = {
        at,
        gateway: gateway.name,
        rssMb: value('process_resident_memory_bytes') / MB,
        heapMb: value('nodejs_heap_size_used_bytes') / MB,
        loopP99Ms: value('nodejs_eventloop_lag_p99_seconds') * 1000,
        handles: value('nodejs_active_handles_total'),
        sockets: value('nodejs_active_handles', { type: 'Socket' }),
        requests: gateway.requests,
        errors: gateway.clientErrors + errorLogLines(gateway),
        events: gateway.events,
      };
      samples.push(row);
      console.log(
        `bench:soak: ${clock(at)} ${row.gateway}: RSS ${fixed(row.rssMb)} MB, heap ${fixed(row.heapMb)} MB, loop p99 ${fixed(row.loopP99Ms)} ms, ` +
          `handles ${row.handles}, sockets ${row.sockets}, requests ${row.requests}, errors ${row.errors}, events ${row.events}`,
      );
    }
  };

  try {
    console.log(`bench:soak: ${SOAK_SECONDS} s, a sample every ${SAMPLE_SECONDS} s, node ${process.version}, loopback only`);
    if (!existsSync(`${ROOT}.build/gateway/server.mjs`)) throw new Error('no .build/gateway/server.mjs: `npm run bench:soak` builds it (or run `npm run build`)');
    backend = await spawnBackend({ BENCH_ASSIGNMENTS: String(ASSIGNMENTS), BENCH_LATENCY_MS: '5' });
    watch('the backend', new Promise((resolve) => backend!.child.once('exit', resolve)));
    if (new URL(backend.url).hostname !== '127.0.0.1') throw new Error(`backend not on loopback: ${backend.url}`);
    if (existsSync(REDIS_SERVER)) redis = await startRedis();
    const env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      SYNAPSE_BACKEND_URL: backend.url,
      SYNAPSE_IDS_FILTER: 'true',
      ...(redis ? { REDIS_URL: redis.url } : {}),
    };
    const names = redis ? ['A', 'B'] : ['A'];
    const replicas = await Promise.all(names.map(() => startReplica(env, { bundle: true, warningsOnly: true })));
    for (const [i, replica] of replicas.entries()) {
      const gateway: Gateway = { name: names[i]!, replica, requests: 0, clientErrors: 0, events: 0 };
      gateways.push(gateway);
      watch(`gateway ${gateway.name}`, replica.exited);
    }
    console.log(
      redis
        ? `bench:soak: replicas A and B on redis-server ${redis.url}, backend ${backend.url}`
        : `bench:soak: one gateway A (no ${REDIS_SERVER}: no Redis-backed pair), backend ${backend.url}`,
    );

    // Fails fast when the load cannot run: every operation answers on every replica.
    for (const gateway of gateways) {
      for (const [what, query, variables] of [['assignment', ONE, { id: '1' }], ['page', PAGE, {}], ['byIds', BY_IDS, { ids: ['1', '2'] }], ['analytics', ANALYTICS, {}]] as const) {
        if (!(await operate(gateway, TOKENS.admin, what, query, variables))) throw new Error(`the load cannot run: ${[...errorKinds.keys()].join('; ')}`);
      }
    }

    let sseCount = 0;
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const gateway = gateways[i % gateways.length]!;
      const caller = CALLERS[i % CALLERS.length]!;
      const sse = Math.floor(i / gateways.length) % 2 === 0;
      let subscription: Subscription;
      if (sse) {
        sseCount++;
        subscription = subscribeSse(gateway.replica.url, caller.token, caller.filter ?? undefined);
      } else {
        // One socket per replica and token, as a browser tab holds one for all its subscriptions.
        const key = `${gateway.name} ${caller.token}`;
        const client = clients.get(key) ?? wsClient(gateway.replica.url.replace(/^http/, 'ws'), caller.token);
        clients.set(key, client);
        subscription = subscribeWs(client, caller.filter ?? undefined);
      }
      subscribers.push({ gateway, subscription, received: 0, endedEarly: false });
    }
    const open = async () => (await Promise.all(gateways.map(async (gateway) => metricValue(await scrape(gateway), 'synapse_live_subscriptions', {}, NaN)))).reduce((a, b) => a + b, 0);
    // Asked as `>=`: a failed scrape (NaN) is not all of them connected, so the wait goes on, bounded.
    await waitFor(
      async () => {
        const ended = subscribers.find((subscriber) => subscriber.subscription.done);
        if (ended) throw new Error(`a subscriber could not subscribe: ${JSON.stringify(ended.subscription.events).slice(0, 500)} ${String(ended.subscription.failure ?? '')}`);
        if (run.signal.aborted) throw new Error('stopped before the load started');
        return (await open()) >= SUBSCRIBERS;
      },
      60_000,
      `the ${SUBSCRIBERS} subscribers to connect`,
    );
    console.log(
      `bench:soak: ${SUBSCRIBERS} subscribers (${sseCount} SSE, ${SUBSCRIBERS - sseCount} WebSocket on ${clients.size} sockets) over ${names.join(', ')}; ` +
        `per replica ${CALLERS.length} readers ${READ_PAUSE_MS} ms apart; one tag writer every ${WRITE_PAUSE_MS} ms; analytics every ${ANALYTICS_PAUSE_MS / 1000} s`,
    );

    const started = performance.now();
    const end = started + SOAK_SECONDS * 1000;
    const going = () => !run.signal.aborted && performance.now() < end;
    let writes = 0;
    let analytics = 0;
    const reader = async (gateway: Gateway, token: string, random: Random) => {
      let after: string | null = null;
      let pages = 0;
      for (let turn = 0; going(); turn++) {
        if (turn % 3 === 0) await operate(gateway, token, 'assignment', ONE, { id: String(1 + Math.floor(random() * ASSIGNMENTS)) });
        else if (turn % 3 === 1) {
          const info = (await operate(gateway, token, 'page', PAGE, { after }))?.['assignments']?.pageInfo as { hasNextPage: boolean; endCursor: string | null } | undefined;
          pages = info?.hasNextPage && pages + 1 < PAGES_WALKED ? pages + 1 : 0;
          after = pages === 0 ? null : info!.endCursor;
        } else {
          const ids = Array.from({ length: 20 }, () => String(1 + Math.floor(random() * ASSIGNMENTS)));
          await operate(gateway, token, 'byIds', BY_IDS, { ids });
        }
        await pause(READ_PAUSE_MS);
      }
    };
    const writer = async () => {
      for (let turn = 0; going(); turn++) {
        const gateway = gateways[turn % gateways.length]!;
        // Add then remove on the same assignment, fifty of them in turn: every write is a change subscribers see.
        const data = await operate(gateway, TOKENS.admin, 'setAssignmentTags', TAG, {
          ids: [String(1 + (Math.floor(turn / 2) % 50))],
          mode: turn % 2 === 0 ? 'ADD' : 'REMOVE',
        });
        const userError = data?.['setAssignmentTags']?.userErrors?.[0];
        if (userError) fail(gateway, 'setAssignmentTags', `userErrors: ${userError.message}`);
        writes++;
        await pause(WRITE_PAUSE_MS);
      }
    };
    const analyst = async () => {
      for (let turn = 0; going(); turn++) {
        await operate(gateways[turn % gateways.length]!, CALLERS[turn % CALLERS.length]!.token, 'analytics', ANALYTICS);
        analytics++;
        await pause(ANALYTICS_PAUSE_MS);
      }
    };
    const loops = [
      ...gateways.flatMap((gateway, g) => CALLERS.map((caller, c) => reader(gateway, caller.token, mulberry32(0x50a + g * 16 + c)))),
      writer(),
      analyst(),
    ];

    for (let k = 1; !run.signal.aborted; k++) {
      const at = Math.min(k * SAMPLE_SECONDS, SOAK_SECONDS) * 1000;
      await pause(started + at - performance.now());
      if (run.signal.aborted) break;
      await sample(at);
      if (at >= SOAK_SECONDS * 1000) break;
    }
    run.abort();
    await Promise.all(loops);
    drain();
    const warnings = gateways.flatMap((gateway) => gateway.replica.logs.filter((line) => (line['level'] as number) < 50).map((line) => `${gateway.name}: ${String(line['msg'])}`));
    const logErrors = gateways.flatMap((gateway) => gateway.replica.logs.filter((line) => (line['level'] as number) >= 50).map((line) => `${gateway.name}: ${String(line['msg'])}`));
    report({ samples, gateways, subscribers, errorKinds, warnings, logErrors, writes, analytics });
  } catch (error) {
    console.error(`bench:soak: ${error instanceof Error ? error.message : String(error)}`);
    if (state.outcome !== 'interrupted') state.outcome = 'failed';
  } finally {
    stopping = true;
    await within(Promise.allSettled(subscribers.map((subscriber) => subscriber.subscription.close())), 10_000, 'closing subscribers').catch(() => undefined);
    await Promise.allSettled([...clients.values()].map((client) => client.dispose()));
    // Gateways first, then the backend and Redis they use: their requests still in flight would end in errors.
    await Promise.allSettled(gateways.map((gateway) => gateway.replica.stop()));
    await backend?.stop();
    await redis?.stop();
    clearTimeout(watchdog);
  }
  for (const line of died) console.error(`bench:soak: ${line}`);
  return state.outcome === 'completed' ? 0 : state.outcome === 'interrupted' ? 130 : 1;
}

function report(run: {
  samples: Sample[];
  gateways: Gateway[];
  subscribers: Subscriber[];
  errorKinds: Map<string, number>;
  warnings: string[];
  logErrors: string[];
  writes: number;
  analytics: number;
}): void {
  const { samples, gateways, subscribers } = run;
  console.log('\n| time | replica | RSS MB | heap used MB | event loop p99 ms | handles | sockets | requests | errors | events |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of samples) {
    console.log(
      `| ${clock(row.at)} | ${row.gateway} | ${fixed(row.rssMb)} | ${fixed(row.heapMb)} | ${fixed(row.loopP99Ms)} | ${row.handles} | ${row.sockets} | ${row.requests} | ${row.errors} | ${row.events} |`,
    );
  }
  const requests = gateways.reduce((n, gateway) => n + gateway.requests, 0);
  const clientErrors = gateways.reduce((n, gateway) => n + gateway.clientErrors, 0);
  const events = subscribers.reduce((n, subscriber) => n + subscriber.received, 0);
  const silent = subscribers.filter((subscriber) => subscriber.received === 0).length;
  console.log(`\nrequests: ${requests} (of which ${run.writes} tag writes and ${run.analytics} analytics)`);
  console.log(`subscription events: ${events} over ${subscribers.length} subscribers; subscribers that received none: ${silent}`);
  console.log(`errors: ${clientErrors + run.logErrors.length} (${clientErrors} seen by clients, ${run.logErrors.length} gateway error log lines); gateway warnings logged: ${run.warnings.length}`);
  for (const [kind, count] of [...run.errorKinds].slice(0, 10)) console.log(`  ${count} x ${kind}`);
  for (const line of [...new Set([...run.logErrors, ...run.warnings])].slice(0, 10)) console.log(`  logged: ${line}`);

  const last = samples.at(-1)?.at ?? 0;
  const long = SOAK_SECONDS >= 2 * BASELINE_SECONDS;
  const from = (long ? BASELINE_SECONDS : 0.2 * SOAK_SECONDS) * 1000;
  const rule = long
    ? `the sample at ${clock(from)}`
    : `the first sample at or after 20 % of the run (${fixed(from / 1000)} s; runs under ${clock(2 * BASELINE_SECONDS * 1000)} are too short to leave out the first two minutes)`;
  // Two single samples: RSS moves with when V8 last collected, so the heap beside it says how much of a change is garbage not yet collected.
  console.log(`\nRSS growth to the end (${clock(last)}), against ${rule}; more than ${GROWTH_LIMIT * 100} % would hint at a leak:`);
  for (const gateway of gateways) {
    const rows = samples.filter((row) => row.gateway === gateway.name);
    const base = rows.find((row) => row.at >= from);
    const end = rows.at(-1);
    if (!base || !end || base === end || !(base.rssMb > 0)) {
      console.log(`verdict ${gateway.name}: no figure (no sample after the baseline before the end)`);
      continue;
    }
    const growth = end.rssMb / base.rssMb - 1;
    console.log(
      `verdict ${gateway.name}: RSS ${fixed(base.rssMb)} MB at ${clock(base.at)} -> ${fixed(end.rssMb)} MB at ${clock(end.at)}, ` +
        `${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} % (heap used ${fixed(base.heapMb)} -> ${fixed(end.heapMb)} MB); ` +
        `grew more than ${GROWTH_LIMIT * 100} %: ${growth > GROWTH_LIMIT ? 'yes' : 'no'}`,
    );
  }
}

process.exit(await main());
