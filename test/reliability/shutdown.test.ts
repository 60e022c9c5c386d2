import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS } from '../helpers/stack.ts';
import { startGatewayProcess, within, type GatewayProcess } from '../helpers/gateway-process.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('graceful shutdown of the server process', () => {
  let dir: string;
  let server: GatewayProcess;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-shutdown-'));
  });
  afterAll(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM during a slow operation: it completes, no new connection is taken, the process exits 0 and the database is closed cleanly', async () => {
    const dbPath = join(dir, 'synapse.sqlite');
    // What `npm start` runs, 1.5 s per upstream answer.
    server = startGatewayProcess(process.execPath, { DEV_BACKEND_DB: dbPath, DEV_BACKEND_LATENCY_MS: '1500', SHUTDOWN_GRACE_MS: '10000' });
    const parsed = () => server.logs;
    const url = new URL(await within(server.url, 60_000, 'the gateway listening')).origin;

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

    const code = await within(server.exited, 15_000, 'exit after SIGTERM');
    expect(code).toBe(0);

    const lines = parsed();
    expect(lines.find((l) => l['msg']?.startsWith('shutting down'))).toMatchObject({ reason: 'SIGTERM', inFlight: 1 });
    expect(lines.find((l) => l['msg'] === 'graphql operation')).toMatchObject({ operationName: 'Slow', status: 200 });
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped', forced: false });
    for (const token of Object.values(TOKENS)) expect(JSON.stringify(server.logs)).not.toContain(token);

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
