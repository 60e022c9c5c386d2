import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS } from '../helpers/stack.ts';
import { waitFor } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** What `npm start` runs (the bundle of src/server.ts), with the embedded backend on a temp file, 1.5 s per upstream answer. */
function startServer(dbPath: string): { child: ChildProcess; stdout: string[]; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    DEV_BACKEND_PORT: '0',
    DEV_BACKEND_DB: dbPath,
    DEV_BACKEND_SEED_ASSIGNMENTS: '200',
    DEV_BACKEND_LATENCY_MS: '1500',
    SHUTDOWN_GRACE_MS: '10000',
    LOG_LEVEL: 'info',
  };
  delete env['SYNAPSE_BACKEND_URL'];
  const child = spawn(process.execPath, ['--enable-source-maps', '.build/gateway/server.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    stdout.push(...lines.filter((line) => line !== ''));
  });
  child.stderr!.resume();
  // 'close', not 'exit': the process may exit before its last stdout lines are read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, stdout, exited };
}

describe('graceful shutdown of the server process', () => {
  let dir: string;
  let server: ReturnType<typeof startServer>;

  beforeAll(() => {
    // The bundle of the sources as they are now (npm test builds it too; vitest alone may not have).
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
    dir = mkdtempSync(join(tmpdir(), 'gateway-shutdown-'));
  });
  afterAll(() => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM during a slow operation: it completes, no new connection is taken, the process exits 0 and the database is closed cleanly', async () => {
    const dbPath = join(dir, 'synapse.sqlite');
    server = startServer(dbPath);
    const parsed = () => server.stdout.map((line) => JSON.parse(line) as Record<string, any>);
    await waitFor(() => parsed().some((l) => l['msg'] === 'GraphQL gateway listening'), 60_000, 'the gateway to listen');
    const port = parsed().find((l) => l['msg'] === 'GraphQL gateway listening')!['port'] as number;
    expect(port).toBeGreaterThan(0);
    const url = `http://127.0.0.1:${port}`;

    const slow = fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Token ${TOKENS.admin}` },
      body: JSON.stringify({ query: 'query Slow { assignment(id: 3) { id status } }' }),
    });
    // The upstream takes 1.5 s: 300 ms in, the operation is surely in flight.
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.child.kill('SIGTERM');
    await waitFor(() => parsed().some((l) => l['msg']?.startsWith('shutting down')), 5_000, 'the shutdown to begin');
    await expect(fetch(`${url}/health`)).rejects.toThrow();

    const response = await slow;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { assignment: { id: string } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data.assignment.id).toBe('3');

    const code = await Promise.race([server.exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 15_000))]);
    expect(code).toBe(0);

    const lines = parsed();
    expect(lines.find((l) => l['msg']?.startsWith('shutting down'))).toMatchObject({ reason: 'SIGTERM', inFlight: 1 });
    expect(lines.find((l) => l['msg'] === 'graphql operation')).toMatchObject({ operationName: 'Slow', status: 200 });
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped', forced: false });
    for (const token of Object.values(TOKENS)) expect(server.stdout.join('\n')).not.toContain(token);

    // Closed cleanly: the WAL was checkpointed into the file and removed, and the file is sound.
    expect(!existsSync(`${dbPath}-wal`) || statSync(`${dbPath}-wal`).size === 0).toBe(true);
    const db = new DatabaseSync(dbPath, { readOnly: true });
    try {
      expect({ ...db.prepare('PRAGMA integrity_check').get() }).toEqual({ integrity_check: 'ok' });
      expect({ ...db.prepare('SELECT count(*) AS n FROM assignments').get() }).toEqual({ n: 200 });
    } finally {
      db.close();
    }
  }, 90_000);
});
