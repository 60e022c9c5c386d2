import type { ApolloClient } from '@apollo/client';
import type { Client } from '@urql/core';
import { Kind, print, visit, type DocumentNode } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { GraphQLClient } from 'graphql-request';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApolloClient } from '../../examples/frontend/src/apollo.ts';
import { Dashboard } from '../../examples/frontend/src/operations.ts';
import { clientHeaders, documentIdOf } from '../../examples/frontend/src/trusted-documents.ts';
import { createUrqlClient } from '../../examples/frontend/src/urql.ts';
import { Instant, type WirePage, type WireAssignment } from '../../src/contract/index.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { keepAliveFetch, type FetchFn } from '../../src/upstream/transport.ts';
import { analyticsWindow } from '../../src/workflows/analytics.ts';
import { kitManifests } from '../helpers/frontend.ts';
import { serveGateway, type HttpGateway } from '../helpers/http-gateway.ts';
import { rest, restAll } from '../helpers/rest.ts';
import { serve } from '../helpers/serve.ts';
import { SEED_NOW, startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { upstreamGate } from '../helpers/upstream-gate.ts';

/** Rows a page of the analytics pass holds here, so the pass has several pages and a last one to hold. */
const STREAM_PAGE_SIZE = 50;
const DASHBOARD_VARIABLES = { filter: { project: '1' }, days: 14, asOf: SEED_NOW.toISOString(), timeZone: 'Asia/Seoul' };

/** A part of an answer in parts, as it travels. */
interface Part {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
  incremental?: { data?: Record<string, any> | null; items?: unknown[]; path: (string | number)[]; label?: string; errors?: Part['errors'] }[];
  hasNext?: boolean;
  extensions?: Record<string, any>;
}

/** The same document with every `@defer` and `@stream` taken out: what the answer must come to once merged. */
function undeferred(document: DocumentNode): string {
  const strip = (node: { directives?: readonly { name: { value: string } }[] }) => ({
    ...node,
    directives: node.directives?.filter((directive) => !['defer', 'stream'].includes(directive.name.value)),
  });
  return print(visit(document, { [Kind.INLINE_FRAGMENT]: strip, [Kind.FIELD]: strip }));
}

/** A client's answer without the `__typename`s its cache adds, to compare with the gateway's own. */
function withoutTypenames<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, field: unknown) => (key === '__typename' ? undefined : field))) as T;
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The JSON parts of a `multipart/mixed` body as yoga writes it (boundary `-`). */
function multipartParts(body: string): Part[] {
  return body
    .split(/\r\n---/)
    .map((chunk) => chunk.slice(chunk.indexOf('\r\n\r\n') + 4).trim())
    .filter((json) => json.startsWith('{'))
    .map((json) => JSON.parse(json) as Part);
}

/** The page of the dashboard's analytics pass (project 1, its window) that is the last: the one a gate holds. */
async function lastPassPage(stack: Stack): Promise<number> {
  const from = analyticsWindow(Instant.fromDate(SEED_NOW), DASHBOARD_VARIABLES.days).from.toString();
  const { count } = await rest<WirePage<WireAssignment>>(stack.backend.url, `sdk/assignments/?project=1&updated_after=${encodeURIComponent(from)}&page_size=1`);
  const last = Math.ceil(count / STREAM_PAGE_SIZE);
  expect(last, 'a pass of several pages').toBeGreaterThanOrEqual(3);
  return last;
}

/** The pass's pages the backend has served so far. */
function passPagesServedBy(stack: Stack): number[] {
  return stack.upstreamCalls('/sdk/assignments/').filter((call) => 'updated_after' in call.query && call.status !== 0).map((call) => Number(call.query['page']));
}

/** Asserts, while the last page is held, that the pass has begun but not ended. */
function expectPassUnfinishedBy(stack: Stack, lastPage: number): void {
  const served = passPagesServedBy(stack);
  expect(served, 'the pass began').toContain(1);
  expect(served, 'the last page was not served').not.toContain(lastPage);
}

describe('@defer and @stream (multipart/mixed, SSE, WebSocket), with limits, cost and masking over the whole operation', () => {
  let stack: Stack;
  let gateway: HttpGateway;
  let sockets: Awaited<ReturnType<typeof serve>>;
  let urql: Client;
  let apollo: ApolloClient;
  let lastPage: number;
  // Holds the analytics pass's last page; the backlog's one-row reads and the first pages pass.
  const gate = upstreamGate((url) => url.searchParams.has('updated_after') && url.searchParams.get('page') === String(lastPage));

  beforeAll(async () => {
    stack = await startStack({
      assignments: 2000,
      env: { RESPONSE_CACHE_TTL_MS: '0', SYNAPSE_STREAM_PAGE_SIZE: String(STREAM_PAGE_SIZE), MAX_DEPTH: '4' },
      deps: { fetch: gate.fetch },
    });
    gateway = await serveGateway(stack);
    sockets = await serve(stack.gateway);
    // This gateway holds no manifest (TRUSTED_DOCUMENTS off, as `npm start`): the clients send text, as the dev server does.
    urql = createUrqlClient(gateway.url, TOKENS.admin, { documentIds: false });
    apollo = createApolloClient(gateway.url, TOKENS.admin, { documentIds: false });
    lastPage = await lastPassPage(stack);
  });
  afterAll(async () => {
    gate.open();
    apollo?.stop();
    await sockets?.close();
    await gateway?.close();
    await stack?.close();
  });
  beforeEach(() => {
    stack.backend.resetRequests();
  });

  const passPagesServed = () => passPagesServedBy(stack);
  const expectPassUnfinished = () => expectPassUnfinishedBy(stack, lastPage);

  it('urql: the dashboard gets the queue and the window before the last page of the pass is served, then the deferred figures', async () => {
    const whole = await stack.gql(undeferred(Dashboard), DASHBOARD_VARIABLES);
    expect(whole.body.errors).toBeUndefined();
    stack.backend.resetRequests();
    gate.close();
    const results: { data?: any; error?: unknown; hasNext?: boolean }[] = [];
    const subscription = urql.query(Dashboard, DASHBOARD_VARIABLES).subscribe((result) => results.push(result));
    try {
      await gate.holding(1);
      await waitUntil(() => results.length > 0, 'the first part');
      const [first] = results;
      expect(first!.error).toBeUndefined();
      expect(first!.hasNext).toBe(true);
      expectPassUnfinished();
      const analytics = first!.data.assignmentAnalytics;
      expect(withoutTypenames(analytics.backlog)).toEqual(withoutTypenames(whole.body.data!['assignmentAnalytics'].backlog));
      expect([analytics.from, analytics.to]).toEqual([whole.body.data!['assignmentAnalytics'].from, whole.body.data!['assignmentAnalytics'].to]);
      expect(analytics.daily).toBeUndefined();
      expect(analytics.hoursToComplete).toBeUndefined();
      gate.open();
      await waitUntil(() => results.at(-1)?.hasNext === false, 'the last part');
    } finally {
      gate.open();
      subscription.unsubscribe();
    }
    expect(withoutTypenames(results.at(-1)!.data)).toEqual(withoutTypenames(whole.body.data));
    expect(passPagesServed()).toContain(lastPage);
  });

  it('Apollo Client 4 (Defer20220824Handler): the first result is the queue and the window, the last the whole dashboard', async () => {
    const whole = await stack.gql(undeferred(Dashboard), DASHBOARD_VARIABLES);
    stack.backend.resetRequests();
    gate.close();
    const results: { data?: any; dataState?: string }[] = [];
    const subscription = apollo
      .watchQuery({ query: Dashboard, variables: DASHBOARD_VARIABLES, fetchPolicy: 'network-only' })
      .subscribe((result) => results.push(result));
    try {
      await gate.holding(1);
      await waitUntil(() => results.some((result) => result.dataState === 'streaming'), 'the first part');
      expectPassUnfinished();
      const first = results.find((result) => result.dataState === 'streaming')!;
      expect(withoutTypenames(first.data.assignmentAnalytics.backlog)).toEqual(withoutTypenames(whole.body.data!['assignmentAnalytics'].backlog));
      expect(first.data.assignmentAnalytics.daily).toBeUndefined();
      gate.open();
      await waitUntil(() => results.at(-1)?.dataState === 'complete', 'the complete result');
    } finally {
      gate.open();
      subscription.unsubscribe();
    }
    expect(withoutTypenames(results.at(-1)!.data)).toEqual(withoutTypenames(whole.body.data));
  });

  const STREAMED = /* GraphQL */ `
    query Streamed {
      assignments(filter: { project: 2 }, first: 100) { totalCount nodes @stream(initialCount: 10) { id } }
    }
  `;

  /** Folds the streamed parts: the first part's nodes, then each item at its index. */
  function streamedIds(parts: readonly Part[]): string[] {
    const ids = (parts[0]!.data!['assignments'].nodes as { id: string }[]).map((node) => node.id);
    for (const part of parts.slice(1)) {
      for (const patch of part.incremental ?? []) {
        const at = patch.path.at(-1) as number;
        (patch.items as { id: string }[]).forEach((item, i) => (ids[at + i] = item.id));
      }
    }
    return ids;
  }

  it('streams the nodes of `assignments(first: 100)` after the first 10, over multipart/mixed, SSE and WebSocket alike', async () => {
    const expected = (await restAll(stack.backend.url, 'project=2&ordering=id')).slice(0, 100).map((row) => String(row.id));
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed', authorization: `Token ${TOKENS.admin}` },
      body: JSON.stringify({ query: STREAMED }),
    });
    expect(response.headers.get('content-type')).toMatch(/^multipart\/mixed/);
    const multipart = multipartParts(await response.text());

    const sse = createSseClient({ url: gateway.url, headers: { authorization: `Token ${TOKENS.admin}` }, retryAttempts: 0 });
    const ws = createWsClient({ url: sockets.wsUrl, webSocketImpl: WebSocket, connectionParams: { Authorization: `Token ${TOKENS.admin}` }, retryAttempts: 0 });
    const collect = async (iterator: AsyncIterable<unknown>) => {
      const parts: Part[] = [];
      for await (const part of iterator) parts.push(part as Part);
      return parts;
    };
    try {
      const [overSse, overWs] = await Promise.all([collect(sse.iterate({ query: STREAMED })), collect(ws.iterate({ query: STREAMED }))]);
      for (const [transport, parts] of [['multipart', multipart], ['SSE', overSse], ['WebSocket', overWs]] as const) {
        expect(parts.length, transport).toBeGreaterThan(1);
        expect(parts[0]!.data!['assignments'].nodes, transport).toHaveLength(10);
        expect(parts[0]!.data!['assignments'].totalCount, transport).toBe(500);
        expect(parts[0]!.hasNext, transport).toBe(true);
        expect(parts.at(-1)!.hasNext, transport).toBe(false);
        expect(streamedIds(parts), transport).toEqual(expected);
      }
    } finally {
      sse.dispose();
      await ws.dispose();
    }
    // The first part says what the whole operation costs and its id; the last what it cost upstream.
    expect(multipart[0]!.extensions).toMatchObject({ requestId: expect.any(String), cost: { estimated: expect.any(Number), limit: 50_000 } });
    expect(multipart.at(-1)!.extensions).toMatchObject({ upstream: { requests: 1, retries: 0 } });
  });

  it('refuses a deferred fragment over the depth or cost limit before any upstream call, as if it were not deferred', async () => {
    const deep = '{ ... @defer { assignments { edges { node { tags { name } } } } } }';
    const costly = `{ ... @defer { ${Array.from({ length: 8 }, (_, i) => `a${i}: assignments(first: 1000) { nodes { id status tags { name } } }`).join(' ')} } }`;
    for (const [query, limit] of [[deep, 'depth'], [costly, 'cost']] as const) {
      const deferred = await stack.gql(query);
      const plain = await stack.gql(query.replace(' @defer', ''));
      expect(deferred.status).toBe(400);
      expect(deferred.body.errors?.[0]?.extensions).toMatchObject({ code: 'DOCUMENT_LIMIT_EXCEEDED', limit });
      expect(deferred.body.errors?.[0]?.extensions?.['found']).toBe(plain.body.errors?.[0]?.extensions?.['found']);
    }
    expect(stack.upstreamCalls()).toEqual([]);
  });

  it('answers a client that accepts only JSON (graphql-request) with every part merged into one answer', async () => {
    const whole = await stack.gql(undeferred(Dashboard), DASHBOARD_VARIABLES);
    const client = new GraphQLClient(gateway.url, { headers: { authorization: `Token ${TOKENS.admin}` } });
    const { data, extensions, status } = await client.rawRequest<Record<string, unknown>>(print(Dashboard), DASHBOARD_VARIABLES);
    expect(status).toBe(200);
    expect(data).toEqual(whole.body.data);
    expect(extensions).toMatchObject({ requestId: expect.any(String), cost: whole.body.extensions!['cost'], upstream: { requests: lastPage + 2 } });
  });
});

/** The data of an answer in parts, each deferred patch applied at its path. */
function mergedData(parts: readonly Part[]): Record<string, any> {
  const data = structuredClone(parts[0]!.data!);
  for (const patch of parts.slice(1).flatMap((part) => part.incremental ?? [])) {
    const target = patch.path.reduce<any>((node, key) => node[key], data);
    Object.assign(target, patch.data);
  }
  return data;
}

/** Reads a streamed multipart body until `enough` holds for the complete parts read so far (or the body ends). */
async function readParts(reader: ReadableStreamDefaultReader<Uint8Array>, enough: (parts: Part[]) => boolean, sofar = ''): Promise<{ text: string; parts: Part[] }> {
  const decoder = new TextDecoder();
  let text = sofar;
  for (;;) {
    // A part is complete once the boundary after it has come.
    const end = text.lastIndexOf('\r\n---');
    const parts = end === -1 ? [] : multipartParts(text.slice(0, end));
    if (enough(parts)) return { text, parts };
    const { value, done } = await reader.read();
    if (done) return { text, parts: multipartParts(text) };
    text += decoder.decode(value, { stream: true });
  }
}

describe("a deferred query sent by its id to a gateway enforcing the starter kit's manifest", () => {
  const BYPASS = 'an-operators-secret-of-at-least-32-characters';
  let manifests: ReturnType<typeof kitManifests>;
  let stack: Stack;
  let gateway: HttpGateway;
  let lastPage: number;
  let whole: Record<string, any>;
  const gate = upstreamGate((url) => url.searchParams.has('updated_after') && url.searchParams.get('page') === String(lastPage));

  beforeAll(async () => {
    manifests = kitManifests('kit');
    stack = await startStack({
      assignments: 2000,
      env: {
        ...manifests.env,
        TRUSTED_DOCUMENTS_BYPASS_TOKEN: BYPASS,
        RESPONSE_CACHE_TTL_MS: '0',
        SYNAPSE_STREAM_PAGE_SIZE: String(STREAM_PAGE_SIZE),
      },
      deps: { fetch: gate.fetch },
    });
    gateway = await serveGateway(stack);
    lastPage = await lastPassPage(stack);
    // The answer merged, asked by an operator (the bypass): the manifest holds only the deferred text.
    const answer = await stack.gql(undeferred(Dashboard), DASHBOARD_VARIABLES, { headers: { 'x-trusted-documents-bypass': BYPASS } });
    expect(answer.body.errors).toBeUndefined();
    // The kit's documents ask for `__typename` everywhere (its cache needs it); a client's answer is compared without them.
    whole = answer.body.data!;
  });
  afterAll(async () => {
    gate.open();
    await gateway?.close();
    await stack?.close();
    await manifests?.close();
  });
  beforeEach(() => {
    stack.backend.resetRequests();
    gateway.requests.length = 0;
  });

  it('streams its parts over multipart/mixed: the first while the last page of the pass is held, the deferred figures after it', async () => {
    gate.close();
    let first: Part;
    let rest: { text: string; parts: Part[] };
    try {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'multipart/mixed', authorization: `Token ${TOKENS.admin}`, ...clientHeaders },
        body: JSON.stringify({ documentId: documentIdOf(Dashboard), variables: DASHBOARD_VARIABLES }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^multipart\/mixed/);
      const reader = response.body!.getReader();
      const head = await readParts(reader, (parts) => parts.length > 0);
      first = head.parts[0]!;
      await gate.holding(1);
      expectPassUnfinishedBy(stack, lastPage);
      expect(first.hasNext).toBe(true);
      expect(first.data!['assignmentAnalytics'].backlog).toEqual(whole['assignmentAnalytics'].backlog);
      expect(first.data!['assignmentAnalytics'].daily).toBeUndefined();
      gate.open();
      rest = await readParts(reader, () => false, head.text);
    } finally {
      gate.open();
    }
    const { parts } = rest;
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(parts.slice(0, -1).every((part) => part.hasNext === true)).toBe(true);
    expect(parts.at(-1)!.hasNext).toBe(false);
    expect(parts.flatMap((part) => part.incremental ?? []).map((patch) => patch.label)).toEqual(['pass']);
    expect(mergedData(parts)).toEqual(whole);
    // Every page of the pass, and the backlog's two one-row reads, counted on the last part.
    expect(parts.at(-1)!.extensions).toMatchObject({ upstream: { requests: lastPage + 2 } });
    expect(passPagesServedBy(stack)).toContain(lastPage);
  });

  it("urql and Apollo Client of the kit send the id, and get the queue and the window before the pass's last page is served", async () => {
    const urql = createUrqlClient(gateway.url, TOKENS.admin);
    const apollo = createApolloClient(gateway.url, TOKENS.admin);
    const clients = {
      urql: (push: (result: { data?: any; streaming: boolean }) => void) =>
        urql.query(Dashboard, DASHBOARD_VARIABLES).subscribe((result) => push({ data: result.data, streaming: result.hasNext === true })),
      apollo: (push: (result: { data?: any; streaming: boolean }) => void) =>
        apollo
          .watchQuery({ query: Dashboard, variables: DASHBOARD_VARIABLES, fetchPolicy: 'network-only' })
          .subscribe((result) => result.dataState !== 'empty' && push({ data: result.data, streaming: result.dataState === 'streaming' })),
    };
    try {
      for (const [name, subscribe] of Object.entries(clients)) {
        stack.backend.resetRequests();
        gate.close();
        const results: { data?: any; streaming: boolean }[] = [];
        const subscription = subscribe((result) => results.push(result));
        try {
          await gate.holding(1);
          await waitUntil(() => results.length > 0, `${name}: the first part`);
          expectPassUnfinishedBy(stack, lastPage);
          expect(results[0]!.streaming, name).toBe(true);
          expect(withoutTypenames(results[0]!.data.assignmentAnalytics.backlog), name).toEqual(withoutTypenames(whole['assignmentAnalytics'].backlog));
          expect(results[0]!.data.assignmentAnalytics.daily, name).toBeUndefined();
          gate.open();
          await waitUntil(() => results.at(-1)?.streaming === false, `${name}: the last part`);
        } finally {
          gate.open();
          subscription.unsubscribe();
        }
        expect(withoutTypenames(results.at(-1)!.data), name).toEqual(withoutTypenames(whole));
      }
    } finally {
      apollo.stop();
    }
    // Each sent the document's id and never its text: urql a `documentId`, Apollo the persisted-query hash.
    const sent = gateway.requests.filter((request) => request.url.startsWith('/graphql')).map((request) => new URL(request.url, 'http://gateway').searchParams);
    expect(sent).toHaveLength(2);
    expect(sent.map((params) => params.has('query'))).toEqual([false, false]);
    expect(sent[0]!.get('documentId')).toBe(documentIdOf(Dashboard));
    expect(JSON.parse(sent[1]!.get('extensions')!)).toMatchObject({ persistedQuery: { sha256Hash: documentIdOf(Dashboard)!.slice('sha256:'.length) } });
  });
});

describe('errors of deferred parts are masked like any other, and logged with the operation', () => {
  let stack: Stack;
  const lines: Record<string, any>[] = [];

  beforeAll(async () => {
    // Assignment 5 comes back malformed (its `results` not a list): the loader fails with a TypeError of ours.
    const fetch: FetchFn = (url, init) =>
      new URL(url).searchParams.get('ids') === '5'
        ? Promise.resolve({ status: 200, headers: { get: () => null }, text: async () => '{"count": 1, "next": null, "previous": null, "results": 7}' })
        : keepAliveFetch(url, init);
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, any>) });
    stack = await startStack({ env: { RESPONSE_CACHE_TTL_MS: '0' }, deps: { fetch, logger } });
  });
  afterAll(() => stack?.close());

  const DEFERRED_FAILURES =
    '{ tags(projectId: 1) { name } ... @defer(label: "broken") { five: assignment(id: 5) { id } } ... @defer(label: "refused") { refused: assignmentAnalytics(days: 0) { from } } }';

  it('an unexpected error is "Unexpected error." with INTERNAL_SERVER_ERROR, a refusal keeps its code; both carry the request id', async () => {
    const response = await stack.gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed', authorization: `Token ${TOKENS.admin}` },
      body: JSON.stringify({ query: DEFERRED_FAILURES }),
    });
    const text = await response.text();
    const parts = multipartParts(text);
    expect(parts[0]!.data!['tags'].length).toBeGreaterThan(0);
    const requestId = parts[0]!.extensions!['requestId'];
    const patches = parts.flatMap((part) => part.incremental ?? []);
    const byLabel = (label: string) => patches.find((patch) => patch.label === label)!;
    expect(byLabel('broken').data).toEqual({ five: null });
    expect(byLabel('broken').errors).toEqual([
      { message: 'Unexpected error.', locations: expect.any(Array), path: ['five'], extensions: { code: 'INTERNAL_SERVER_ERROR', retryable: false, requestId } },
    ]);
    expect(byLabel('refused').errors).toEqual([
      { message: expect.stringMatching(/^days must be between 1 and/), locations: expect.any(Array), path: ['refused'], extensions: { code: 'BAD_USER_INPUT', retryable: false, argument: 'days', requestId } },
    ]);
    // Nothing of the TypeError behind it reaches the client.
    expect(text).not.toMatch(/iterable|TypeError|at .*\.ts/);
    // One line for the operation, written after its last part: every part's codes, every call.
    const logged = lines.filter((line) => line['requestId'] === requestId);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'warn', status: 200, errorCodes: ['INTERNAL_SERVER_ERROR', 'BAD_USER_INPUT'], upstream: { requests: 2 } });
  });

  it('logs a merged answer (a JSON-only client) once, like any whole answer', async () => {
    const { body } = await stack.gql(DEFERRED_FAILURES);
    expect(body.errors?.map((error) => error.extensions?.['code']).sort()).toEqual(['BAD_USER_INPUT', 'INTERNAL_SERVER_ERROR']);
    const logged = lines.filter((line) => line['requestId'] === body.extensions!['requestId']);
    expect(logged).toHaveLength(1);
    expect(logged[0]!['errorCodes'].sort()).toEqual(['BAD_USER_INPUT', 'INTERNAL_SERVER_ERROR']);
  });
});
