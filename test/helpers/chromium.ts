import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium: the tests drive it and download no browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_MISSING = `${CHROMIUM} is missing: install Debian chromium: apt-get install -y chromium`;
/** How long one browser step may take on a busy 2-core machine. */
export const STEP_MS = 30_000;

export interface Chromium {
  context: BrowserContext;
  page: Page;
  /** Every URL the browser requested, in order. */
  requests: string[];
  /** Every WebSocket URL the page opened (Vite's HMR socket, say), in order. */
  sockets: string[];
  /** Console errors, uncaught exceptions and HTTP answers of 400 or more, as one line each. */
  problems: string[];
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Headless Chromium on a fresh profile, with the flags every browser test uses, watching what the page does. */
export async function openChromium(options: { viewport?: { width: number; height: number }; timezoneId?: string } = {}): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'test-chromium-'));
  const requests: string[] = [];
  const sockets: string[] = [];
  const problems: string[] = [];
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: options.viewport ?? { width: 1280, height: 900 },
      timezoneId: options.timezoneId,
      timeout: STEP_MS,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(STEP_MS);
  context.on('request', (request) => requests.push(request.url()));
  context.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.request().method()} ${response.url()}`);
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('websocket', (socket) => sockets.push(socket.url()));
  return {
    context,
    page,
    requests,
    sockets,
    problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
