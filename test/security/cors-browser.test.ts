import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const CHROMIUM = '/usr/bin/chromium';
const MISSING = `${CHROMIUM} is missing: install Debian chromium: apt-get install -y chromium`;
const STEP_MS = 30_000;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** What the page's script reports for one fetch: the JSON answer, or the browser's refusal. */
type Outcome = { ok: true; status: number; body: any } | { ok: false; error: string };

/**
 * The browser enforces CORS, so only a browser shows whether a frontend dev server
 * (here a page served from another loopback port, as Vite serves on 5173) can call the
 * gateway. Both the page and the gateways listen on 127.0.0.1, port 0.
 */
describe('CORS from a frontend dev server, in headless Chromium', () => {
  let dev: Stack;
  let production: Stack;
  let devServer: Server;
  let productionServer: Server;
  let pageServer: Server;
  let devUrl: string;
  let productionUrl: string;
  let profile: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return;
    dev = await startStack({ assignments: 5, env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
    production = await startStack({ assignments: 5, env: { NODE_ENV: 'production', LOG_LEVEL: 'silent' } });
    devServer = createServer(dev.gateway);
    productionServer = createServer(production.gateway);
    devUrl = `${await listen(devServer)}/graphql`;
    productionUrl = `${await listen(productionServer)}/graphql`;
    pageServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>frontend</title><p>dev server</p>');
    });
    const pageOrigin = await listen(pageServer);
    profile = mkdtempSync(join(tmpdir(), 'cors-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      timeout: STEP_MS,
    });
    context.setDefaultTimeout(STEP_MS);
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${pageOrigin}/`);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await Promise.all([close(devServer), close(productionServer), close(pageServer)]);
    await dev?.close();
    await production?.close();
  });

  beforeEach(() => {
    if (!existsSync(CHROMIUM)) throw new Error(MISSING);
  });

  /** A fetch from the page, as a frontend client makes it (POST JSON, or urql's default GET). */
  function fetchFromPage(url: string, method: 'POST' | 'GET'): Promise<Outcome> {
    return page.evaluate(
      async ({ url, method, token }) => {
        const query = '{ assignment(id: 1) { id status } }';
        const headers: Record<string, string> = { authorization: `Token ${token}`, accept: 'application/graphql-response+json, application/json' };
        try {
          const response =
            method === 'POST'
              ? await fetch(url, { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ query }) })
              : await fetch(`${url}?query=${encodeURIComponent(query)}`, { headers });
          return { ok: true as const, status: response.status, body: await response.json() };
        } catch (error) {
          return { ok: false as const, error: String(error) };
        }
      },
      { url, method, token: TOKENS.admin },
    );
  }

  it('outside production, a page on another localhost port calls the gateway with no configuration (POST and GET)', async () => {
    for (const method of ['POST', 'GET'] as const) {
      const outcome = await fetchFromPage(devUrl, method);
      expect(outcome, method).toEqual({ ok: true, status: 200, body: expect.objectContaining({ data: { assignment: { id: '1', status: expect.any(String) } } }) });
    }
  });

  it('in production, the same page is refused by the browser (no CORS_ORIGINS entry), and nothing reaches the upstream', async () => {
    production.backend.resetRequests();
    for (const method of ['POST', 'GET'] as const) {
      const outcome = await fetchFromPage(productionUrl, method);
      expect(outcome.ok, method).toBe(false);
      expect(outcome.ok ? '' : outcome.error, method).toMatch(/Failed to fetch/);
    }
    expect(production.backend.requests).toHaveLength(0);
  });
});
