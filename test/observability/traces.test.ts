import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentNode } from 'graphql';
import { createClient as createWsClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Dashboard, ReviewAssignments } from '../../examples/frontend/src/operations.ts';
import { CLIENT, clientHeaders, documentIdOf } from '../../examples/frontend/src/trusted-documents.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { kitManifests } from '../helpers/frontend.ts';
import { startGatewayProcess, within } from '../helpers/gateway-process.ts';
import { serveGateway, type HttpGateway } from '../helpers/http-gateway.ts';
import { subscribeSse } from '../helpers/live-clients.ts';
import { startOtlpReceiver, type AttributeValue, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.ts';
import { serve } from '../helpers/serve.ts';
import { SEED_NOW, startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { upstreamGate } from '../helpers/upstream-gate.ts';

const KIND = ['unspecified', 'internal', 'server', 'client'] as const;
const ERROR_STATUS = 2;

/** A caller's own trace: the gateway's span must become its child. */
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const callerTraceparent = (flags: '01' | '00') => `00-${CALLER_TRACE}-${CALLER_SPAN}-${flags}`;

/** A variable value that must never reach a span: it does reach the upstream query. */
const NEEDLE = 'handwritten';
const LIST = /* GraphQL */ `
  query ReviewList($filter: AssignmentFilter) {
    assignments(filter: $filter, first: 20) { nodes { id tags { name } } }
  }
`;

/** The spans of one trace as an indented tree: name (kind, service), children by start time. */
function tree(spans: readonly ReceivedSpan[], traceId: string): string {
  const inTrace = spans.filter((span) => span.traceId === traceId);
  const ids = new Set(inTrace.map((span) => span.spanId));
  const lines: string[] = [];
  const walk = (span: ReceivedSpan, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${span.name} (${KIND[span.kind]}, ${String(span.resource['service.name'])})`);
    const children = inTrace.filter((child) => child.parentSpanId === span.spanId).sort((a, b) => Number(a.startNanos - b.startNanos));
    for (const child of children) walk(child, depth + 1);
  };
  for (const root of inTrace.filter((span) => !ids.has(span.parentSpanId))) walk(root, 0);
  return lines.join('\n');
}

/** Every text a span carries that a collector would store: attribute, event and resource values. */
function textsOf(span: ReceivedSpan): string[] {
  const flat = (value: AttributeValue): string[] => (Array.isArray(value) ? value.flatMap(flat) : [String(value)]);
  return [
    span.name,
    span.status.message,
    ...[span.attributes, span.resource, ...span.events.map((event) => event.attributes)].flatMap((attributes) => Object.values(attributes).flatMap(flat)),
    ...span.events.map((event) => event.name),
  ];
}

function expectNothingSecret(spans: readonly ReceivedSpan[], secrets: readonly string[]): void {
  expect(spans.length).toBeGreaterThan(0);
  const leaks = spans.flatMap((span) => textsOf(span).filter((text) => secrets.some((secret) => text.includes(secret))).map((text) => `${span.name}: ${text}`));
  expect(leaks).toEqual([]);
}

const named = (spans: readonly ReceivedSpan[], name: string, kind: (typeof KIND)[number]) =>
  spans.filter((span) => span.name === name && KIND[span.kind] === kind);

/** A trace of the gateway's own: its operation's span has no parent. */
const operationSpan = (receiver: OtlpReceiver, requestId: string) => receiver.spans.find((span) => span.attributes['synapse.request_id'] === requestId);

describe('traces over OTLP/HTTP protobuf: a list query with tags, continued from the caller and into the backend', () => {
  let receiver: OtlpReceiver;
  let stack: Stack;
  const lines: Record<string, unknown>[] = [];
  const gate = upstreamGate((url) => url.pathname.endsWith('/projects/2/tags/'));

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }, { traceIds: true });
    stack = await startStack({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_SERVICE_NAME: 'synapse-gateway' },
      deps: { logger, fetch: gate.fetch },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  it('makes one server span per operation, a client span per upstream call, and the backend joins with spans of its own', async () => {
    const response = await stack.gql(LIST, { filter: { project: 1, search: NEEDLE } }, {
      headers: { traceparent: callerTraceparent('01'), 'graphql-client-name': 'review-app', 'graphql-client-version': `1.4.0-${'x'.repeat(300)}` },
    });
    expect(response.body.errors).toBeUndefined();
    const nodes = response.body.data!['assignments'].nodes as { tags: unknown[] }[];
    expect(nodes.some((node) => node.tags.length > 0), 'a row with tags, so the tags are read').toBe(true);
    await receiver.waitFor('the five spans of the list query', (spans) => spans.filter((span) => span.traceId === CALLER_TRACE).length >= 5);

    expect(tree(receiver.spans, CALLER_TRACE)).toBe(
      [
        'query (server, synapse-gateway)',
        '  GET /sdk/assignments/ (client, synapse-gateway)',
        '    GET /sdk/assignments/ (server, synapse-dev-backend)',
        '  GET /projects/:id/tags/ (client, synapse-gateway)',
        '    GET /projects/:id/tags/ (server, synapse-dev-backend)',
      ].join('\n'),
    );
    const [operation] = named(receiver.spans, 'query', 'server');
    expect(operation!.parentSpanId, "the caller's span is the parent").toBe(CALLER_SPAN);
    expect(operation!.attributes).toMatchObject({
      'graphql.operation.type': 'query',
      'graphql.operation.name': 'ReviewList',
      'graphql.document.hash': `sha256:${createHash('sha256').update(LIST).digest('hex')}`,
      'graphql.client.name': 'review-app',
      'graphql.client.version': `1.4.0-${'x'.repeat(122)}`,
      'http.request.method': 'POST',
      'http.response.status_code': 200,
      'synapse.outcome': 'ok',
      'synapse.request_id': response.body.extensions!['requestId'],
      'synapse.upstream.requests': 2,
    });
    expect(operation!.attributes['synapse.error_codes']).toBeUndefined();

    const calls = receiver.spans.filter((span) => span.parentSpanId === operation!.spanId);
    expect(calls.map((call) => [call.name, KIND[call.kind], call.attributes['http.response.status_code']])).toEqual([
      ['GET /sdk/assignments/', 'client', 200],
      ['GET /projects/:id/tags/', 'client', 200],
    ]);
    const list = calls[0]!;
    expect(list.attributes['url.template']).toBe('/sdk/assignments/');
    // The page asked is the gateway's; the caller's filter values are not shipped.
    expect(String(list.attributes['url.full'])).toMatch(/\/sdk\/assignments\/\?project=REDACTED&search=REDACTED&ordering=id&page=1&page_size=20$/);
    expect(list.attributes['http.request.resend_count']).toBeUndefined();

    // The backend received the trace context of each call's own span, and its spans continue it.
    const received = stack.upstreamCalls().map((call) => call.traceparent);
    expect(received).toEqual(calls.map((call) => `00-${CALLER_TRACE}-${call.spanId}-01`));
    for (const call of calls) {
      const [backendSpan] = receiver.spans.filter((span) => span.parentSpanId === call.spanId);
      expect(backendSpan!.resource['service.name']).toBe('synapse-dev-backend');
      expect(backendSpan!.attributes['http.route']).toBe(call.attributes['url.template']);
    }
    expect(operation!.resource['service.name']).toBe('synapse-gateway');
    expect(receiver.exports.every((exported) => exported.contentType === 'application/x-protobuf')).toBe(true);

    // The operation's log line carries the ids of its span.
    const line = lines.find((entry) => entry['requestId'] === response.body.extensions!['requestId']);
    expect(line).toMatchObject({ msg: 'graphql operation', trace_id: CALLER_TRACE, span_id: operation!.spanId });
    expectNothingSecret(receiver.spans, [TOKENS.admin, NEEDLE, LIST.trim(), 'nodes { id']);
  });

  it('writes lines outside any span as before: no trace fields, and nothing of one line in the next', () => {
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }, { traceIds: true });
    logger.info({ port: 4000 }, 'outside a span');
    logger.info('outside again');
    const [first, second] = lines.slice(-2);
    expect(first).toMatchObject({ msg: 'outside a span', port: 4000 });
    expect(second!['msg']).toBe('outside again');
    expect([first, second].filter((line) => 'trace_id' in line! || 'span_id' in line!)).toEqual([]);
    expect(second).not.toHaveProperty('port');
  });

  it("starts a trace of its own without a caller's traceparent; a refused operation is a span with its code and no call", async () => {
    stack.backend.resetRequests();
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: assignment(id: ${i + 1}) { id }`).join(' ');
    const refusals = [
      { response: await stack.gql(`query Greedy { ${aliases} }`), name: 'Greedy', code: 'DOCUMENT_LIMIT_EXCEEDED', status: 400 },
      { response: await stack.gql('query Anonymous { assignment(id: 1) { id } }', undefined, { token: null }), name: 'Anonymous', code: 'UNAUTHENTICATED', status: 401 },
    ];
    for (const { response, name, code, status } of refusals) {
      expect(response.body.errors?.[0]?.extensions?.['code']).toBe(code);
      const requestId = response.body.extensions!['requestId'] as string;
      await receiver.waitFor(`the refused ${name}`, () => operationSpan(receiver, requestId) !== undefined);
      const span = operationSpan(receiver, requestId)!;
      expect(span.parentSpanId).toBe('');
      expect(span.traceId).not.toBe(CALLER_TRACE);
      expect(span.name).toBe('query');
      expect(span.attributes).toMatchObject({
        'graphql.operation.name': name,
        'synapse.outcome': 'refused',
        'synapse.error_codes': [code],
        'http.response.status_code': status,
        'synapse.upstream.requests': 0,
      });
      // A refusal is the caller's business: the span's status stays unset.
      expect(span.status.code).toBe(0);
      expect(receiver.spans.filter((other) => other.traceId === span.traceId)).toHaveLength(1);
    }
    expect(stack.upstreamCalls()).toEqual([]);
  });

  it('keeps the span of an answer in parts open until its last part: the deferred call is its child too', async () => {
    const traceparent = `00-${'12'.repeat(16)}-${'34'.repeat(8)}-01`;
    // The deferred call is held until the first part has been read: it ends after the response began.
    gate.close();
    const response = await stack.gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed', authorization: `Token ${TOKENS.admin}`, traceparent },
      body: JSON.stringify({ query: 'query Parts { assignment(id: 1) { id } ... @defer { tags(projectId: 2) { name } } }' }),
    });
    expect(response.headers.get('content-type')).toMatch(/^multipart\/mixed/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (let chunks = 0; !text.includes('"hasNext":true') && chunks < 1_000; chunks++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toContain('"assignment":{"id":"1"}');
    await gate.holding(1);
    gate.open();
    for (let chunks = 0; chunks < 1_000; chunks++) if ((await reader.read()).done) break;
    await receiver.waitFor('the operation in parts', (spans) => named(spans, 'query', 'server').some((span) => span.traceId === '12'.repeat(16)));
    await receiver.waitFor('its backend spans', (spans) => spans.filter((span) => span.traceId === '12'.repeat(16)).length >= 5);
    const [operation] = named(receiver.spans, 'query', 'server').filter((span) => span.traceId === '12'.repeat(16));
    expect(operation!.attributes).toMatchObject({ 'graphql.operation.name': 'Parts', 'synapse.outcome': 'ok', 'synapse.upstream.requests': 2 });
    // Both calls, the deferred one included, are children of the operation's span (they run concurrently).
    const calls = receiver.spans.filter((span) => span.parentSpanId === operation!.spanId);
    expect(calls.map((call) => `${call.name} (${KIND[call.kind]})`).sort()).toEqual(['GET /projects/:id/tags/ (client)', 'GET /sdk/assignments/ (client)']);
    for (const call of calls) expect(receiver.spans.filter((span) => span.parentSpanId === call.spanId).map((span) => span.resource['service.name'])).toEqual(['synapse-dev-backend']);
    // The operation's span ends with its last part, after every call it made.
    expect(calls.every((call) => call.endNanos <= operation!.endNanos)).toBe(true);
  });

  it("keeps the caller's decision not to sample: nothing exported, but the backend still gets the trace id", async () => {
    stack.backend.resetRequests();
    const exported = receiver.spans.length;
    const traceparent = `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-00`;
    const response = await stack.gql('{ assignment(id: 1) { id } }', undefined, { headers: { traceparent } });
    expect(response.body.errors).toBeUndefined();
    const [call] = stack.upstreamCalls();
    expect(call!.traceparent).toMatch(new RegExp(`^00-${'ab'.repeat(16)}-[0-9a-f]{16}-00$`));
    // A sampled operation after it is exported: so the one before it was not held back, but dropped.
    const next = await stack.gql('{ assignment(id: 2) { id } }');
    await receiver.waitFor('the next operation', () => operationSpan(receiver, next.body.extensions!['requestId'] as string) !== undefined);
    expect(receiver.spans.slice(exported).filter((span) => span.traceId === 'ab'.repeat(16))).toEqual([]);
  });
});

describe('traces over OTLP/HTTP JSON: retries, the retry budget and the circuit breaker as events', () => {
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver?.close());

  const env = (more: Record<string, string>) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '20',
    SYNAPSE_RETRY_BASE_MS: '1',
    SYNAPSE_RETRY_MAX_MS: '2',
    RESPONSE_CACHE_TTL_MS: '0',
    ...more,
  });

  it('gives every attempt of a retried call its span (with its resend count) and each retry an event on the operation', async () => {
    const stack = await startStack({ env: env({}) });
    try {
      // The dev backend's fail knob: every answer a 503, so the call is tried 1 + SYNAPSE_RETRIES (3) times.
      stack.backend.setFaults({ failRate: 1 });
      const response = await stack.gql('query One { assignment(id: 7) { id } }');
      expect(response.body.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
      const requestId = response.body.extensions!['requestId'] as string;
      await receiver.waitFor('the failed operation', () => operationSpan(receiver, requestId) !== undefined);
      const operation = operationSpan(receiver, requestId)!;
      await receiver.waitFor('its backend spans', (spans) => spans.filter((span) => span.traceId === operation.traceId).length >= 9);

      const attempts = receiver.spans.filter((span) => span.parentSpanId === operation.spanId);
      expect(attempts.map((span) => [span.name, span.attributes['http.response.status_code'], span.attributes['http.request.resend_count'] ?? 0])).toEqual([
        ['GET /sdk/assignments/', 503, 0],
        ['GET /sdk/assignments/', 503, 1],
        ['GET /sdk/assignments/', 503, 2],
        ['GET /sdk/assignments/', 503, 3],
      ]);
      expect(attempts.every((span) => span.status.code === ERROR_STATUS && span.attributes['error.type'] === '503')).toBe(true);
      expect(operation.events.map((event) => [event.name, event.attributes['synapse.upstream.attempt'], event.attributes['http.response.status_code']])).toEqual([
        ['upstream.retry', 0, 503],
        ['upstream.retry', 1, 503],
        ['upstream.retry', 2, 503],
      ]);
      expect(operation.events.every((event) => event.attributes['url.template'] === '/sdk/assignments/')).toBe(true);
      expect(operation.status.code).toBe(ERROR_STATUS);
      expect(operation.attributes).toMatchObject({
        'synapse.outcome': 'failed',
        'synapse.error_codes': ['UPSTREAM_UNAVAILABLE'],
        'error.type': 'UPSTREAM_UNAVAILABLE',
        'synapse.upstream.retries': 3,
      });
      // Every attempt carried the trace context of its own span.
      expect(stack.upstreamCalls().map((call) => call.traceparent)).toEqual(attempts.map((span) => `00-${operation.traceId}-${span.spanId}-01`));
      expect(receiver.exports.every((exported) => exported.contentType === 'application/json')).toBe(true);
      expectNothingSecret(receiver.spans, [TOKENS.admin]);
    } finally {
      await stack.close();
    }
  });

  it('records a retry the budget refused, and a call the open breaker refused (no client span: nothing was sent)', async () => {
    const stack = await startStack({
      env: env({
        SYNAPSE_RETRY_BUDGET_RATIO: '0',
        SYNAPSE_RETRY_BUDGET_MIN_PER_SECOND: '0',
        BREAKER_MIN_REQUESTS: '2',
        BREAKER_RESET_MS: '600000',
      }),
    });
    try {
      stack.backend.setFaults({ failRate: 1 });
      const first = await stack.gql('query One { assignment(id: 7) { id } }');
      await stack.gql('query One { assignment(id: 8) { id } }');
      // Two failures of two calls: the breaker is open, the third operation sends nothing.
      stack.backend.resetRequests();
      const third = await stack.gql('query One { assignment(id: 9) { id } }');
      expect(third.body.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
      expect(stack.upstreamCalls()).toEqual([]);
      const ids = [first, third].map((response) => response.body.extensions!['requestId'] as string);
      await receiver.waitFor('both operations', () => ids.every((id) => operationSpan(receiver, id) !== undefined));
      const [refusedRetry, refusedCall] = ids.map((id) => operationSpan(receiver, id)!);
      expect(refusedRetry!.events.map((event) => event.name)).toEqual(['upstream.retry_budget_refused']);
      expect(refusedCall!.events.map((event) => [event.name, event.attributes['url.template']])).toEqual([['upstream.circuit_open', '/sdk/assignments/']]);
      expect(receiver.spans.filter((span) => span.parentSpanId === refusedCall!.spanId)).toEqual([]);
    } finally {
      await stack.close();
    }
  });
});

describe('a collector that does not answer', () => {
  it('costs no request anything: operations answer, one warning says exports fail, never with the export headers', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }, { traceIds: true });
    // Nothing listens on port 9 of loopback (discard): every export is refused.
    const stack = await startStack({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=collector-secret-4711', OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_EXPORTER_OTLP_TIMEOUT: '200' },
      deps: { logger },
    });
    try {
      for (const id of [1, 2, 3]) {
        const response = await stack.gql(`{ assignment(id: ${id}) { id } }`);
        expect(response.body.errors).toBeUndefined();
      }
      const failed = () => lines.filter((line) => line['msg'] === 'trace export failed: spans are dropped until the collector answers');
      for (let waited = 0; failed().length === 0 && waited < 200; waited++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(failed()).toHaveLength(1);
      expect(failed()[0]).toMatchObject({ level: 'warn', component: 'traces' });
      expect(JSON.stringify(lines)).not.toContain('collector-secret-4711');
    } finally {
      await stack.close();
    }
  });
});

describe("traces and log lines of the starter kit's documents, sent by id to a gateway enforcing its manifest", () => {
  let receiver: OtlpReceiver;
  let manifests: ReturnType<typeof kitManifests>;
  let stack: Stack;
  let gateway: HttpGateway;
  const lines: Record<string, any>[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    manifests = kitManifests('kit');
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, any>) }, { traceIds: true });
    stack = await startStack({
      env: { ...manifests.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '20', RESPONSE_CACHE_TTL_MS: '0' },
      deps: { logger },
    });
    gateway = await serveGateway(stack);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
    await manifests?.close();
    await receiver?.close();
  });

  /** The text the kit's manifest holds for a document: what its id stands for. */
  const manifestText = (document: DocumentNode): string => {
    const manifest = JSON.parse(readFileSync(join(manifests.dir, CLIENT.name, `${CLIENT.version}.json`), 'utf8')) as Record<string, string>;
    return manifest[documentIdOf(document)!]!;
  };
  const textHash = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

  /** Sends a document of the kit by its id over HTTP, as its clients do, in the caller's trace. */
  const byId = (document: DocumentNode, variables: Record<string, unknown>, accept: string, traceId: string) =>
    fetch(gateway.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept,
        authorization: `Token ${TOKENS.admin}`,
        traceparent: `00-${traceId}-${CALLER_SPAN}-01`,
        ...clientHeaders,
      },
      body: JSON.stringify({ documentId: documentIdOf(document), variables }),
    });

  it('traces reviewAssignments with a client span per v2 review write, named by route shape, each continued by the backend', async () => {
    const traceId = '5a'.repeat(16);
    stack.backend.resetRequests();
    const input = { assignmentIds: ['11', '12', '13'], verdict: 'REJECT', comment: 'Blurry: the plate is unreadable.' };
    const response = await byId(ReviewAssignments, { input }, 'application/graphql-response+json', traceId);
    const body = (await response.json()) as { data: { reviewAssignments: { results: { status: string }[]; userErrors: unknown[] } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data.reviewAssignments.userErrors).toEqual([]);
    expect(body.data.reviewAssignments.results.map((result) => result.status)).toEqual(['CREATED', 'CREATED', 'CREATED']);
    const posted = stack.upstreamCalls('/v2/reviews/').filter((call) => call.method === 'POST');
    expect(posted).toHaveLength(3);
    // Every upstream call (v1 and v2) is a client span with a backend span under it.
    const calls = stack.upstreamCalls().length;
    await receiver.waitFor('the mutation, its calls and their backend spans', (spans) => spans.filter((span) => span.traceId === traceId).length >= 1 + 2 * calls);

    const [operation] = named(receiver.spans, 'mutation', 'server').filter((span) => span.traceId === traceId);
    expect(operation!.parentSpanId).toBe(CALLER_SPAN);
    expect(operation!.attributes).toMatchObject({
      'graphql.operation.name': 'ReviewAssignments',
      // Sent by id, hashed as if its text had been sent: the manifest's text for that id.
      'graphql.document.hash': textHash(manifestText(ReviewAssignments)),
      'graphql.client.name': CLIENT.name,
      'synapse.outcome': 'ok',
      'synapse.upstream.requests': calls,
    });
    const clientSpans = receiver.spans.filter((span) => span.traceId === traceId && KIND[span.kind] === 'client');
    expect(clientSpans.every((span) => span.parentSpanId === operation!.spanId)).toBe(true);
    // Route shapes only: no id of an assignment, a review or a project in any span's name.
    expect(clientSpans.map((span) => span.name).filter((name) => /\/\d+\//.test(name))).toEqual([]);
    const reviewWrites = clientSpans.filter((span) => span.name === 'POST /v2/reviews/');
    expect(reviewWrites).toHaveLength(3);
    for (const span of reviewWrites) {
      expect(span.attributes).toMatchObject({ 'url.template': '/v2/reviews/', 'http.request.method': 'POST', 'http.response.status_code': 201 });
      const [backendSpan] = receiver.spans.filter((child) => child.parentSpanId === span.spanId);
      expect([backendSpan!.name, KIND[backendSpan!.kind], backendSpan!.resource['service.name']]).toEqual(['POST /v2/reviews/', 'server', 'synapse-dev-backend']);
    }
    // The paging v2 is asked with is the gateway's own (shown); the assignment a caller names is not.
    const reads = clientSpans.filter((span) => span.name === 'GET /v2/reviews/').map((span) => String(span.attributes['url.full']));
    expect(reads.length).toBeGreaterThan(0);
    for (const url of reads) expect(url).toMatch(/\/v2\/reviews\/\?(?:assignment=REDACTED&)?(?:sort=-created&)?per_page=\d+/);
    // Each review write carried the trace context of its own span.
    expect(posted.map((call) => call.traceparent).sort()).toEqual(reviewWrites.map((span) => `00-${traceId}-${span.spanId}-01`).sort());
    expectNothingSecret(receiver.spans.filter((span) => span.traceId === traceId), [TOKENS.admin, input.comment]);
  });

  it("writes the log line of a deferred query once its last part is sent, with the client's name and the trace's ids", async () => {
    const traceId = '6b'.repeat(16);
    const variables = { filter: { project: '2' }, days: 14, asOf: SEED_NOW.toISOString(), timeZone: 'Europe/Paris' };
    const response = await byId(Dashboard, variables, 'multipart/mixed', traceId);
    expect(response.headers.get('content-type')).toMatch(/^multipart\/mixed/);
    const text = await response.text();
    const parts = text.split(/\r\n---/).map((chunk) => chunk.slice(chunk.indexOf('\r\n\r\n') + 4).trim()).filter((json) => json.startsWith('{'));
    expect(parts.length, 'an answer in parts').toBeGreaterThanOrEqual(2);
    const first = JSON.parse(parts[0]!) as { extensions: { requestId: string } };
    const last = JSON.parse(parts.at(-1)!) as { hasNext: boolean; extensions: { upstream: { requests: number } } };
    expect(last.hasNext).toBe(false);
    const requestId = first.extensions.requestId;
    await receiver.waitFor('the deferred query', () => operationSpan(receiver, requestId) !== undefined);
    const operation = operationSpan(receiver, requestId)!;

    const logged = lines.filter((line) => line['requestId'] === requestId);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      msg: 'graphql operation',
      operationName: 'Dashboard',
      client: { name: CLIENT.name, version: CLIENT.version },
      trace_id: traceId,
      span_id: operation.spanId,
      // Written after the last part: the deferred pass's calls are counted.
      upstream: { requests: last.extensions.upstream.requests },
    });
    expect(last.extensions.upstream.requests).toBeGreaterThan(2);
    expect(operation.attributes).toMatchObject({ 'graphql.client.name': CLIENT.name, 'synapse.upstream.requests': last.extensions.upstream.requests });
    expect(operation.attributes['graphql.document.hash']).toBe(textHash(manifestText(Dashboard)));
  });

  it('gives a document the same hash sent by its id as sent as its text', async () => {
    const text = manifestText(Dashboard);
    const variables = { filter: { project: '2' }, days: 14, asOf: SEED_NOW.toISOString(), timeZone: 'Europe/Paris' };
    const sent = [
      { documentId: documentIdOf(Dashboard), variables },
      { query: text, variables },
    ];
    const requestIds: string[] = [];
    for (const body of sent) {
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Token ${TOKENS.admin}`, ...clientHeaders },
        body: JSON.stringify(body),
      });
      const answer = (await response.json()) as { errors?: unknown; extensions: { requestId: string } };
      expect(answer.errors).toBeUndefined();
      requestIds.push(answer.extensions.requestId);
    }
    await receiver.waitFor('both operations', () => requestIds.every((id) => operationSpan(receiver, id) !== undefined));
    const [byId, byText] = requestIds.map((id) => operationSpan(receiver, id)!.attributes['graphql.document.hash']);
    expect(byText).toBe(textHash(text));
    expect(byId).toBe(byText);
  });
});

describe('traces of live updates and of WebSocket operations', () => {
  let receiver: OtlpReceiver;
  let stack: Stack;
  let server: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // No interval poll within the test: only the write's own poll runs.
    stack = await startStack({ assignments: 80, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '20', SUBSCRIPTION_POLL_MS: '600000' } });
    server = await serve(stack.gateway);
  });
  afterAll(async () => {
    await server?.close();
    await stack?.close();
    await receiver?.close();
  });

  it('traces the subscription over SSE, and each poll as a trace of its own with its upstream read', async () => {
    const subscription = subscribeSse(server.url, TOKENS.admin, { project: 1 });
    try {
      await stack.gql('mutation { setAssignmentTags(input: { assignmentIds: ["1"], tagNames: ["escalated"], mode: ADD }) { writeCalls } }');
      await subscription.until((events) => events.length > 0, 10_000, 'the tagged assignment');
    } finally {
      await subscription.close();
    }
    await receiver.waitFor('a poll and the subscription', (spans) => named(spans, 'assignmentUpdated poll', 'internal').length > 0 && named(spans, 'subscription', 'server').length > 0);
    const [poll] = named(receiver.spans, 'assignmentUpdated poll', 'internal');
    expect(poll!.parentSpanId).toBe('');
    await receiver.waitFor("the poll's backend span", (spans) => spans.filter((span) => span.traceId === poll!.traceId).length >= 3);
    expect(tree(receiver.spans, poll!.traceId)).toBe(
      ['assignmentUpdated poll (internal, synapse-gateway)', '  GET /sdk/assignments/ (client, synapse-gateway)', '    GET /sdk/assignments/ (server, synapse-dev-backend)'].join('\n'),
    );
    const [subscriptionSpan] = named(receiver.spans, 'subscription', 'server');
    expect(subscriptionSpan!.attributes['graphql.operation.name']).toBe('Watch');
    expect(subscriptionSpan!.traceId).not.toBe(poll!.traceId);
  });

  it("traces an operation over WebSocket, continuing the traceparent of the client's connection parameters", async () => {
    const client = createWsClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Token ${TOKENS.admin}`, traceparent: callerTraceparent('01') },
      retryAttempts: 0,
    });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        client.subscribe({ query: 'query OverSocket { assignment(id: 3) { id } }' }, { next: resolve, error: reject, complete: () => {} });
      });
      expect(result).toMatchObject({ data: { assignment: { id: '3' } } });
    } finally {
      await client.dispose();
    }
    await receiver.waitFor('the WebSocket operation', (spans) => spans.filter((span) => span.traceId === CALLER_TRACE).length >= 3);
    expect(tree(receiver.spans, CALLER_TRACE)).toBe(
      ['query (server, synapse-gateway)', '  GET /sdk/assignments/ (client, synapse-gateway)', '    GET /sdk/assignments/ (server, synapse-dev-backend)'].join('\n'),
    );
    const [operation] = named(receiver.spans, 'query', 'server').filter((span) => span.traceId === CALLER_TRACE);
    expect(operation!.parentSpanId).toBe(CALLER_SPAN);
    expect(operation!.attributes).toMatchObject({ 'graphql.operation.name': 'OverSocket', 'synapse.outcome': 'ok' });
    expect(operation!.attributes['http.response.status_code']).toBeUndefined();
  });
});

describe('traces from the process `npm start` runs (the bundle, with its embedded backend)', () => {
  it('exports the spans of both services, its log lines carry their ids, and what is queued is sent at SIGTERM', async () => {
    const receiver = await startOtlpReceiver();
    // The default batch delay (5 s): the spans reach the receiver because shutdown flushes them.
    const server = startGatewayProcess(process.execPath, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    try {
      const url = await within(server.url, 60_000, 'the gateway listening');
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Token ${TOKENS.admin}`, traceparent: callerTraceparent('01') },
        body: JSON.stringify({ query: 'query FromProcess { assignment(id: 2) { id } }' }),
      });
      expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
      server.child.kill('SIGTERM');
      expect(await within(server.exited, 30_000, 'the gateway exiting')).toBe(0);
      await receiver.waitFor('the operation and both services', (spans) => spans.filter((span) => span.traceId === CALLER_TRACE).length >= 3);
      expect(tree(receiver.spans, CALLER_TRACE)).toBe(
        ['query (server, synapse-gateway)', '  GET /sdk/assignments/ (client, synapse-gateway)', '    GET /sdk/assignments/ (server, synapse-dev-backend)'].join('\n'),
      );
      const [operation] = named(receiver.spans, 'query', 'server');
      const line = server.logs.find((entry) => entry['msg'] === 'graphql operation');
      expect(line).toMatchObject({ operationName: 'FromProcess', trace_id: CALLER_TRACE, span_id: operation!.spanId });
      // Lines outside an operation have no trace fields.
      expect(server.logs.find((entry) => entry['msg'] === 'GraphQL gateway listening')).not.toHaveProperty('trace_id');
    } finally {
      server.kill();
      await receiver.close();
    }
  });
});

describe('traces off (no OTLP endpoint)', () => {
  it('makes no span and forwards no traceparent, whatever the caller sent', async () => {
    const stack = await startStack();
    try {
      const response = await stack.gql('{ assignment(id: 1) { id } }', undefined, { headers: { traceparent: callerTraceparent('01') } });
      expect(response.body.errors).toBeUndefined();
      expect(stack.config.tracing.endpoint).toBeUndefined();
      expect(stack.upstreamCalls().map((call) => call.traceparent)).toEqual([null]);
    } finally {
      await stack.close();
    }
  });
});
