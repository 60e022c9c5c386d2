import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import type { Gateway } from '../../src/gateway.ts';
import { metricValue } from '../helpers/metrics.ts';
import { SEED_NOW } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { gatewayFor, getText, gql, startTcpProxy, type TcpProxy } from './helpers.ts';

const DETAIL = /* GraphQL */ `
  query Detail($id: ID!) {
    assignment(id: $id) { id status }
  }
`;

/**
 * Gateway → TCP proxy (counts connection attempts) → dev backend on a fixed port and
 * file database. The backend is killed mid-run, then restarted on the same port with
 * the same file, while the gateway keeps running.
 */
describe('upstream killed mid-run, then restarted', () => {
  let dir: string;
  let dbPath: string;
  let port: number;
  let backend: DevBackend;
  let proxy: TcpProxy;
  let gateway: Gateway;

  const start = (listenPort: number) =>
    createDevBackend({ dbPath, port: listenPort, seed: { assignments: 50, projects: 2, now: SEED_NOW } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gateway-outage-'));
    dbPath = join(dir, 'synapse.sqlite');
    backend = await start(0);
    port = Number(new URL(backend.url).port);
    proxy = await startTcpProxy(port);
    ({ gateway } = gatewayFor(proxy.url, {
      // What a dead upstream does to the answers, not what a cache would still serve for a few seconds.
      RESPONSE_CACHE_TTL_MS: '0',
      SYNAPSE_RETRIES: '2',
      SYNAPSE_RETRY_BASE_MS: '5',
      SYNAPSE_RETRY_MAX_MS: '20',
      BREAKER_MIN_REQUESTS: '4',
      BREAKER_FAILURE_THRESHOLD_PERCENT: '50',
      BREAKER_RESET_MS: '1000',
    }));
  });
  afterAll(async () => {
    await backend.close();
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves, and is ready, while the upstream is up', async () => {
    const { body } = await gql(gateway, DETAIL, { id: '1' });
    expect(body.errors).toBeUndefined();
    expect((await getText(gateway, '/ready')).status).toBe(200);
  });

  it('after the kill: typed errors, then the breaker opens and calls fail fast without a connection', async () => {
    await backend.close();
    let openAfter = -1;
    for (let i = 0; i < 20 && openAfter < 0; i++) {
      const { status, body } = await gql(gateway, DETAIL, { id: '1' });
      expect(status).toBe(200);
      expect(body.data).toEqual({ assignment: null });
      expect(body.errors![0]!.path).toEqual(['assignment']);
      expect(body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
      if (/circuit open/.test(body.errors![0]!.message)) openAfter = i;
    }
    expect(openAfter).toBeGreaterThanOrEqual(1);

    const connectionsWhenOpen = proxy.connections;
    for (let i = 0; i < 10; i++) {
      const { body } = await gql(gateway, DETAIL, { id: String(i + 1) });
      expect(body.errors![0]!.message).toMatch(/circuit open/);
      expect(body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
      expect(body.errors![0]!.extensions!['retryAfterSeconds']).toBeGreaterThanOrEqual(1);
      expect(typeof body.errors![0]!.extensions!['requestId']).toBe('string');
      expect(body.extensions!['upstream'].requests).toBe(0);
    }
    expect(proxy.connections).toBe(connectionsWhenOpen);

    const ready = await getText(gateway, '/ready');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ status: 'unavailable', breaker: 'open' });
    expect((await getText(gateway, '/health')).status).toBe(200);
    const metrics = (await getText(gateway, '/metrics')).text;
    expect(metricValue(metrics, 'synapse_circuit_breaker_state')).toBe(2);
    expect(metricValue(metrics, 'synapse_circuit_breaker_rejected_total')).toBeGreaterThanOrEqual(10);
    // The attempts that found no upstream are counted with status "none".
    expect(metricValue(metrics, 'synapse_upstream_requests_total', { status: 'none' })).toBeGreaterThan(0);
  });

  it('after the restart on the same port and file: ready again and answering, without restarting the gateway', async () => {
    backend = await start(port);
    await waitFor(async () => (await getText(gateway, '/ready')).status === 200, 10_000, '/ready to turn 200');
    const { body } = await gql(gateway, DETAIL, { id: '1' });
    expect(body.errors).toBeUndefined();
    expect(body.data!['assignment']).toEqual({ id: '1', status: expect.any(String) });
    const metrics = (await getText(gateway, '/metrics')).text;
    expect(metricValue(metrics, 'synapse_circuit_breaker_state')).toBe(0);
    expect(metricValue(metrics, 'synapse_circuit_breaker_transitions_total', { to: 'closed' })).toBe(1);
  });
});
