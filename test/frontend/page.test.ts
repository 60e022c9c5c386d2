import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createServer as createViteServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment, WireTag } from '../../src/contract/index.ts';
import { serveGateway, type HttpGateway } from '../helpers/http-gateway.ts';
import { rest, restAll, restTags } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const CHROMIUM = '/usr/bin/chromium';
const MISSING = `${CHROMIUM} is missing: install Debian chromium: apt-get install -y chromium`;
const STEP_MS = 30_000;
const SCREENSHOT = '/tmp/frontend-review.png';
const EXAMPLE = new URL('../../examples/frontend/', import.meta.url);

/**
 * Vite's dev server as a frontend team runs it (`npm run frontend`), on a free port:
 * Vite cannot listen on port 0 itself, so its middlewares and HMR socket go on a
 * server of ours that can.
 */
async function startVite(env: Record<string, string>, cacheDir: string): Promise<{ vite: ViteDevServer; server: Server; origin: string }> {
  const server = createHttpServer();
  // Vite hands the page the VITE_* variables it finds in process.env.
  Object.assign(process.env, env);
  const vite = await createViteServer({
    configFile: new URL('vite.config.ts', EXAMPLE).pathname,
    cacheDir,
    logLevel: 'warn',
    clearScreen: false,
    server: { middlewareMode: true, hmr: { server } },
  });
  server.on('request', vite.middlewares);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { vite, server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the example review page on a Vite dev server, in headless Chromium, calling the gateway cross-origin', () => {
  let stack: Stack;
  let gateway: HttpGateway;
  let vite: ViteDevServer;
  let viteServer: Server;
  let viteOrigin: string;
  let profile: string;
  let cacheDir: string;
  let context: BrowserContext;
  let page: Page;
  let project1: WireAssignment[];
  let tagNames: Map<number, string>;
  const requests: string[] = [];
  const problems: string[] = [];

  const cards = () => page.locator('#cards > li');
  const summary = () => page.locator('#summary').textContent();
  const gatewayCalls = () => gateway.requests.filter((r) => r.url.startsWith('/graphql'));

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return;
    stack = await startStack({ assignments: 200 });
    gateway = await serveGateway(stack);
    project1 = await restAll(stack.backend.url, 'project=1');
    tagNames = new Map((await restTags(stack.backend.url, 1)).map((tag: WireTag) => [tag.id, tag.name]));
    cacheDir = mkdtempSync(join(tmpdir(), 'frontend-vite-'));
    ({ vite, server: viteServer, origin: viteOrigin } = await startVite({ VITE_GATEWAY_URL: gateway.url, VITE_GATEWAY_TOKEN: TOKENS.admin }, cacheDir));

    profile = mkdtempSync(join(tmpdir(), 'frontend-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
      timeout: STEP_MS,
    });
    context.setDefaultTimeout(STEP_MS);
    context.on('request', (request) => requests.push(request.url()));
    context.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.request().method()} ${response.url()}`);
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    await page.goto(`${viteOrigin}/pages/review/`);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await vite?.close();
    viteServer?.closeAllConnections();
    await new Promise((resolve) => (viteServer ? viteServer.close(resolve) : resolve(undefined)));
    await gateway?.close();
    await stack?.close();
    for (const dir of [profile, cacheDir]) if (dir) rmSync(dir, { recursive: true, force: true });
    for (const key of ['VITE_GATEWAY_URL', 'VITE_GATEWAY_TOKEN']) delete process.env[key];
  });

  beforeEach(() => {
    if (!existsSync(CHROMIUM)) throw new Error(MISSING);
  });

  it('lists the first page of project 1 from the gateway on another origin, queried with GET after a CORS preflight', async () => {
    await expect.poll(summary, { timeout: STEP_MS }).toBe(`20 of ${project1.length}`);
    expect(await cards().evaluateAll((items) => items.map((item) => Number((item as HTMLElement).dataset.id)))).toEqual(
      project1.slice(0, 20).map((row) => row.id),
    );
    const calls = gatewayCalls();
    expect(calls.map((call) => call.method)).toEqual(['OPTIONS', 'GET']);
    expect(calls.every((call) => call.headers.origin === viteOrigin)).toBe(true);
    expect(calls[1]!.headers.authorization).toBe(`Token ${TOKENS.admin}`);
    expect(await page.getByRole('link', { name: 'Review queue' }).getAttribute('aria-current')).toBe('page');
  });

  it("renders every card's thumbnail: the file URL the gateway returned, decoded by the browser", async () => {
    const images = page.locator('#cards img');
    await expect.poll(() => images.count(), { timeout: STEP_MS }).toBe(20);
    await expect
      .poll(() => images.evaluateAll((all) => all.filter((img) => !(img as HTMLImageElement).complete).length), { timeout: STEP_MS })
      .toBe(0);
    const shown = await images.evaluateAll((all) =>
      all.map((img) => ({ src: (img as HTMLImageElement).src, width: (img as HTMLImageElement).naturalWidth })),
    );
    const backendOrigin = new URL(stack.backend.url).origin;
    for (const [index, image] of shown.entries()) {
      const files = project1[index]!.files;
      const file = files.thumbnail ?? files.image!;
      const path = typeof file === 'string' ? file : file.url;
      expect(image.src).toBe(new URL(path, backendOrigin).href);
      expect({ src: image.src, width: image.width }).toEqual({ src: image.src, width: files.thumbnail ? 160 : 480 });
    }
    await page.screenshot({ path: SCREENSHOT });
  });

  it('loads the next page with the cursor', async () => {
    gateway.requests.length = 0;
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(summary, { timeout: STEP_MS }).toBe(`40 of ${project1.length}`);
    expect(await cards().evaluateAll((items) => items.map((item) => Number((item as HTMLElement).dataset.id)))).toEqual(
      project1.slice(0, 40).map((row) => row.id),
    );
    // Another URL (the cursor is in it), so the browser preflights again: what the README says about GET.
    expect(gatewayCalls().map((call) => call.method)).toEqual(['OPTIONS', 'GET']);
  });

  it('tags an assignment from its card with the mutation (POST): the card and Synapse agree', async () => {
    const target = project1.slice(0, 40).find((row) => !row.tags.some((id) => tagNames.get(id) === 'needs_review'))!;
    gateway.requests.length = 0;
    const card = page.locator(`#cards > li[data-id="${target.id}"]`);
    await card.getByRole('button', { name: 'Tag needs_review' }).click();
    await expect.poll(() => card.locator('.tags li').allTextContents(), { timeout: STEP_MS }).toContain('needs_review');
    expect(gatewayCalls().filter((call) => call.method !== 'OPTIONS').map((call) => call.method)).toEqual(['POST']);
    const after = await rest<WireAssignment>(stack.backend.url, `assignments/${target.id}/`);
    expect(after.tags.map((id) => tagNames.get(id))).toContain('needs_review');
    expect(await page.locator('#problems').isHidden()).toBe(true);
  });

  it('made requests only to the dev server, the gateway and the backend (images), and logged no error', () => {
    const allowed = [viteOrigin, new URL(gateway.url).origin, new URL(stack.backend.url).origin];
    expect(requests.filter((url) => !allowed.some((origin) => url.startsWith(`${origin}/`)))).toEqual([]);
    expect(problems).toEqual([]);
  });
});
