import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment } from '../../src/contract/index.ts';
import { CHROMIUM, CHROMIUM_MISSING, STEP_MS } from '../helpers/chromium.ts';
import { Dashboard } from '../../examples/frontend/src/operations.ts';
import { CLIENT, documentIdOf } from '../../examples/frontend/src/trusted-documents.ts';
import { startFrontend, type Frontend } from '../helpers/frontend.ts';
import { restAll } from '../helpers/rest.ts';
import { SEED_NOW } from '../helpers/stack.ts';
import { upstreamGate } from '../helpers/upstream-gate.ts';
import { expectedDashboard } from '../workflows/oracle.ts';

/** The browser's own zone: the page draws days in the viewer's zone unless the URL names another. */
const BROWSER_ZONE = 'Asia/Seoul';
const SCREENSHOT = '/tmp/frontend-dashboard.png';
/** The page's lines, in its order, and the count each one draws. */
const LINES = [
  { label: 'Created', key: 'created' },
  { label: 'Completed', key: 'completed' },
  { label: 'Rejected', key: 'rejected' },
] as const;

interface DrawnPoint {
  /** The x-axis label under the point, read back from its pixel position. */
  label: string;
  /** The y value at the point's pixel position, read back through the chart's own scale. */
  value: number;
  /** Drawn inside the plot area, not clipped away or skipped. */
  shown: boolean;
}
interface DrawnChart {
  /** Where the page's Chart.js module came from. */
  moduleUrl: string;
  labels: string[];
  datasets: { label: string; points: DrawnPoint[]; color: string; pixels: string[] }[];
}

/**
 * What Chart.js drew on the page's canvas, through Chart.js's public API on the page's own
 * instance (`Chart.getChart` of the very module the page loaded): each dataset's point
 * elements, each point's pixel position turned back into a label and a value by the
 * chart's scales, and the canvas pixel at the centre of every point of the top dataset.
 */
function drawnChart(page: Page): Promise<DrawnChart | null> {
  return page.evaluate(async () => {
    const moduleUrl = performance
      .getEntriesByType('resource')
      .map((entry) => entry.name)
      .find((name) => new URL(name).pathname.endsWith('/deps/chart__js.js'));
    if (!moduleUrl) throw new Error('the page loaded no Chart.js from the dev server');
    // vitest rewrites `import()` in this file for Node; Function reaches the browser's own.
    const load = new Function('url', 'return import(url)') as (url: string) => Promise<typeof import('chart.js')>;
    const { Chart } = await load(moduleUrl);
    const chart = Chart.getChart('daily');
    if (!chart) return null;
    const [x, y] = [chart.scales['x']!, chart.scales['y']!];
    const area = chart.chartArea;
    const hex = (rgba: Uint8ClampedArray) => `#${[...rgba.slice(0, 3)].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
    const ratio = chart.currentDevicePixelRatio;
    return {
      moduleUrl,
      labels: chart.data.labels as string[],
      datasets: chart.data.datasets.map((dataset, index) => {
        const points = chart.getDatasetMeta(index).data.map((element) => {
          const { x: px, y: py, skip } = element.getProps(['x', 'y', 'skip'], true) as { x: number; y: number; skip: boolean };
          return {
            label: x.getLabelForValue(Math.round(x.getValueForPixel(px)!)),
            value: y.getValueForPixel(py)!,
            shown: !skip && chart.isDatasetVisible(index) && px >= area.left && px <= area.right && py >= area.top && py <= area.bottom,
            pixel: hex(chart.ctx.getImageData(Math.floor(px * ratio), Math.floor(py * ratio), 1, 1).data),
          };
        });
        return {
          label: dataset.label!,
          color: String(dataset.borderColor),
          points: points.map(({ label, value, shown }) => ({ label, value, shown })),
          pixels: points.map((point) => point.pixel),
        };
      }),
    };
  });
}

describe('the example dashboard page (Apollo Client) on a Vite dev server, in headless Chromium, drawing the daily series', () => {
  let frontend: Frontend;
  let page: Page;
  let rows: WireAssignment[];
  // The streamed pass over the window reads with `updated_after`; the headline's two one-row reads do not.
  const gate = upstreamGate((url) => url.searchParams.has('updated_after'));

  const open = async (query: Record<string, string>) => {
    await page.goto(`${frontend.vite.origin}/pages/dashboard/?${new URLSearchParams(query)}`);
  };
  const chartShown = () => page.locator('#figure').waitFor({ state: 'visible', timeout: STEP_MS });
  const gatewayQueries = () => frontend.gateway.requests.filter((r) => r.url.startsWith('/graphql') && r.method !== 'OPTIONS');
  /** The oracle's daily series of one project, from raw REST rows. */
  const expectedDays = (project: number, days: number, timeZone: string) =>
    expectedDashboard(
      rows.filter((row) => row.project === project),
      SEED_NOW,
      days,
      [{ bucket: 'DAY', timeZone }],
    ).series[0]!;

  /** The chart has one point per day of the oracle for each line, at the oracle's value, each one on screen. */
  async function expectDrawn(expected: ReturnType<typeof expectedDays>): Promise<DrawnChart> {
    const drawn = (await drawnChart(page))!;
    expect(drawn, 'no chart on the canvas').not.toBeNull();
    const dates = expected.map((day) => day.date);
    expect(drawn.labels).toEqual(dates);
    expect(drawn.datasets.map((dataset) => dataset.label)).toEqual(LINES.map((line) => line.label));
    LINES.forEach(({ key, label }, index) => {
      const points = drawn.datasets[index]!.points;
      expect(points, label).toHaveLength(expected.length);
      expect(points.map((point) => point.label), label).toEqual(dates);
      // Pixel positions give the values back to floating-point error: 6 decimals is exact for counts.
      expect(points.map((point) => Number(point.value.toFixed(6))), label).toEqual(expected.map((day) => day[key]));
      expect(points.every((point) => point.shown), `${label}: every point drawn in the plot area`).toBe(true);
    });
    // Chart.js draws the first dataset last: the centre of each of its points has its colour on the canvas.
    const top = drawn.datasets[0]!;
    expect(top.pixels).toEqual(top.points.map(() => top.color));
    return drawn;
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return;
    frontend = await startFrontend({ assignments: 2000, timezoneId: BROWSER_ZONE, deps: { fetch: gate.fetch } });
    rows = await restAll(frontend.stack.backend.url, '');
    page = frontend.browser.page;
  }, 120_000);

  afterAll(() => frontend?.close());

  beforeEach(() => {
    if (!existsSync(CHROMIUM)) throw new Error(CHROMIUM_MISSING);
    // Each test counts the queries its own page load sent.
    frontend.gateway.requests.length = 0;
  });

  it('shows the headline numbers first, while the pass is held upstream, then the chart from the deferred part', async () => {
    gate.close();
    try {
      // Project 4: no other test asks for it, so no cached answer comes back whole.
      await open({ project: '4', asOf: SEED_NOW.toISOString() });
      await gate.holding(1);
      await page.locator('#headline').waitFor({ state: 'visible', timeout: STEP_MS });
      // The first part is on screen; the pass has not reached the backend, so nothing of it can be.
      expect(frontend.stack.upstreamCalls('/sdk/assignments/').filter((call) => 'updated_after' in call.query)).toEqual([]);
      expect(await page.locator('#figure').isHidden()).toBe(true);
      expect(await page.locator('#loading').isVisible()).toBe(true);
      expect(await drawnChart(page)).toBeNull();
      const project4 = rows.filter((row) => row.project === 4);
      const pending = project4.filter((row) => row.status === 'pending');
      const oldest = Math.min(...pending.map((row) => Date.parse(row.created_at)));
      expect(await page.locator('#pending').textContent()).toBe(String(pending.length));
      expect(await page.locator('#in-progress').textContent()).toBe(String(project4.filter((row) => row.status === 'in_progress').length));
      expect(await page.locator('#oldest').textContent()).toBe(`${Math.floor((SEED_NOW.getTime() - oldest) / 86_400_000)} days`);
    } finally {
      gate.open();
    }
    await chartShown();
    await expectDrawn(expectedDays(4, 14, BROWSER_ZONE));
    expect(await page.locator('#loading').isHidden()).toBe(true);
    // One query, answered in two parts.
    expect(gatewayQueries()).toHaveLength(1);
  });

  it("draws one point per day of project 1's last 14 days in the browser's zone, at the oracle's values", async () => {
    await open({ asOf: SEED_NOW.toISOString() });
    await chartShown();
    const expected = expectedDays(1, 14, BROWSER_ZONE);
    // 14 days ending at 21:00 in Seoul touch 15 local dates; the seed fills them.
    expect(expected).toHaveLength(15);
    expect(expected.reduce((n, day) => n + day.created, 0)).toBeGreaterThan(50);
    expect(expected.reduce((n, day) => n + day.completed, 0)).toBeGreaterThan(50);
    const drawn = await expectDrawn(expected);
    // Chart.js came from the dev server (node_modules), not from a CDN.
    expect(new URL(drawn.moduleUrl).origin).toBe(frontend.vite.origin);
    expect(await page.locator('#caption').textContent()).toBe(`Assignments per day in ${BROWSER_ZONE}, project 1`);
    expect(await page.locator('#daily').getAttribute('aria-label')).toContain(`${expected[0]!.date} to ${expected.at(-1)!.date}`);
    expect(await page.getByRole('link', { name: 'Dashboard' }).getAttribute('aria-current')).toBe('page');
    const [query] = gatewayQueries();
    expect(gatewayQueries()).toHaveLength(1);
    expect(query!.headers.origin).toBe(frontend.vite.origin);
    const params = new URL(query!.url, 'http://gateway').searchParams;
    expect(params.get('variables')).toContain(`"timeZone":"${BROWSER_ZONE}"`);
    // Apollo's persisted-query link: the hash of the document the gateway enforces, never its text.
    expect(JSON.parse(params.get('extensions')!)).toMatchObject({ persistedQuery: { version: 1, sha256Hash: documentIdOf(Dashboard)!.slice('sha256:'.length) } });
    expect([params.has('query'), query!.headers['graphql-client-name']]).toEqual([false, CLIENT.name]);
    await page.screenshot({ path: SCREENSHOT });
  });

  it('takes project, window and zone from the URL: 31 days of project 2 in New York, with its 25-hour day', async () => {
    await open({ project: '2', days: '30', timeZone: 'America/New_York', asOf: SEED_NOW.toISOString() });
    await chartShown();
    const expected = expectedDays(2, 30, 'America/New_York');
    expect(expected).toHaveLength(31);
    expect(expected.map((day) => day.date)).toContain('2026-11-01');
    await expectDrawn(expected);
  });

  it('redraws for the project picked, and keeps the choice in the URL', async () => {
    await open({ asOf: SEED_NOW.toISOString() });
    await chartShown();
    frontend.gateway.requests.length = 0;
    await page.locator('#project').selectOption('3');
    await expect.poll(() => page.locator('#caption').textContent(), { timeout: STEP_MS }).toBe(`Assignments per day in ${BROWSER_ZONE}, project 3`);
    await expectDrawn(expectedDays(3, 14, BROWSER_ZONE));
    expect(new URL(page.url()).searchParams.get('project')).toBe('3');
    expect(gatewayQueries()).toHaveLength(1);
  });

  it('shows a refusal in the alert region and draws nothing: an unknown zone is BAD_USER_INPUT, the field null', async () => {
    await open({ timeZone: 'Mars/Olympus', asOf: SEED_NOW.toISOString() });
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: STEP_MS }).toMatch(/^BAD_USER_INPUT: .*IANA time zone/);
    expect(await page.locator('#figure').isHidden()).toBe(true);
    expect(await drawnChart(page)).toBeNull();
  });

  it('made every request to loopback, only to the dev server and the gateway, and logged no error', () => {
    const { requests, sockets, problems } = frontend.browser;
    expect(requests.length).toBeGreaterThan(0);
    expect([...requests, ...sockets].filter((url) => new URL(url).hostname !== '127.0.0.1')).toEqual([]);
    const allowed = [frontend.vite.origin, new URL(frontend.gateway.url).origin];
    expect(requests.filter((url) => !allowed.includes(new URL(url).origin))).toEqual([]);
    // Vite's HMR socket, on the dev server's own port.
    expect(sockets.filter((url) => new URL(url).port !== new URL(frontend.vite.origin).port)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
