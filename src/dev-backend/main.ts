/**
 * `npm run dev-backend`: the embedded Synapse stand-in as a standalone server,
 * configured by the DEV_BACKEND_* variables (see ../config.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { createDevBackend } from './server.ts';
import { demoTokens } from './users.ts';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const { devBackend: config } = readConfig();
if (config.dbPath !== ':memory:') mkdirSync(dirname(config.dbPath), { recursive: true });

const started = performance.now();
const backend = await createDevBackend({
  dbPath: config.dbPath,
  host: config.host,
  port: config.port,
  seed: { assignments: config.seedAssignments },
  latencyMs: config.latencyMs,
  failRate: config.failRate,
  maxPageSize: config.maxPageSize,
  v2: config.v2,
  recordRequests: false,
}).catch((error: unknown) => {
  // Port in use, unreadable database file...: one line, not a stack trace.
  console.error(`dev-backend: cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
const elapsed = Math.round(performance.now() - started);

console.log(`Synapse dev backend listening on ${backend.url}`);
console.log(
  backend.store.seeded
    ? `Database ${config.dbPath}: created and seeded with ${config.seedAssignments} assignments in ${elapsed} ms`
    : `Database ${config.dbPath}: reused as is (delete the file to reseed)`,
);
if (config.latencyMs > 0 || config.failRate > 0) {
  console.log(`Faults: latency ${config.latencyMs} ms, fail rate ${config.failRate}`);
}
console.log(`\nDemo tokens (send as "Authorization: Token <token>"):`);
const width = Math.max(...demoTokens.map((t) => t.token.length));
for (const { token, role, description } of demoTokens) {
  console.log(`  ${token.padEnd(width)}  ${role.padEnd(6)}  ${description}`);
}

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: closing`);
  await backend.close();
}
process.once('SIGINT', (signal) => void shutdown(signal));
process.once('SIGTERM', (signal) => void shutdown(signal));
