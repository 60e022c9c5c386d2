/**
 * `npm run load`: HTTP load on loopback, bounded in time. The embedded backend and
 * the gateway (`src/server.ts`) each run in a child process, so the gateway's RSS is
 * its own (read from /proc). autocannon drives, with LOAD_CONNECTIONS connections
 * for LOAD_DURATION_S seconds each:
 *   - gateway: the list-with-tags query, and a detail query (ids rotating);
 *   - direct REST: the same list page and the same detail, straight to the backend,
 * twice over (run 1, run 2), and prints req/s, p50, p99, errors, upstream calls per
 * operation and the gateway's RSS before/after each scenario, then the gateway's
 * overhead as ratios and the RSS change from run 1 to run 2.
 *
 * Env: LOAD_DURATION_S (30), LOAD_CONNECTIONS (200), LOAD_WARMUP_S (5), LOAD_ASSIGNMENTS (2000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { metricValue } from '../test/helpers/metrics.ts';
import { autocannon, type AutocannonRequest } from './autocannon.ts';
import { listeningUrl } from './spawn-backend.ts';

const HOST = '127.0.0.1';
const TOKEN = 'dev-admin-token';
const DURATION_S = Number(process.env['LOAD_DURATION_S'] ?? 30);
const CONNECTIONS = Number(process.env['LOAD_CONNECTIONS'] ?? 200);
const WARMUP_S = Number(process.env['LOAD_WARMUP_S'] ?? 5);
const ASSIGNMENTS = Number(process.env['LOAD_ASSIGNMENTS'] ?? 2000);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Child role: the embedded backend, on loopback, without its request log (it would grow for minutes). */
async function runBackend(): Promise<void> {
  const { createDevBackend } = await import('../src/dev-backend/server.ts');
  const backend = await createDevBackend({
    dbPath: join(process.env['LOAD_DIR']!, 'synapse.sqlite'),
    host: HOST,
    port: 0,
    seed: { assignments: ASSIGNMENTS },
    recordRequests: false,
  });
  console.log(JSON.stringify({ url: backend.url }));
  process.once('SIGTERM', () => void backend.close().then(() => process.exit(0)));
}


interface Row {
  run: number;
  scenario: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  /** Connection errors, timeouts, non-2xx answers and answers with GraphQL errors. */
  errors: number;
  /** Of which autocannon timeouts (no answer within 10 s). */
  timeouts: number;
  callsPerOp: number | null;
  rssBefore: number;
  rssAfter: number;
}

const LIST = 'query ListWithTags { assignments(first: 50) { nodes { id status priority assigneeId tags { id name } } } }';
const DETAIL = 'query Detail($id: ID!) { assignment(id: $id) { id status priority assigneeId data tags { id name } } }';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-load-'));
  const children: ChildProcess[] = [];
  const budgetMs = (WARMUP_S * 2 + 8 * (DURATION_S + 15) + 240) * 1000;
  const watchdog = setTimeout(() => {
    console.error(`load: still running after ${budgetMs / 1000} s; stopping`);
    for (const child of children) child.kill('SIGKILL');
    process.exit(1);
  }, budgetMs);
  const stopChildren = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.once('SIGINT', () => {
    stopChildren();
    process.exit(130);
  });

  try {
    const backend = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      cwd: ROOT,
      env: { ...process.env, LOAD_ROLE: 'backend', LOAD_DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(backend);
    const backendUrl = await listeningUrl(backend, 120_000, 'backend');
    if (new URL(backendUrl).hostname !== HOST) throw new Error(`backend not on loopback: ${backendUrl}`);

    const port = await freePort();
    // In production /metrics is on the admin listener, on a port of its own.
    const adminPort = await freePort();
    const gateway = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        HOST,
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        SYNAPSE_BACKEND_URL: backendUrl,
        LOG_LEVEL: 'info',
        // The gateway's own cost per operation: the same query repeated would otherwise be a cache hit
        // (`npm run bench:live` measures the cache).
        RESPONSE_CACHE_TTL_MS: '0',
      },
      // One JSON line per operation, as in production, into a file (not a pipe this process must drain).
      stdio: ['ignore', openSync(join(dir, 'gateway.log'), 'w'), 'inherit'],
    });
    children.push(gateway);
    const gatewayUrl = `http://${HOST}:${port}`;
    const metricsUrl = `http://${HOST}:${adminPort}/metrics`;
    const logPath = join(dir, 'gateway.log');
    await waitUntilHealthy(`${gatewayUrl}/health`, 120_000);
    const gatewayPid = gateway.pid!;

    const auth = { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' };
    let nextId = 0;
    const rotatingId = () => (nextId++ % ASSIGNMENTS) + 1;
    const scenarios: { name: string; url: string; viaGateway: boolean; requests: AutocannonRequest[] }[] = [
      {
        name: 'gateway: list 50 with tags',
        url: gatewayUrl,
        viaGateway: true,
        requests: [{ method: 'POST', path: '/graphql', headers: auth, body: JSON.stringify({ query: LIST }) }],
      },
      {
        name: 'gateway: detail by id',
        url: gatewayUrl,
        viaGateway: true,
        requests: [
          {
            method: 'POST',
            path: '/graphql',
            headers: auth,
            setupRequest: (request) => ({ ...request, body: JSON.stringify({ query: DETAIL, variables: { id: String(rotatingId()) } }) }),
          },
        ],
      },
      {
        name: 'REST: list 50',
        url: backendUrl,
        viaGateway: false,
        requests: [{ method: 'GET', path: '/sdk/assignments/?ordering=id&page=1&page_size=50', headers: auth }],
      },
      {
        name: 'REST: detail by id',
        url: backendUrl,
        viaGateway: false,
        requests: [{ method: 'GET', path: '/assignments/1/', headers: auth, setupRequest: (request) => ({ ...request, path: `/assignments/${rotatingId()}/` }) }],
      },
    ];
    await assertAnswers(gatewayUrl, backendUrl);

    console.log(`load: ${CONNECTIONS} connections, ${DURATION_S} s per scenario, ${ASSIGNMENTS} assignments, loopback only`);
    console.log(`load: warming up ${WARMUP_S} s per gateway scenario`);
    for (const scenario of scenarios.filter((s) => s.viaGateway)) {
      await autocannon({ url: scenario.url, connections: CONNECTIONS, duration: WARMUP_S, requests: scenario.requests });
    }

    const rows: Row[] = [];
    const memory: { rss: number; heap: number }[] = [];
    for (const run of [1, 2]) {
      for (const scenario of scenarios) {
        const rssBefore = rssMb(gatewayPid);
        const logFrom = statSync(logPath).size;
        const result = await autocannon({ url: scenario.url, connections: CONNECTIONS, duration: DURATION_S, requests: scenario.requests });
        const rssAfter = rssMb(gatewayPid);
        // The gateway's own log lines of this scenario: GraphQL errors inside 200 answers, upstream calls.
        const ops = scenario.viaGateway ? await operationsLogged(logPath, logFrom) : undefined;
        rows.push({
          run,
          scenario: scenario.name,
          reqPerSec: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
          // autocannon's `errors` already include its timeouts.
          errors: result.errors + result.non2xx + (ops?.failed ?? 0),
          timeouts: result.timeouts,
          callsPerOp: ops && ops.count > 0 ? ops.upstreamCalls / ops.count : null,
          rssBefore,
          rssAfter,
        });
        console.log(`load: run ${run}, ${scenario.name}: ${Math.round(result.requests.average)} req/s`);
      }
      printTable(rows.filter((row) => row.run === run), `Run ${run}`);
      // The REST scenarios left the gateway idle for a while: a comparable point for memory.
      memory.push({ rss: rssMb(gatewayPid), heap: (await gatewayCounters(metricsUrl)).heapUsedMb });
    }
    printSummary(rows, memory);
    const final = await gatewayCounters(metricsUrl);
    console.log(`\nBreaker state at the end: ${['closed', 'half-open', 'open'][final.breakerState] ?? final.breakerState}; upstream retries: ${final.retries}`);
  } finally {
    clearTimeout(watchdog);
    stopChildren();
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
    if (process.env['LOAD_KEEP_DIR']) console.log(`load: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Fails fast if either side does not answer what the scenarios expect. */
async function assertAnswers(gatewayUrl: string, backendUrl: string): Promise<void> {
  const headers = { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' };
  for (const body of [{ query: LIST }, { query: DETAIL, variables: { id: '1' } }]) {
    const response = await fetch(`${gatewayUrl}/graphql`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = (await response.json()) as { errors?: unknown };
    if (response.status !== 200 || json.errors) throw new Error(`gateway answered ${response.status}: ${JSON.stringify(json).slice(0, 300)}`);
  }
  const rest = await fetch(`${backendUrl}sdk/assignments/?page=1&page_size=50`, { headers });
  if (rest.status !== 200) throw new Error(`backend answered ${rest.status}`);
  await rest.text();
}

/**
 * The operation lines the gateway logged from byte `from` on: how many, how many
 * answered with errors to a client still there, and the upstream calls they made.
 */
async function operationsLogged(path: string, from: number): Promise<{ count: number; failed: number; upstreamCalls: number }> {
  // pino writes asynchronously: give the last lines a moment to land.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const text = readFileSync(path).subarray(from).toString('utf8');
  const totals = { count: 0, failed: 0, upstreamCalls: 0 };
  for (const line of text.split('\n')) {
    if (!line.includes('"graphql operation"')) continue;
    const entry = JSON.parse(line) as { errors: number; clientGone?: boolean; upstream?: { requests: number } };
    totals.count++;
    totals.upstreamCalls += entry.upstream?.requests ?? 0;
    // Cut by autocannon (its timeout, or its connections closing at the end): not an answer.
    if (!entry.clientGone && entry.errors > 0) totals.failed++;
  }
  return totals;
}

/** Figures from the gateway's own metrics (its admin listener's `/metrics`). */
async function gatewayCounters(metricsUrl: string): Promise<{ retries: number; breakerState: number; heapUsedMb: number }> {
  const text = await (await fetch(metricsUrl)).text();
  return {
    retries: metricValue(text, 'synapse_upstream_retries_total'),
    breakerState: metricValue(text, 'synapse_circuit_breaker_state'),
    heapUsedMb: metricValue(text, 'nodejs_heap_size_used_bytes') / 1024 / 1024,
  };
}

function printTable(rows: Row[], title: string): void {
  console.log(`\n${title}`);
  console.log('| scenario | req/s | p50 ms | p99 ms | errors | of which timeouts | upstream calls/op | gateway RSS before → after (MB) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const row of rows) {
    const calls = row.callsPerOp === null ? '–' : row.callsPerOp.toFixed(2);
    console.log(
      `| ${row.scenario} | ${Math.round(row.reqPerSec)} | ${row.p50} | ${row.p99} | ${row.errors} | ${row.timeouts} | ${calls} | ${row.rssBefore.toFixed(0)} → ${row.rssAfter.toFixed(0)} |`,
    );
  }
}

function printSummary(rows: Row[], memory: { rss: number; heap: number }[]): void {
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '–');
  console.log('\nGateway overhead (gateway ÷ direct REST)');
  console.log('| data | run | req/s ratio | p50 ratio | p99 ratio |');
  console.log('|---|---:|---:|---:|---:|');
  for (const run of [1, 2]) {
    for (const [data, gatewayName, restName] of [
      ['list 50 (+tags)', 'gateway: list 50 with tags', 'REST: list 50'],
      ['detail', 'gateway: detail by id', 'REST: detail by id'],
    ] as const) {
      const g = rows.find((row) => row.run === run && row.scenario === gatewayName)!;
      const r = rows.find((row) => row.run === run && row.scenario === restName)!;
      console.log(`| ${data} | ${run} | ${ratio(g.reqPerSec, r.reqPerSec)} | ${ratio(g.p50, r.p50)} | ${ratio(g.p99, r.p99)} |`);
    }
  }
  const change = (a: number, b: number) => `${b - a >= 0 ? '+' : ''}${(b - a).toFixed(1)} MB (${(((b - a) / a) * 100).toFixed(1)} %)`;
  console.log('\nGateway memory, run 1 → run 2');
  console.log('| measured | run 1 (MB) | run 2 (MB) | change |');
  console.log('|---|---:|---:|---:|');
  for (const name of ['gateway: list 50 with tags', 'gateway: detail by id']) {
    const [a, b] = [1, 2].map((run) => rows.find((row) => row.run === run && row.scenario === name)!.rssAfter);
    console.log(`| RSS right after "${name}" | ${a!.toFixed(0)} | ${b!.toFixed(0)} | ${change(a!, b!)} |`);
  }
  const [m1, m2] = memory;
  console.log(`| RSS after the run (gateway idle during REST) | ${m1!.rss.toFixed(0)} | ${m2!.rss.toFixed(0)} | ${change(m1!.rss, m2!.rss)} |`);
  console.log(`| V8 heap used after the run | ${m1!.heap.toFixed(0)} | ${m2!.heap.toFixed(0)} | ${change(m1!.heap, m2!.heap)} |`);
}

/** Resident set size of a process, in MB, from /proc (Linux). */
function rssMb(pid: number): number {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB$/m);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntilHealthy(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} not healthy within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

if (process.env['LOAD_ROLE'] === 'backend') {
  await runBackend();
} else {
  await main();
}
