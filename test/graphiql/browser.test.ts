import { parse, type OperationDefinitionNode } from 'graphql';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { graphiqlOptions } from '../../src/graphiql/options.ts';
import type { WireAssignment, WireTag } from '../../src/contract/index.ts';
import { rest, restTags } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { manifestFolder } from '../trusted-documents/helpers.ts';

/** Debian's package; CI's .ci/run installs it the same way. */
const CHROMIUM = '/usr/bin/chromium';
/** Each test fails (not skips) with this when Chromium is missing, in CI and locally alike. */
const MISSING = `${CHROMIUM} is missing: install Debian chromium: apt-get install -y chromium`;
const haveChromium = existsSync(CHROMIUM);
/** Bound on every browser step: a hung page fails the step instead of the whole run. */
const STEP_MS = 30_000;
const SCREENSHOT = '/tmp/graphiql.png';

/** GraphiQL titles each tab with its operation's name. */
const exampleQueries = new Map(
  (graphiqlOptions({}).defaultTabs ?? []).map((tab) => {
    const operation = parse(tab.query ?? '').definitions[0] as OperationDefinitionNode;
    return [operation.name?.value, tab.query] as const;
  }),
);
const exampleNames = [...exampleQueries.keys()];

/** The text of a Monaco editor: it renders lines as absolutely placed divs, with non-breaking spaces. */
async function editorText(editor: Locator): Promise<string> {
  return editor.evaluate((root) => {
    const lines = [...root.querySelectorAll<HTMLElement>('.view-lines .view-line')];
    lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    return lines.map((line) => (line.textContent ?? '').replace(/\u00a0/g, ' ')).join('\n');
  });
}

/** Parses an editor's text as JSON, failing with the text shown rather than a bare SyntaxError. */
function parseShown(text: string, what: string): any {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} is not the whole JSON document (is the viewport too short?):\n${text}`);
  }
}

describe('GraphiQL in headless Chromium, over real HTTP, on a gateway enforcing trusted documents (outside production)', () => {
  let manifests: string;
  let stack: Stack;
  let server: Server;
  let origin: string;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const responses: { url: string; status: number; type: string; encoding: string | undefined }[] = [];
  const consoleErrors: string[] = [];

  const responsePane = () => page.locator('.graphiql-response');
  const toolEditor = () => page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden)');

  const activeTab = () => page.locator('.graphiql-tab-active .graphiql-tab-button').textContent();

  /**
   * Makes a tab the active one with a single click, as a person does (src/graphiql/bundle.ts has
   * the fix), then waits for GraphiQL to take in the tab's query: it parses the editor (operation
   * name included) in a debounced handler that also mirrors the query into `?query=`. Run before
   * that handler and GraphiQL sends the previous tab's operation name ("Cannot infer operation").
   */
  async function selectTab(name: string): Promise<void> {
    await page.getByRole('button', { name, exact: true }).click();
    await expect.poll(activeTab, { timeout: STEP_MS }).toBe(name);
    await expect.poll(() => new URL(page.url()).searchParams.get('query'), { timeout: STEP_MS }).toBe(exampleQueries.get(name));
  }

  /** Clicks Run and returns the JSON the response pane shows once it has `key`. */
  async function run(key: string): Promise<any> {
    await page.getByRole('button', { name: /^Execute query/ }).click();
    await expect.poll(() => editorText(responsePane()), { timeout: STEP_MS }).toContain(`"${key}"`);
    return parseShown(await editorText(responsePane()), 'The response pane');
  }

  beforeAll(async () => {
    if (!haveChromium) return;
    // No manifest holds GraphiQL's documents: outside production it runs them anyway, as the explorer it is.
    manifests = manifestFolder({ 'web/1.0.0.json': {} });
    stack = await startStack({
      assignments: 200,
      env: { TRUSTED_DOCUMENTS: 'enforce', TRUSTED_DOCUMENTS_DIR: manifests },
      deps: { demoToken: TOKENS.admin },
    });
    server = createServer(stack.gateway);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    profile = mkdtempSync(join(tmpdir(), 'graphiql-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
      // Tall enough for Monaco to render every line of the example results.
      viewport: { width: 1280, height: 1400 },
      timeout: STEP_MS,
    });
    context.setDefaultTimeout(STEP_MS);
    context.on('request', (request) => requests.push(request.url()));
    context.on('response', (response) => {
      const headers = response.headers();
      responses.push({ url: response.url(), status: response.status(), type: headers['content-type'] ?? '', encoding: headers['content-encoding'] });
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
    await page.goto(`${origin}/graphql`);
    await page.locator('.graphiql-tab').first().waitFor();
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await stack?.close();
    if (manifests) rmSync(manifests, { recursive: true, force: true });
  });

  beforeEach(() => {
    if (!haveChromium) throw new Error(MISSING);
  });

  it('opens with the title, one tab per example and the demo admin token in the headers editor', async () => {
    expect(await page.title()).toBe('Synapse Gateway');
    await expect
      .poll(() => page.locator('.graphiql-tab-button').allTextContents(), { timeout: STEP_MS })
      .toEqual(exampleNames);
    await expect.poll(() => editorText(toolEditor()), { timeout: STEP_MS }).toContain('"Authorization": "Token dev-admin-token"');
  });

  it('selects each tab with its first click, the tabs never displaced from where they are drawn', async () => {
    for (const name of ['AssignmentsByIds', 'ProjectTags', 'GetAssignment', 'ListAssignments']) {
      const button = page.getByRole('button', { name, exact: true });
      const before = await button.boundingBox();
      await selectTab(name);
      expect(await button.boundingBox()).toEqual(before);
    }
    // The cause: framer-motion's stale drag offsets, shown once a tab has focus.
    const transforms = await page.locator('.graphiql-tab').evaluateAll((tabs) => tabs.map((tab) => (tab as HTMLElement).style.transform));
    expect(transforms.filter((t) => t !== '' && t !== 'none')).toEqual([]);
  });

  it('runs the list example, then tags the listed assignments with the mutation example', async () => {
    await selectTab('ListAssignments');
    const [listRequest, list] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'POST' && (r.postData() ?? '').includes('ListAssignments')),
      run('totalCount'),
    ]);
    // The prefilled headers editor is what authenticated the first Run.
    expect(await listRequest.headerValue('authorization')).toBe(`Token ${TOKENS.admin}`);
    // GraphiQL names itself, which is what lets its documents past the enforcing gateway.
    expect(await listRequest.headerValue('graphql-client-name')).toBe('graphiql');
    expect(list.errors).toBeUndefined();
    const ids: string[] = list.data.assignments.nodes.map((node: { id: string }) => node.id);
    expect(ids).toHaveLength(3);
    await page.screenshot({ path: SCREENSHOT });

    await selectTab('TagAssignments');
    await page.getByRole('button', { name: 'Variables', exact: true }).click();
    const variables = { input: { assignmentIds: ids.slice(0, 2), tagNames: ['needs_review'] } };
    await toolEditor().locator('.monaco-editor').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    // One line, inserted at once: typing key by key would trigger Monaco's auto-closing brackets.
    await page.keyboard.insertText(JSON.stringify(variables));
    expect(parseShown(await editorText(toolEditor()), 'The variables editor')).toEqual(variables);

    const tagged = await run('setAssignmentTags');
    expect(tagged.errors).toBeUndefined();
    const payload = tagged.data.setAssignmentTags;
    expect(payload.userErrors).toEqual([]);
    expect(payload.writeCalls).toBe(1);
    expect(payload.assignments.map((a: { id: string }) => a.id)).toEqual(ids.slice(0, 2));
    for (const assignment of payload.assignments) {
      expect(assignment.tags.map((t: { name: string }) => t.name)).toContain('needs_review');
    }

    // The backend agrees: the write went through, not just the page.
    const needsReview = (await restTags(stack.backend.url, 1)).find((t: WireTag) => t.name === 'needs_review')!;
    for (const id of ids.slice(0, 2)) {
      expect((await rest<WireAssignment>(stack.backend.url, `assignments/${id}/`)).tags).toContain(needsReview.id);
    }
  });

  it('keeps every operation run in the history panel', async () => {
    await page.getByRole('button', { name: 'Show History', exact: true }).click();
    const items = page.locator('.graphiql-history-item');
    await expect.poll(() => items.allTextContents(), { timeout: STEP_MS }).toEqual(
      expect.arrayContaining([expect.stringContaining('TagAssignments'), expect.stringContaining('ListAssignments')]),
    );
    await page.getByRole('button', { name: 'Hide History', exact: true }).click();
  });

  it('still reorders tabs by dragging one', async () => {
    const from = (await page.getByRole('button', { name: 'AssignmentsByIds', exact: true }).boundingBox())!;
    const to = (await page.getByRole('button', { name: 'ListAssignments', exact: true }).boundingBox())!;
    const y = from.y + from.height / 2;
    await page.mouse.move(from.x + from.width / 2, y);
    await page.mouse.down();
    // Small steps: framer-motion reorders as the dragged tab passes its neighbours.
    for (let step = 1; step <= 20; step++) await page.mouse.move(from.x + from.width / 2 + ((to.x - from.x) * step) / 20, y);
    await page.mouse.up();
    await expect.poll(() => page.locator('.graphiql-tab-button').allTextContents(), { timeout: STEP_MS }).toEqual([
      'AssignmentsByIds',
      ...exampleNames.filter((name) => name !== 'AssignmentsByIds'),
    ]);
  });

  it('received every GraphiQL file compressed', () => {
    const files = responses.filter((r) => r.url.startsWith(`${origin}/graphiql/`) || (r.url.startsWith(`${origin}/graphql`) && r.type.startsWith('text/html')));
    expect(files.length).toBeGreaterThanOrEqual(7);
    expect(files.filter((r) => r.status === 200 && r.encoding !== 'br')).toEqual([]);
  });

  it('made no request beyond the gateway and logged no error', () => {
    expect(requests).toContain(`${origin}/graphql`);
    const elsewhere = requests.filter(
      (url) => !url.startsWith(`${origin}/`) && !url.startsWith(`blob:${origin}/`) && !url.startsWith('data:'),
    );
    expect(elsewhere).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
