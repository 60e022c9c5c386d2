import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment, WireTag } from '../../src/contract/index.ts';
import { CHROMIUM, CHROMIUM_MISSING, STEP_MS } from '../helpers/chromium.ts';
import { ReviewQueuePage } from '../../examples/frontend/src/operations.ts';
import { CLIENT, documentIdOf } from '../../examples/frontend/src/trusted-documents.ts';
import { startFrontend, type Frontend } from '../helpers/frontend.ts';
import { rest, restAll, restReviews, restTags } from '../helpers/rest.ts';
import { TOKENS, type Stack } from '../helpers/stack.ts';

const SCREENSHOT = '/tmp/frontend-review.png';

describe('the example review page (urql) on a Vite dev server, in headless Chromium, calling a gateway that enforces its manifest', () => {
  let frontend: Frontend;
  let stack: Stack;
  let gateway: Frontend['gateway'];
  let vite: Frontend['vite'];
  let browser: Frontend['browser'];
  let page: Page;
  let project1: WireAssignment[];
  let tagNames: Map<number, string>;

  const cards = () => page.locator('#cards > li');
  const summary = () => page.locator('#summary').textContent();
  const gatewayCalls = () => gateway.requests.filter((r) => r.url.startsWith('/graphql'));

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return;
    frontend = await startFrontend({ assignments: 200 });
    ({ stack, gateway, vite, browser } = frontend);
    project1 = await restAll(stack.backend.url, 'project=1');
    tagNames = new Map((await restTags(stack.backend.url, 1)).map((tag: WireTag) => [tag.id, tag.name]));
    page = browser.page;
    await page.goto(`${vite.origin}/pages/review/`);
  }, 120_000);

  afterAll(() => frontend?.close());

  beforeEach(() => {
    if (!existsSync(CHROMIUM)) throw new Error(CHROMIUM_MISSING);
  });

  it('lists the first page of project 1 from the gateway on another origin, queried by documentId with GET after a CORS preflight', async () => {
    await expect.poll(summary, { timeout: STEP_MS }).toBe(`20 of ${project1.length}`);
    expect(await cards().evaluateAll((items) => items.map((item) => Number((item as HTMLElement).dataset.id)))).toEqual(
      project1.slice(0, 20).map((row) => row.id),
    );
    const calls = gatewayCalls();
    expect(calls.map((call) => call.method)).toEqual(['OPTIONS', 'GET']);
    expect(calls.every((call) => call.headers.origin === vite.origin)).toBe(true);
    expect(calls[1]!.headers.authorization).toBe(`Token ${TOKENS.admin}`);
    // The id of the document the gateway enforces, never its text; the build named by its headers.
    const params = new URL(calls[1]!.url, 'http://gateway').searchParams;
    expect([params.get('documentId'), params.has('query')]).toEqual([documentIdOf(ReviewQueuePage), false]);
    expect([calls[1]!.headers['graphql-client-name'], calls[1]!.headers['graphql-client-version']]).toEqual([CLIENT.name, CLIENT.version]);
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
    // Another URL (the cursor is in it), so the browser preflights again: what docs/frontend.md says about GET.
    expect(gatewayCalls().map((call) => call.method)).toEqual(['OPTIONS', 'GET']);
  });

  it("shows each card's latest reviews as Synapse has them: author, verdict tag and reason", async () => {
    const shown = await cards().evaluateAll((items) =>
      items.map((item) => ({
        id: Number((item as HTMLElement).dataset.id),
        comments: [...item.querySelectorAll('.reviews q')].map((q) => q.textContent),
      })),
    );
    let withReviews = 0;
    for (const card of shown) {
      const oracle = (await restReviews(stack.backend.url, card.id)).slice(0, 3);
      expect(card.comments, `assignment ${card.id}`).toEqual(oracle.map((review) => review.description));
      if (oracle.length > 0) withReviews++;
    }
    expect(withReviews).toBeGreaterThan(0);
  });

  it('rejects an assignment with a reason from its card (POST): the card shows the tag and the review, and Synapse has both', async () => {
    const target = project1.slice(0, 40).find((row) => !row.tags.some((id) => tagNames.get(id) === 'rejected'))!;
    const reason = 'Boxes are far too loose around the cars; see guideline 3.';
    gateway.requests.length = 0;
    const card = page.locator(`#cards > li[data-id="${target.id}"]`);
    await card.getByRole('textbox', { name: `Comment on assignment ${target.id}` }).fill(reason);
    await card.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => card.locator('.tags li').allTextContents(), { timeout: STEP_MS }).toContain('rejected');
    await expect.poll(() => card.locator('.reviews q').first().textContent(), { timeout: STEP_MS }).toBe(reason);
    expect(gatewayCalls().filter((call) => call.method !== 'OPTIONS').map((call) => call.method)).toEqual(['POST']);
    expect(await page.locator('#problems').isHidden()).toBe(true);

    const after = await rest<WireAssignment>(stack.backend.url, `assignments/${target.id}/`);
    expect(after.tags.map((id) => tagNames.get(id))).toContain('rejected');
    const [newest] = await restReviews(stack.backend.url, target.id);
    expect(newest).toMatchObject({ description: reason, user_id: 1 });
    expect(newest!.tags.map((id) => tagNames.get(id))).toEqual(['rejected']);
  });

  it('refuses to reject without a reason: the card says why, and nothing is written', async () => {
    const target = project1.slice(0, 40).find((row) => !row.tags.some((id) => tagNames.get(id) === 'rejected') && row.id !== project1[0]!.id)!;
    const before = await restReviews(stack.backend.url, target.id);
    const card = page.locator(`#cards > li[data-id="${target.id}"]`);
    await card.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => page.locator('#problems').textContent(), { timeout: STEP_MS }).toContain('INVALID: Say why');
    expect((await rest<WireAssignment>(stack.backend.url, `assignments/${target.id}/`)).tags).toEqual(target.tags);
    expect(await restReviews(stack.backend.url, target.id)).toEqual(before);
  });

  it('made requests only to the dev server, the gateway and the backend (images), and logged no error', () => {
    const allowed = [vite.origin, new URL(gateway.url).origin, new URL(stack.backend.url).origin];
    expect(browser.requests.filter((url) => !allowed.some((origin) => url.startsWith(`${origin}/`)))).toEqual([]);
    expect(browser.problems).toEqual([]);
  });
});
