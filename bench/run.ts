/**
 * `npm run bench`: the workflow benchmark. An embedded backend (own process) holds
 * BENCH_ASSIGNMENTS assignments in one project and answers after BENCH_LATENCY_MS;
 * the gateway runs in this process, so RSS readings are the gateway's.
 *
 * Prints: analytics through the gateway vs. the SDK's sequential `next` walk vs. a
 * bare concurrent page fetch with the same concurrency, at the SDK's page size on
 * both sides and at the gateway's default stream page size; peak RSS growth during
 * analytics; the report with every dashboard figure against the current one; upstream
 * calls of the batching cases and of automation.
 */
import os from 'node:os';
import pLimit from 'p-limit';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.ts';
import { createGateway } from '../src/gateway.ts';
import { analyticsFilter, analyticsWindow, createAnalyticsAccumulator } from '../src/workflows/analytics.ts';
import { Instant, type WireAssignment, type WirePage } from '../src/contract/index.ts';
import { spawnBackend } from './spawn-backend.ts';

const ASSIGNMENTS = Number(process.env['BENCH_ASSIGNMENTS'] ?? 100_000);
const LATENCY_MS = Number(process.env['BENCH_LATENCY_MS'] ?? 20);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const TOKEN = 'dev-admin-token';
const DAYS = 30;

const backend = await spawnBackend({ BENCH_ASSIGNMENTS: String(ASSIGNMENTS), BENCH_LATENCY_MS: String(LATENCY_MS) });
// Production settings, but with room for a 100,000-row analytics on a loaded machine
// and no per-caller rate limit (the benchmark is one caller asking many times).
// The response cache off: after the warm-up every timed run would be a cache hit.
const base = loadConfig({
  NODE_ENV: 'production',
  LOG_LEVEL: 'silent',
  OPERATION_TIMEOUT_MS: '300000',
  RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0',
  RESPONSE_CACHE_TTL_MS: '0',
});
const { concurrency } = base.upstream;
/** The SDK's page size (contract: SDK default 100). */
const SDK_PAGE_SIZE = 100;
/** Page sizes the gateway is measured with: the default, and the backend's maximum. */
/**
 * Page sizes of the streamed reads: the SDK's 100 on both sides (apples to apples),
 * and the gateway's default SYNAPSE_STREAM_PAGE_SIZE with the bare fetch at the same.
 */
const PAGE_SIZES = [SDK_PAGE_SIZE, base.upstream.streamPageSize];
const makeGateway = (streamPageSize: number) =>
  createGateway({ ...base, upstream: { ...base.upstream, baseUrl: backend.url, idsFilter: true, streamPageSize } });
let gateway = makeGateway(base.upstream.streamPageSize);
/** Replaces the gateway, closing the old one's upstream connections. */
async function useGateway(streamPageSize: number): Promise<void> {
  await gateway.dispose();
  gateway = makeGateway(streamPageSize);
}
/** The bare readers' HTTP client: the gateway's default one, undici's Pool. */
const pool = new Pool(new URL(backend.url).origin, { connections: base.upstream.connections });
const asOf = new Date();
const createdAfter = new Date(asOf.getTime() - DAYS * 86_400_000).toISOString();

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const response = await gateway.fetch('http://bench/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Token ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[]; extensions?: { upstream?: { requests: number; writes: number } } };
  if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 500));
  return body;
}

async function getPage(url: string): Promise<WirePage<WireAssignment>> {
  const { pathname, search } = new URL(url);
  const response = await pool.request({ method: 'GET', path: pathname + search, headers: { authorization: `Token ${TOKEN}` } });
  return (await response.body.json()) as WirePage<WireAssignment>;
}

/** The SDK's pattern: list_all walks `next` one page after another, then aggregates. */
async function sdkSequentialWalk(): Promise<{ total: number; requests: number }> {
  let url: string | null = `${backend.url}sdk/assignments/?project=1&created_after=${encodeURIComponent(createdAfter)}&page_size=${SDK_PAGE_SIZE}`;
  const statuses: Record<string, number> = {};
  let total = 0;
  let requests = 0;
  while (url && requests < 100_000) {
    const page = await getPage(url);
    requests++;
    for (const row of page.results) {
      if (Date.parse(row.created_at) > asOf.getTime()) continue;
      total++;
      statuses[row.status] = (statuses[row.status] ?? 0) + 1;
    }
    url = page.next;
  }
  return { total, requests };
}

/** The floor: every page fetched with the same concurrency, rows discarded. */
async function bareConcurrentFetch(pageSize: number): Promise<{ rows: number; requests: number }> {
  const pageUrl = (page: number) =>
    `${backend.url}sdk/assignments/?project=1&created_after=${encodeURIComponent(createdAfter)}&page=${page}&page_size=${pageSize}`;
  const first = await getPage(pageUrl(1));
  const pages = Math.ceil(first.count / pageSize);
  const limit = pLimit(concurrency);
  const sizes = await Promise.all(Array.from({ length: pages - 1 }, (_, i) => limit(async () => (await getPage(pageUrl(i + 2))).results.length)));
  return { rows: first.results.length + sizes.reduce((a, b) => a + b, 0), requests: pages };
}

const ANALYTICS = /* GraphQL */ `
  query Analytics($asOf: DateTime) {
    assignmentAnalytics(filter: { project: 1 }, days: ${DAYS}, asOf: $asOf) {
      totalAssignments completionRate averageHoursToComplete
      statusBreakdown { status count }
      assigneePerformance { assigneeId total completed completionRate averageHoursToComplete }
    }
  }
`;

/** The same report with every dashboard figure: two series, percentiles, throughput, backlog. */
const DASHBOARD = /* GraphQL */ `
  query Dashboard($asOf: DateTime) {
    assignmentAnalytics(filter: { project: 1 }, days: ${DAYS}, asOf: $asOf) {
      totalAssignments completionRate averageHoursToComplete
      statusBreakdown { status count }
      hoursToComplete { count p50 p90 p99 max exact }
      assigneePerformance { assigneeId total completed completionRate averageHoursToComplete completedPerDay hoursToComplete { p50 p90 p99 max } }
      daily: series(bucket: DAY, timeZone: "Asia/Seoul") { date start end hours created completed rejected medianHoursToComplete }
      weekly: series(bucket: WEEK, timeZone: "America/New_York") { date start end hours created completed rejected medianHoursToComplete }
      backlog { pending inProgress oldestPendingAgeHours }
    }
  }
`;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Run {
  ms: number;
  /** CPU time of this process (the gateway; the backend has its own) during the run. */
  cpuMs: number;
  requests: number;
  peakGrowthMb: number;
}

interface Measured {
  pageSize: number;
  gatewayMs: number;
  dashboardMs: number;
  gatewayCpuMs: number;
  dashboardCpuMs: number;
  bareMs: number;
  requests: number;
  dashboardRequests: number;
  total: number;
  peakGrowthMb: number;
  dashboardPeakGrowthMb: number;
}

/** One gateway run of `query`, with the growth of RSS over the process's level before it. */
async function gatewayRun(query: string): Promise<Run & { body: Awaited<ReturnType<typeof gql>> }> {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const cpu = process.cpuUsage();
  const run = await timed(() => gql(query, { asOf: asOf.toISOString() }));
  const { user, system } = process.cpuUsage(cpu);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { ms: run.ms, cpuMs: (user + system) / 1000, requests: run.value.extensions!.upstream!.requests, peakGrowthMb: (peak - baseline) / 1_048_576, body: run.value };
}

/**
 * Median times at one page size of the current analytics, of the same report with
 * every dashboard figure, and of the bare fetch; the two reports alternate which
 * goes first in each round, so the machine's drift favours neither.
 */
async function measure(pageSize: number): Promise<Measured> {
  await useGateway(pageSize);
  await gql(ANALYTICS, { asOf: asOf.toISOString() }); // warm-up: connections, JIT
  await gql(DASHBOARD, { asOf: asOf.toISOString() });
  const current: Run[] = [];
  const dashboard: Run[] = [];
  const bareRuns: number[] = [];
  let total = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [ANALYTICS, DASHBOARD] : [DASHBOARD, ANALYTICS];
    for (const query of order) {
      const run = await gatewayRun(query);
      (query === ANALYTICS ? current : dashboard).push(run);
      const report = run.body.data.assignmentAnalytics;
      if (total !== 0 && report.totalAssignments !== total) throw new Error(`totals differ between the reports: ${total} and ${report.totalAssignments}`);
      total = report.totalAssignments;
    }
    bareRuns.push((await timed(() => bareConcurrentFetch(pageSize))).ms);
  }
  return {
    pageSize,
    gatewayMs: median(current.map((r) => r.ms)),
    dashboardMs: median(dashboard.map((r) => r.ms)),
    gatewayCpuMs: median(current.map((r) => r.cpuMs)),
    dashboardCpuMs: median(dashboard.map((r) => r.cpuMs)),
    bareMs: median(bareRuns),
    requests: current[0]!.requests,
    dashboardRequests: dashboard[0]!.requests,
    total,
    peakGrowthMb: Math.max(...current.map((r) => r.peakGrowthMb)),
    dashboardPeakGrowthMb: Math.max(...dashboard.map((r) => r.peakGrowthMb)),
  };
}

const AGGREGATION_ROUNDS = 9;

/**
 * The accumulator's own cost, without the network: the dashboard's rows read once,
 * then folded by the current report's accumulator and by the dashboard's, alternately.
 */
async function aggregationOnly(): Promise<{ rows: number; currentMs: number; dashboardMs: number }> {
  const window = analyticsWindow(Instant.fromDate(asOf), DAYS);
  const pageSize = 1000;
  const filter = new URLSearchParams(analyticsFilter({ project: 1 }, window, 'updated') as Record<string, string>);
  const pages: WireAssignment[][] = [];
  const first = await getPage(`${backend.url}sdk/assignments/?${filter}&page=1&page_size=${pageSize}`);
  pages.push(first.results);
  for (let page = 2; page <= Math.ceil(first.count / pageSize); page++) {
    pages.push((await getPage(`${backend.url}sdk/assignments/?${filter}&page=${page}&page_size=${pageSize}`)).results);
  }
  const series = [
    { key: 'daily', bucket: 'DAY' as const, timeZone: 'Asia/Seoul' },
    { key: 'weekly', bucket: 'WEEK' as const, timeZone: 'America/New_York' },
  ];
  const fold = (options: Parameters<typeof createAnalyticsAccumulator>[1]) => {
    const cpu = process.cpuUsage();
    const accumulator = createAnalyticsAccumulator(window, options);
    for (const rows of pages) accumulator.add(rows);
    accumulator.result();
    const { user, system } = process.cpuUsage(cpu);
    return (user + system) / 1000;
  };
  const current: number[] = [];
  const dashboard: number[] = [];
  for (let round = 0; round < AGGREGATION_ROUNDS; round++) {
    current.push(fold({}));
    dashboard.push(fold({ series }));
  }
  return { rows: pages.reduce((n, rows) => n + rows.length, 0), currentMs: median(current), dashboardMs: median(dashboard) };
}

const results: Measured[] = [];
for (const pageSize of PAGE_SIZES) results.push(await measure(pageSize));
const sdk = await timed(sdkSequentialWalk);
for (const r of results) {
  if (r.total !== sdk.value.total) throw new Error(`totals differ: sdk ${sdk.value.total}, gateway ${r.total} (page size ${r.pageSize})`);
}

console.log(`\nAnalytics over ${sdk.value.total} assignments created in the last ${DAYS} days (${ASSIGNMENTS} in the project),`);
console.log(`upstream latency ${LATENCY_MS} ms, concurrency ${concurrency}, median of ${ROUNDS} runs:\n`);
console.log('| approach | page size | time (ms) | upstream requests | walk ÷ this | this ÷ bare fetch |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
console.log(`| SDK pattern: sequential next walk | ${SDK_PAGE_SIZE} | ${sdk.ms.toFixed(0)} | ${sdk.value.requests} | 1.00x | |`);
for (const r of results) {
  console.log(`| bare concurrent page fetch | ${r.pageSize} | ${r.bareMs.toFixed(0)} | ${Math.ceil(r.total / r.pageSize)} | ${(sdk.ms / r.bareMs).toFixed(2)}x | 1.00x |`);
  console.log(`| gateway assignmentAnalytics | ${r.pageSize} | ${r.gatewayMs.toFixed(0)} | ${r.requests} | ${(sdk.ms / r.gatewayMs).toFixed(2)}x | ${(r.gatewayMs / r.bareMs).toFixed(2)}x |`);
}
console.log('\nTargets at the SDK page size on both sides (gateway >= 6x faster than the walk, <= 1.2x the bare fetch, RSS growth <= 150 MB);');
console.log(`the gateway's default stream page size (${base.upstream.streamPageSize}) is shown against the same thresholds:`);
for (const r of results) {
  const speedup = sdk.ms / r.gatewayMs;
  const overhead = r.gatewayMs / r.bareMs;
  const label = r.pageSize === SDK_PAGE_SIZE ? `page size ${r.pageSize} (target)` : `page size ${r.pageSize} (gateway default)`;
  console.log(
    `  ${label}: ${speedup.toFixed(2)}x ${speedup >= 6 ? 'met' : 'MISSED'}; ${overhead.toFixed(2)}x ${overhead <= 1.2 ? 'met' : 'MISSED'}; ` +
      `peak RSS growth ${r.peakGrowthMb.toFixed(1)} MB ${r.peakGrowthMb <= 150 ? 'met' : 'MISSED'}`,
  );
}
console.log(`  (with page size ${SDK_PAGE_SIZE} on both sides, concurrency ${concurrency} bounds the speedup at ${concurrency}x: the walk waits one latency per page, the stream ${concurrency} pages per latency)\n`);

console.log('Dashboard figures (two series, percentiles, throughput, backlog) against the current analytics, same run:\n');
console.log(
  '| page size | time ms (current / dashboard) | dashboard ÷ current | gateway CPU ms (current / dashboard) | CPU dashboard ÷ current | upstream requests (current / dashboard) | peak RSS growth MB (current / dashboard) |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.pageSize} | ${r.gatewayMs.toFixed(0)} / ${r.dashboardMs.toFixed(0)} | ${(r.dashboardMs / r.gatewayMs).toFixed(2)}x | ` +
      `${r.gatewayCpuMs.toFixed(0)} / ${r.dashboardCpuMs.toFixed(0)} | ${(r.dashboardCpuMs / r.gatewayCpuMs).toFixed(2)}x | ` +
      `${r.requests} / ${r.dashboardRequests} | ${r.peakGrowthMb.toFixed(1)} / ${r.dashboardPeakGrowthMb.toFixed(1)} |`,
  );
}
const aggregation = await aggregationOnly();
console.log(
  `\nThe aggregation alone, in process over the ${aggregation.rows} rows the dashboard reads (CPU ms, median of ${AGGREGATION_ROUNDS}): ` +
    `current report ${aggregation.currentMs.toFixed(1)}, with dashboard figures ${aggregation.dashboardMs.toFixed(1)} ` +
    `(${(aggregation.dashboardMs / aggregation.currentMs).toFixed(2)}x). Load average during the run: ${os.loadavg().map((n) => n.toFixed(1)).join(' ')} on ${os.cpus().length} cores.`,
);
console.log('\nTargets (dashboard <= 1.1x the current analytics in time and in gateway CPU, peak RSS growth < 50 MB):');
for (const r of results) {
  const ratio = r.dashboardMs / r.gatewayMs;
  const cpu = r.dashboardCpuMs / r.gatewayCpuMs;
  console.log(
    `  page size ${r.pageSize}: time ${ratio.toFixed(2)}x ${ratio <= 1.1 ? 'met' : 'MISSED'}; CPU ${cpu.toFixed(2)}x ${cpu <= 1.1 ? 'met' : 'MISSED'}; ` +
      `peak RSS growth ${r.dashboardPeakGrowthMb.toFixed(1)} MB ${r.dashboardPeakGrowthMb < 50 ? 'met' : 'MISSED'}`,
  );
}
console.log('');
await useGateway(base.upstream.streamPageSize);

// Upstream calls of the batching cases and of automation.
const list = await gql('{ assignments(filter: {project: 1}, first: 100) { nodes { id tags { id name } } } }');
const ids: string[] = list.data.assignments.nodes.map((n: { id: string }) => n.id);
const byIds = await gql('query($ids: [ID!]!) { assignmentsByIds(ids: $ids) { id status } }', { ids });
const AUTOMATION = /* GraphQL */ `
  mutation Automate($dryRun: Boolean!, $asOf: DateTime) {
    runAssignmentAutomation(input: { filter: { project: 1 }, asOf: $asOf, dryRun: $dryRun }) {
      writeCalls summary { rule matched alreadyTagged newlyTagged }
    }
  }
`;
const preview = await timed(() => gql(AUTOMATION, { dryRun: true, asOf: asOf.toISOString() }));
const real = await timed(() => gql(AUTOMATION, { dryRun: false, asOf: asOf.toISOString() }));
const again = await gql(AUTOMATION, { dryRun: false, asOf: asOf.toISOString() });
const reads = (body: { extensions?: { upstream?: { requests: number; writes: number } } }) =>
  body.extensions!.upstream!.requests - body.extensions!.upstream!.writes;
const matched = preview.value.data.runAssignmentAutomation.summary.reduce((n: number, s: { matched: number }) => n + s.matched, 0);
console.log('| operation | upstream reads | upstream writes | time (ms) |');
console.log('| --- | ---: | ---: | ---: |');
console.log(`| list 100 assignments with tags | ${reads(list)} | 0 | |`);
console.log(`| assignmentsByIds, 100 ids | ${reads(byIds)} | 0 | |`);
console.log(`| automation dry run (${matched} matches) | ${reads(preview.value)} | ${preview.value.extensions!.upstream!.writes} | ${preview.ms.toFixed(0)} |`);
console.log(`| automation run | ${reads(real.value)} | ${real.value.data.runAssignmentAutomation.writeCalls} | ${real.ms.toFixed(0)} |`);
console.log(`| automation second run, same asOf | ${reads(again)} | ${again.data.runAssignmentAutomation.writeCalls} | |`);
console.log(`\n(The SDK's example makes one set_tags call per matching assignment: ${matched} writes.)`);

await gateway.dispose();
await backend.stop();
await pool.close();
process.exit(0);
