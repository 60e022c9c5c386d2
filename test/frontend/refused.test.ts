import { existsSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_MISSING, STEP_MS } from '../helpers/chromium.ts';
import { startFrontend, type Frontend } from '../helpers/frontend.ts';

/**
 * The same pages against a gateway enforcing an empty manifest (a build deployed before its
 * manifest): each shows the refusal's code in its alert region instead of a blank page, and
 * neither client falls back to sending the document's text.
 */
describe('the example pages against a gateway that enforces an empty manifest', () => {
  let frontend: Frontend;
  const queries = () => frontend.gateway.requests.filter((r) => r.url.startsWith('/graphql') && r.method !== 'OPTIONS');

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return;
    frontend = await startFrontend({ assignments: 40, manifest: 'empty' });
  }, 120_000);
  afterAll(() => frontend?.close());
  beforeEach(() => {
    if (!existsSync(CHROMIUM)) throw new Error(CHROMIUM_MISSING);
    frontend.gateway.requests.length = 0;
    frontend.stack.backend.resetRequests();
  });

  for (const { name, client } of [
    { name: 'review', client: 'urql' },
    { name: 'dashboard', client: 'Apollo Client' },
  ]) {
    it(`${name} (${client}): PERSISTED_QUERY_NOT_FOUND in the alert region, one request by id, nothing upstream`, async () => {
      const page = frontend.browser.page;
      await page.goto(`${frontend.vite.origin}/pages/${name}/`);
      const alert = page.getByRole('alert');
      await expect.poll(() => alert.textContent(), { timeout: STEP_MS }).toMatch(/^PERSISTED_QUERY_NOT_FOUND: No trusted document has this id/);
      expect(await alert.isVisible()).toBe(true);
      const sent = queries();
      expect(sent).toHaveLength(1);
      expect(new URL(sent[0]!.url, 'http://gateway').searchParams.has('query')).toBe(false);
      expect(frontend.stack.upstreamCalls()).toEqual([]);
    });
  }
});
