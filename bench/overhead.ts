/**
 * `npm run bench:overhead`: what one GraphQL operation costs in the gateway, next to
 * the floor of its stack, on loopback and bounded in time. Processes, each its own:
 *   - the embedded backend (BENCH_ASSIGNMENTS rows in one project, no added latency);
 *   - the gateway as `npm start` runs it (the bundle `npm run build` makes of
 *     src/server.ts) in its production configuration, every default plugin on,
 *     `SYNAPSE_IDS_FILTER=false` (a backend without the `ids` filter), enforcing trusted
 *     documents (`TRUSTED_DOCUMENTS=enforce`) with a manifest of the benchmark's documents;
 *   - the floor (bench/floor/server.ts, bundled the same way): bare graphql-yoga making
 *     the same REST calls;
 *   - Apollo Server 5 with RESTDataSource (bench/apollo/server.ts, bundled the same way):
 *     the same schema and REST calls on the stack a team would otherwise pick;
 *   - optionally more gateways with other settings (BENCH_VARIANTS, see below);
 *   - with BENCH_TRACING=1, two more gateways sending OpenTelemetry traces to a do-nothing
 *     OTLP/HTTP sink (bench/otlp-sink.ts, a process of its own): every operation sampled,
 *     and one in a hundred. The plain gateway is tracing off.
 * autocannon (in this process) drives each query on each server in turn, alternating
 * which goes first, for BENCH_ROUNDS rounds, then the equivalent REST reads straight
 * from the backend. CPU figures come from each process's own CPU time over the run
 * (/proc/<pid>/stat), upstream calls from the backend's request counter (over IPC).
 *
 * Env: BENCH_DURATION_S (10), BENCH_WARMUP_S (10), BENCH_CONNECTIONS (32), BENCH_ROUNDS (2),
 * BENCH_ASSIGNMENTS (100000), BENCH_VARIANTS ("name:KEY=value,KEY=value;name2:..."): more
 * gateways with those settings, measured in the same alternation (`BENCH_TSX=1` in a
 * variant runs src/server.ts through the tsx loader instead of the bundle); BENCH_TRACING (1: the
 * tracing variants above); BENCH_QUERIES (a comma
 * list of hello, one, oneById, page, byIds, rest: only those; `rest` is the REST reads; `oneById` is
 * `one` sent to the gateways as its `documentId`, the floor and Apollo getting its text); BENCH_PROFILE (a
 * folder: the gateways and the floor write V8 CPU profiles there when they stop, and the run ends
 * with their CPU per operation by package side by side: where a missed target's time goes).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { mulberry32 } from '../src/dev-backend/prng.ts';
import { sha256Hex } from '../src/trusted-documents/manifest.ts';
import { autocannon, type AutocannonRequest, type AutocannonResult } from './autocannon.ts';
import { printProfileTable, profileOf } from './profile-summary.ts';
import { listeningUrl, spawnBackend, type SpawnedBackend } from './spawn-backend.ts';

const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 10);
// Three seconds left the servers still tuning (JIT, heap sizing): over three rounds of one run a
// gateway's CPU per operation fell 1,251 -> 900 -> 758 µs, so the first server measured lost.
const WARMUP_S = Number(process.env['BENCH_WARMUP_S'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 2);
const ROWS = Number(process.env['BENCH_ASSIGNMENTS'] ?? 100_000);
const VARIANTS = parseVariants(process.env['BENCH_VARIANTS'] ?? '');
const TRACING = process.env['BENCH_TRACING'] === '1';
/** The tracing variants, by name, and their sampler; they send to the sink's URL. */
const TRACING_VARIANTS: { name: string; env: Record<string, string> }[] = [
  { name: 'traces on, 100%', env: { OTEL_TRACES_SAMPLER: 'always_on' } },
  { name: 'traces on, 1%', env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' } },
];
const ONLY = process.env['BENCH_QUERIES']?.split(',').map((name) => name.trim());
const PROFILE_DIR = process.env['BENCH_PROFILE'];
const PROFILE_FLAGS = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
const TSX = ['--import', 'tsx', ...PROFILE_FLAGS];
const TOKEN = 'dev-admin-token';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Targets of the issue (#11): gateway ≥ 1.0x the floor's req/s, ≤ 1.3x its CPU per upstream call, backend ≤ 3 ms per page. */
const TARGET_THROUGHPUT_RATIO = 1.0;
const TARGET_CPU_PER_CALL_RATIO = 1.3;
const TARGET_BACKEND_MS_PER_PAGE = 3;

interface Server {
  name: string;
  role: 'gateway' | 'floor' | 'apollo';
  url: string;
  pid: number;
}

interface Row {
  round: number;
  query: string;
  server: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  callsPerOp: number;
  cpuPerOpUs: number;
  cpuPerCallUs: number;
  backendCpuPerOpUs: number;
}

const FIELDS = 'id status priority assigneeId createdAt tags { id name }';
const PAGE = 20;
/** Connection pages are drawn from the first ones, as people page through lists. */
const PAGES_DRAWN = Math.min(250, Math.floor(ROWS / PAGE));
const cursor = (offset: number) => Buffer.from(`assignment-offset:${offset}`, 'utf8').toString('base64url');

interface Query {
  name: string;
  label: string;
  document: string;
  variables: (random: () => number) => Record<string, unknown>;
  /** Sent to the gateways as `documentId` (the trusted documents' lookup) instead of its text. */
  byId?: boolean;
}

const randomId = (random: () => number) => 1 + Math.floor(random() * ROWS);
const ONE = `query One($id: ID!) { assignment(id: $id) { ${FIELDS} } }`;
const ALL_QUERIES: Query[] = [
  { name: 'hello', label: '`{ __typename }` (no upstream call)', document: '{ __typename }', variables: () => ({}) },
  { name: 'one', label: '`assignment(id)` with tags', document: ONE, variables: (random) => ({ id: String(randomId(random)) }) },
  {
    name: 'oneById',
    label: '`assignment(id)` with tags, by `documentId` (floor, Apollo: text)',
    document: ONE,
    variables: (random) => ({ id: String(randomId(random)) }),
    byId: true,
  },
  {
    name: 'page',
    label: '`assignments(first: 20)` with tags',
    document: `query Page($after: String) { assignments(first: ${PAGE}, after: $after) { nodes { ${FIELDS} } } }`,
    variables: (random) => {
      const page = Math.floor(random() * PAGES_DRAWN);
      return { after: page === 0 ? null : cursor(page * PAGE - 1) };
    },
  },
  {
    name: 'byIds',
    label: '`assignmentsByIds` (20 ids) with tags',
    document: `query ByIds($ids: [ID!]!) { assignmentsByIds(ids: $ids) { ${FIELDS} } }`,
    variables: (random) => {
      const ids = new Set<string>();
      while (ids.size < 20) ids.add(String(randomId(random)));
      return { ids: [...ids] };
    },
  },
];

const QUERIES = ALL_QUERIES.filter((query) => !ONLY || ONLY.includes(query.name));

/**
 * Each query's `documentId` (`sha256:` and the hex of its text, as the client preset writes it),
 * worked out once: hashing per request would spend the load generator's CPU, on the cores the
 * servers measured use, in the by-documentId row only.
 */
const DOCUMENT_IDS = new Map(ALL_QUERIES.map((query) => [query, `sha256:${sha256Hex(query.document)}`]));

/** A request body: the id to a gateway (which holds the manifest) when the query goes by id, else the text. */
function requestBody(server: Server, query: Query, variables: Record<string, unknown>): string {
  const byId = query.byId === true && server.role === 'gateway';
  return JSON.stringify(byId ? { documentId: DOCUMENT_IDS.get(query), variables } : { query: query.document, variables });
}

interface RestRead {
  name: string;
  label: string;
  path: (random: () => number) => string;
}

/** CPU time (user + system) of a process so far, in µs. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5), counted from the state (field 3) here.
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1_000_000;
}

function parseVariants(spec: string): { name: string; env: Record<string, string> }[] {
  return spec
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [name, settings = ''] = part.split(':', 2) as [string, string?];
      const env = Object.fromEntries(settings.split(',').filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]));
      return { name: name.trim(), env };
    });
}

/** The versions the gateway's request path resolves to, printed so a run says what it measured. */
function versions(): string {
  const version = (name: string) => {
    try {
      return `${name}@${(require(`${name}/package.json`) as { version: string }).version}`;
    } catch {
      return `${name}@?`;
    }
  };
  const names = ['graphql-yoga', 'graphql', '@whatwg-node/server', '@whatwg-node/fetch', '@whatwg-node/node-fetch', 'undici', 'node-fetch', '@apollo/server', '@apollo/datasource-rest'];
  return `node ${process.version}; ${names.map(version).join(', ')}`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-overhead-'));
  const children: ChildProcess[] = [];
  const variants = VARIANTS.length + (TRACING ? TRACING_VARIANTS.length : 0);
  const runs = (QUERIES.length * (3 + variants) + 3) * ROUNDS + QUERIES.length * (3 + variants);
  const budgetMs = (runs * (DURATION_S + 5) + 300) * 1000;
  const stopAll = () => {
    // Servers first: a backend gone before them would make them log errors.
    for (const child of [...children].reverse()) if (child.exitCode === null) child.kill('SIGTERM');
  };
  const watchdog = setTimeout(() => {
    console.error(`bench:overhead: still running after ${budgetMs / 1000} s; stopping`);
    for (const child of children) child.kill('SIGKILL');
    process.exit(1);
  }, budgetMs);
  process.once('SIGINT', () => {
    stopAll();
    process.exit(130);
  });
  let backend: SpawnedBackend | undefined;
  /** GraphQL operations each server answered over its life (warm-up included), to divide its profile by. */
  const operations = new Map<Server, number>();
  const servers: Server[] = [];
  try {
    console.log(`bench:overhead: ${versions()}`);
    console.log(`bench:overhead: seeding ${ROWS} assignments in the embedded backend`);
    backend = await spawnBackend({ BENCH_ASSIGNMENTS: String(ROWS), BENCH_LATENCY_MS: '0' });
    children.push(backend.child);
    if (new URL(backend.url).hostname !== '127.0.0.1') throw new Error(`backend not on loopback: ${backend.url}`);

    // The manifest a frontend team deploys: every document the benchmark sends, by its id.
    const manifests = join(dir, 'manifests');
    mkdirSync(join(manifests, 'bench'), { recursive: true });
    writeFileSync(join(manifests, 'bench', 'overhead.json'), JSON.stringify(Object.fromEntries([...DOCUMENT_IDS].map(([query, id]) => [id, query.document]))));
    const gatewayEnv = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      // Metrics on an admin listener of each gateway's own (9464 would be taken by the first).
      ADMIN_PORT: '0',
      TRUSTED_DOCUMENTS: 'enforce',
      TRUSTED_DOCUMENTS_DIR: manifests,
      SYNAPSE_BACKEND_URL: backend.url,
      SYNAPSE_IDS_FILTER: 'false',
      // A per-caller response cache may come: this benchmark measures the work of an operation.
      RESPONSE_CACHE_TTL_MS: '0',
    };
    let sinkUrl: string | undefined;
    if (TRACING) {
      const sink = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/otlp-sink.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(sink);
      sinkUrl = await listeningUrl(sink, 60_000, 'OTLP sink');
    }
    const tracingVariants = sinkUrl ? TRACING_VARIANTS.map((v) => ({ ...v, env: { ...v.env, OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl } })) : [];
    const gateways: { name: string; env: Record<string, string> }[] = [
      // The plain gateway is the one the targets compare: with BENCH_TRACING it is tracing off.
      { name: 'gateway', env: {} },
      ...[...VARIANTS, ...tracingVariants].map((v) => ({ ...v, name: `gateway (${v.name})` })),
    ];
    for (const variant of gateways) {
      const log = join(dir, `${servers.length}.log`);
      const args = variant.env['BENCH_TSX'] ? [...TSX, 'src/server.ts'] : ['--enable-source-maps', ...PROFILE_FLAGS, '.build/gateway/server.mjs'];
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env: { ...process.env, ...gatewayEnv, ...variant.env },
        // One JSON line per operation, as in production, into a file; the banner with the port on stderr.
        stdio: ['ignore', openSync(log, 'w'), openSync(`${log}.err`, 'w')],
      });
      children.push(child);
      const port = await listeningPort(child, `${log}.err`, 120_000);
      servers.push({ name: variant.name, role: 'gateway', url: `http://127.0.0.1:${port}/graphql`, pid: child.pid! });
    }
    // The floor and Apollo, bundled like the gateway so none runs through the tsx loader, on the same Node.
    for (const other of [
      { name: 'floor', role: 'floor', env: { FLOOR_BACKEND_URL: backend.url } },
      { name: 'apollo', role: 'apollo', env: { APOLLO_BACKEND_URL: backend.url } },
    ] as const) {
      buildSync({
        entryPoints: [join(ROOT, `bench/${other.name}/server.ts`)],
        bundle: true,
        platform: 'node',
        format: 'esm',
        packages: 'external',
        target: 'node24',
        outfile: join(ROOT, `.build/${other.name}/server.mjs`),
        logLevel: 'warning',
      });
      const child = spawn(process.execPath, [...PROFILE_FLAGS, `.build/${other.name}/server.mjs`], {
        cwd: ROOT,
        env: { ...process.env, ...other.env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      servers.push({ name: other.name, role: other.role, url: await listeningUrl(child, 60_000, other.name), pid: child.pid! });
    }

    const windowStart = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const listed = (await (await fetch(`${backend.url}sdk/assignments/?project=1&created_after=${windowStart}&page_size=100`, {
      headers: { authorization: `Token ${TOKEN}` },
    })).json()) as { count: number };
    const listPages = Math.ceil(listed.count / 100);
    const REST: RestRead[] = ONLY && !ONLY.includes('rest') ? [] : [
      { name: 'one', label: 'REST `GET assignments/{id}/`', path: (random) => `/assignments/${randomId(random)}/` },
      {
        name: 'page',
        label: 'REST list of 20',
        path: (random) => `/sdk/assignments/?page=${1 + Math.floor(random() * PAGES_DRAWN)}&page_size=${PAGE}`,
      },
      {
        name: 'list100',
        label: `REST list of 100 (30-day window, ${listed.count} rows of ${ROWS})`,
        path: (random) =>
          `/sdk/assignments/?project=1&created_after=${encodeURIComponent(windowStart)}&page=${1 + Math.floor(random() * listPages)}&page_size=100`,
      },
    ];
    const backendPid = backend.child.pid!;
    const stats = backend.stats;

    await checkAnswers(servers);

    const graphqlRun = async (server: Server, query: Query, seconds: number) => {
      const random = mulberry32(0xbe4c4);
      let failed = 0;
      return autocannon({
        url: server.url,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: new URL(server.url).pathname,
            headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' },
            setupRequest: (request) => ({ ...request, body: requestBody(server, query, query.variables(random)) }),
            onResponse: (status, text) => {
              if (status === 200 && text.includes('"errors"')) failed++;
            },
          },
        ],
      }).then((result) => {
        operations.set(server, (operations.get(server) ?? 0) + result.requests.total);
        return { result, failed };
      });
    };

    console.log(`bench:overhead: warming up ${WARMUP_S} s per query and server`);
    for (const query of QUERIES) for (const server of servers) await graphqlRun(server, query, WARMUP_S);

    /** Waits until the backend gets no more calls: operations cut at the end of a run still finish theirs. */
    const settle = async () => {
      let last = (await stats()).received;
      for (let i = 0; i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const now = (await stats()).received;
        if (now === last) return;
        last = now;
      }
    };
    const rows: Row[] = [];
    const measure = async (round: number, query: string, server: string, pid: number, run: () => Promise<{ result: AutocannonResult; failed: number }>) => {
      await settle();
      const before = { cpu: cpuMicros(pid), backendCpu: cpuMicros(backendPid), calls: (await stats()).received };
      const { result, failed } = await run();
      const after = { cpu: cpuMicros(pid), backendCpu: cpuMicros(backendPid), calls: (await stats()).received };
      const ops = result.requests.total;
      const calls = after.calls - before.calls;
      const row: Row = {
        round,
        query,
        server,
        reqPerSec: ops / result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
        // autocannon's errors include its timeouts; GraphQL errors come inside 200 answers.
        errors: result.errors + result.non2xx + failed,
        callsPerOp: calls / ops,
        cpuPerOpUs: (after.cpu - before.cpu) / ops,
        cpuPerCallUs: calls > 0 ? (after.cpu - before.cpu) / calls : NaN,
        backendCpuPerOpUs: (after.backendCpu - before.backendCpu) / ops,
      };
      rows.push(row);
      console.log(`bench:overhead: round ${round}, ${query} on ${server}: ${Math.round(row.reqPerSec)} req/s`);
    };

    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? servers : [...servers].reverse();
      for (const query of QUERIES) {
        for (const server of order) await measure(round, query.name, server.name, server.pid, () => graphqlRun(server, query, DURATION_S));
      }
      for (const read of REST) {
        await measure(round, read.name, 'REST', backendPid, async () => {
          const random = mulberry32(0xbe4c4);
          let failed = 0;
          const result = await autocannon({
            url: backend!.url,
            connections: CONNECTIONS,
            duration: DURATION_S,
            requests: [
              {
                method: 'GET',
                path: '/',
                headers: { authorization: `Token ${TOKEN}` },
                setupRequest: (request) => ({ ...request, path: read.path(random) }),
                onResponse: (status) => {
                  if (status !== 200) failed++;
                },
              },
            ],
          });
          // non2xx and `failed` count the same answers here.
          return { result, failed: failed - result.non2xx };
        });
      }
    }
    // The last run's cut operations finish before the servers are stopped.
    await settle();
    report(rows, servers, REST);
    if (sinkUrl) {
      // Traces really left: an export count of 0 would make the tracing rows meaningless.
      const sent = (await (await fetch(`${sinkUrl}/stats`)).json()) as { exports: number; bytes: number };
      console.log(`\nOTLP sink: ${sent.exports} exports, ${Math.round(sent.bytes / 1024)} KiB of spans received from the tracing gateways.`);
    }
  } finally {
    clearTimeout(watchdog);
    // Servers first, and the backend once they are gone: a request of theirs still in flight
    // would otherwise end in ECONNRESET and an error line.
    const exited = (child: ChildProcess) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined);
    const serverProcesses = children.filter((child) => child !== backend?.child);
    for (const child of serverProcesses) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(serverProcesses.map(exited));
    stopAll();
    await Promise.all(children.map(exited));
    rmSync(dir, { recursive: true, force: true });
  }
  if (PROFILE_DIR) {
    const columns = servers.flatMap((server) => {
      const path = profileOf(PROFILE_DIR, server.pid);
      return path === undefined ? [] : [{ name: server.name, path, operations: operations.get(server) ?? 1 }];
    });
    if (columns.length > 0) printProfileTable(columns);
    else console.log(`\nbench:overhead: no CPU profile of a server found in ${PROFILE_DIR}`);
  }
}

function report(rows: Row[], servers: Server[], rest: RestRead[]): void {
  const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
  console.log(`\nEvery run: ${CONNECTIONS} connections, ${DURATION_S} s, loopback, all processes on the same ${'2'} cores.\n`);
  console.log('| round | query | server | req/s | p50 ms | p99 ms | errors | upstream calls/op | CPU µs/op | CPU µs/upstream call | backend CPU µs/op |');
  console.log('| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(
      `| ${row.round} | ${row.query} | ${row.server} | ${fmt(row.reqPerSec)} | ${row.p50} | ${row.p99} | ${row.errors} | ${fmt(row.callsPerOp, 2)} | ` +
        `${fmt(row.cpuPerOpUs)} | ${fmt(row.cpuPerCallUs)} | ${fmt(row.backendCpuPerOpUs)} |`,
    );
  }
  const mean = (query: string, server: string, key: keyof Row) => {
    const values = rows.filter((row) => row.query === query && row.server === server).map((row) => row[key] as number);
    return values.reduce((a, b) => a + b, 0) / values.length;
  };
  const restLabel = (name: string) => rest.find((read) => read.name === name);
  console.log(`\nMeans over ${ROUNDS} rounds (ratios of means):\n`);
  const gateways = servers.filter((server) => server.role === 'gateway').map((server) => server.name);
  console.log(
    '| query | server | req/s | ÷ floor req/s | ÷ Apollo req/s | REST req/s | ÷ REST | CPU µs/op | ÷ floor | ÷ Apollo | CPU µs/upstream call | ÷ floor | upstream calls/op | errors |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const query of QUERIES) {
    const floor = { rps: mean(query.name, 'floor', 'reqPerSec'), cpu: mean(query.name, 'floor', 'cpuPerOpUs'), call: mean(query.name, 'floor', 'cpuPerCallUs') };
    const apollo = { rps: mean(query.name, 'apollo', 'reqPerSec'), cpu: mean(query.name, 'apollo', 'cpuPerOpUs') };
    const restRps = restLabel(query.name) ? mean(query.name, 'REST', 'reqPerSec') : NaN;
    for (const name of [...gateways, 'floor', 'apollo']) {
      const rps = mean(query.name, name, 'reqPerSec');
      const cpu = mean(query.name, name, 'cpuPerOpUs');
      const call = mean(query.name, name, 'cpuPerCallUs');
      const errors = rows.filter((row) => row.query === query.name && row.server === name).reduce((n, row) => n + row.errors, 0);
      console.log(
        `| ${query.label} | ${name} | ${fmt(rps)} | ${fmt(rps / floor.rps, 2)}x | ${fmt(rps / apollo.rps, 2)}x | ${fmt(restRps)} | ${fmt(rps / restRps, 3)}x | ${fmt(cpu)} | ` +
          `${fmt(cpu / floor.cpu, 2)}x | ${fmt(cpu / apollo.cpu, 2)}x | ${fmt(call)} | ${fmt(call / floor.call, 2)}x | ${fmt(mean(query.name, name, 'callsPerOp'), 2)} | ${errors} |`,
      );
    }
  }
  console.log('\n| REST read (straight from the backend) | req/s | p50 ms | p99 ms | backend CPU µs/request |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const read of rest) {
    console.log(
      `| ${read.label} | ${fmt(mean(read.name, 'REST', 'reqPerSec'))} | ${fmt(mean(read.name, 'REST', 'p50'), 1)} | ${fmt(mean(read.name, 'REST', 'p99'), 1)} | ${fmt(mean(read.name, 'REST', 'cpuPerOpUs'))} |`,
    );
  }

  if (QUERIES.some((q) => q.name === 'one') && QUERIES.some((q) => q.name === 'oneById')) {
    // The same document and variables, through the same gateway: what the id costs against the text.
    const [text, id] = [mean('one', 'gateway', 'cpuPerOpUs'), mean('oneById', 'gateway', 'cpuPerOpUs')];
    const [textRps, idRps] = [mean('one', 'gateway', 'reqPerSec'), mean('oneById', 'gateway', 'reqPerSec')];
    console.log(
      `\nTrusted documents on the gateway, \`assignment(id)\`: by documentId ${fmt(id)} CPU µs/op and ${fmt(idRps)} req/s, ` +
        `as text ${fmt(text)} CPU µs/op and ${fmt(textRps)} req/s; id minus text: ${fmt(id - text, 1)} CPU µs/op.`,
    );
  }
  console.log('\nTargets:');
  let missed = false;
  for (const query of QUERIES.filter((q) => q.name !== 'hello')) {
    const ratio = mean(query.name, 'gateway', 'reqPerSec') / mean(query.name, 'floor', 'reqPerSec');
    const callRatio = mean(query.name, 'gateway', 'cpuPerCallUs') / mean(query.name, 'floor', 'cpuPerCallUs');
    const throughputMet = ratio >= TARGET_THROUGHPUT_RATIO;
    const callMet = callRatio <= TARGET_CPU_PER_CALL_RATIO;
    missed ||= !throughputMet || !callMet;
    const apolloRatio = mean(query.name, 'gateway', 'reqPerSec') / mean(query.name, 'apollo', 'reqPerSec');
    console.log(
      `  ${query.label}: req/s ${ratio.toFixed(2)}x the floor (target >= ${TARGET_THROUGHPUT_RATIO.toFixed(1)}x) ${throughputMet ? 'met' : 'MISSED'}; ` +
        `CPU per upstream call ${callRatio.toFixed(2)}x the floor's (target <= ${TARGET_CPU_PER_CALL_RATIO}x) ${callMet ? 'met' : 'MISSED'}; ` +
        `req/s ${apolloRatio.toFixed(2)}x Apollo Server's (ambition > 1.0x) ${apolloRatio > 1 ? 'beaten' : 'not beaten'}`,
    );
  }
  const pageMs = mean('list100', 'REST', 'cpuPerOpUs') / 1000;
  if (rest.length > 0) console.log(
    `  embedded backend: ${pageMs.toFixed(2)} ms CPU per 100-row page at ${ROWS} rows (target <= ${TARGET_BACKEND_MS_PER_PAGE} ms) ${pageMs <= TARGET_BACKEND_MS_PER_PAGE ? 'met' : 'MISSED'}`,
  );
  if (missed && !PROFILE_DIR) {
    console.log('  Where the time goes: rerun with BENCH_PROFILE=<folder> (one query, e.g. BENCH_QUERIES=one) for CPU per operation by package, gateway next to floor; docs/performance.md, "Per-operation overhead", has the last one.');
  }
  const errors = rows.reduce((n, row) => n + row.errors, 0);
  if (errors > 0) console.log(`\n${errors} errors in total: figures of runs with errors are not comparable.`);
}

/** Fails fast if a server does not answer every query without errors. */
async function checkAnswers(servers: Server[]): Promise<void> {
  const random = mulberry32(1);
  for (const server of servers) {
    for (const query of QUERIES) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' },
        body: requestBody(server, query, query.variables(random)),
      });
      const text = await response.text();
      if (response.status !== 200 || text.includes('"errors"')) {
        throw new Error(`${server.name} answered ${query.name} with ${response.status}: ${text.slice(0, 300)}`);
      }
    }
  }
}

/** The port of a gateway (it runs with PORT=0), from the banner it prints on stderr once listening. */
async function listeningPort(child: ChildProcess, stderr: string, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const text = readFileSync(stderr, 'utf8');
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}: ${text.slice(0, 500)}`);
    const match = /GraphQL gateway and GraphiQL: http:\/\/[^:/]+:(\d+)\//.exec(text);
    if (match) return Number(match[1]);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gateway did not listen within ${timeoutMs / 1000} s`);
}

await main();
process.exit(0);
