/**
 * The embedded backend in its own process, so the benchmark's memory and CPU readings
 * are each process's own. Prints one JSON line `{"url": ...}` once it listens; over
 * IPC, answers `'stats'` with the number of requests it received so far.
 */
import { createDevBackend } from '../src/dev-backend/server.ts';

const backend = await createDevBackend({
  dbPath: process.env['BENCH_DB'] ?? ':memory:',
  port: 0,
  seed: { assignments: Number(process.env['BENCH_ASSIGNMENTS'] ?? 100_000), projects: 1 },
  latencyMs: Number(process.env['BENCH_LATENCY_MS'] ?? 20),
  recordRequests: false,
});
console.log(JSON.stringify({ url: backend.url }));
process.on('message', (message) => {
  if (message === 'stats') process.send?.({ received: backend.received });
});
process.once('SIGTERM', () => void backend.close().then(() => process.exit(0)));
