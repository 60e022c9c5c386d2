import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startGatewayProcess, within, type GatewayProcess } from '../helpers/gateway-process.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('production settings', () => {
  it('need an explicit choice of backend: the embedded one starts by itself outside production only', () => {
    expect(loadConfig({}).devBackend.enabled).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).devBackend.enabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', EMBEDDED_BACKEND: 'true' }).devBackend.enabled).toBe(true);
    expect(loadConfig({ SYNAPSE_BACKEND_URL: 'https://synapse.example.com/' }).devBackend.enabled).toBe(false);
    expect(() => loadConfig({ SYNAPSE_BACKEND_URL: 'https://synapse.example.com/', EMBEDDED_BACKEND: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ SYNAPSE_BACKEND_URL: 'https://synapse.example.com/', EMBEDDED_BACKEND: 'true' })).toThrow(/EMBEDDED_BACKEND="true"/);
  });

  it('put the metrics on an admin listener on loopback in production, and leave them on the public port elsewhere', () => {
    expect(loadConfig({}).admin).toEqual({ port: undefined, host: '127.0.0.1' });
    expect(loadConfig({ NODE_ENV: 'production' }).admin).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(loadConfig({ ADMIN_PORT: '9100', ADMIN_HOST: '0.0.0.0' }).admin).toEqual({ port: 9100, host: '0.0.0.0' });
  });
});

describe('the gateway process in production', () => {
  it('refuses to start without SYNAPSE_BACKEND_URL, in one line, rather than answer the demo tokens', async () => {
    const gateway = startGatewayProcess(process.execPath, { NODE_ENV: 'production' });
    try {
      expect(await within(gateway.exited, 60_000, 'the refusal')).toBe(1);
      const lines = gateway.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/NODE_ENV=production needs SYNAPSE_BACKEND_URL.*EMBEDDED_BACKEND=true/);
      expect(gateway.logs.some((line) => line['msg'] === 'GraphQL gateway listening')).toBe(false);
    } finally {
      gateway.kill();
    }
  });

  describe('a demo deployment (EMBEDDED_BACKEND=true)', () => {
    let gateway: GatewayProcess;
    let origin: string;
    let admin: string;

    beforeAll(async () => {
      gateway = startGatewayProcess(process.execPath, { NODE_ENV: 'production', EMBEDDED_BACKEND: 'true', ADMIN_PORT: '0' });
      origin = new URL(await within(gateway.url, 60_000, 'the gateway listening')).origin;
      await waitFor(() => gateway.logs.some((line) => line['msg'] === 'admin listener (metrics) listening'), 10_000, 'the admin listener');
      const line = gateway.logs.find((entry) => entry['msg'] === 'admin listener (metrics) listening')!;
      admin = `http://127.0.0.1:${line['port']}`;
    }, 120_000);
    afterAll(() => gateway?.kill());

    it('starts, and its log warns that the demo tokens are live', () => {
      const warning = gateway.logs.find((line) => line['level'] === 'warn' && String(line['msg']).startsWith('EMBEDDED_BACKEND=true in production'));
      expect(warning?.['msg']).toMatch(/demo tokens of the README are live/);
      // The warning names no token: stdout carries none.
      expect(JSON.stringify(gateway.logs)).not.toMatch(/dev-[a-z]+-token/);
    });

    it('serves /metrics on the admin listener, on loopback, and 404 on the public port', async () => {
      const scraped = await fetch(`${admin}/metrics`);
      expect(scraped.status).toBe(200);
      const text = await scraped.text();
      expect(text).toMatch(/^synapse_circuit_breaker_state 0$/m);
      expect(text).toMatch(/^process_resident_memory_bytes /m);
      expect((await fetch(`${origin}/metrics`)).status).toBe(404);
      expect((await fetch(`${admin}/graphql`)).status).toBe(404);
      const line = gateway.logs.find((entry) => entry['msg'] === 'admin listener (metrics) listening')!;
      expect(new URL(String(line['url'])).hostname).toBe('127.0.0.1');
    });

    it('keeps health and readiness on the public port, for probes', async () => {
      expect((await fetch(`${origin}/health`)).status).toBe(200);
      const ready = await fetch(`${origin}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready' });
    });
  });
});
