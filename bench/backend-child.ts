/**
 * The embedded backend in its own process, so the benchmark's memory readings are
 * the gateway's alone. Prints one JSON line `{"url": ...}` once it listens.
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
process.once('SIGTERM', () => void backend.close().then(() => process.exit(0)));
