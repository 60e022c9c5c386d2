import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { capturedLogger } from '../reliability/helpers.ts';
import { metricValue } from '../helpers/metrics.ts';
import { serve } from '../helpers/serve.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { subscribeSse, subscribeWs, wsClient } from '../helpers/live-clients.ts';
import { apolloManifest, codes, manifestFolder, presetManifest, send, sha256 } from './helpers.ts';

const ONE = 'query One($id: ID!) { assignment(id: $id) { id status tags { name } } }';
const TWO = 'query Two { tags(projectId: 1) { id name } }';
const TAG = 'mutation Tag { setAssignmentTags(input: { assignmentIds: ["1"], tagNames: ["urgent"], mode: ADD }) { writeCalls } }';
const LEGACY = 'query Legacy { assignment(id: 2) { id } }';
const ARBITRARY = '{ assignments(first: 3) { nodes { id } } }';
const INTROSPECTION = '{ __schema { queryType { name } } }';
const SECRET = 'an-operators-secret-of-at-least-32-characters';
const WEB_14 = { 'graphql-client-name': 'web', 'graphql-client-version': '1.4.0' };
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** Four manifests: two builds of `web` (client preset), `mobile` (Apollo's format), `legacy` (sha1 ids). */
function manifests(): string {
  return manifestFolder({
    'web/1.4.0.json': presetManifest(ONE, TAG),
    'web/1.5.0.json': presetManifest(ONE, TAG, TWO),
    'mobile.json': apolloManifest(TWO),
    'legacy.json': { [sha1(LEGACY)]: LEGACY },
  });
}

interface Served {
  stack: Stack;
  url: string;
  wsUrl: string;
  logs: ReturnType<typeof capturedLogger>;
  close(): Promise<void>;
}

async function gateway(dir: string, env: Record<string, string>): Promise<Served> {
  const logs = capturedLogger('info');
  const stack = await startStack({
    assignments: 40,
    env: { TRUSTED_DOCUMENTS_DIR: dir, TRUSTED_DOCUMENTS_BYPASS_TOKEN: SECRET, RESPONSE_CACHE_TTL_MS: '0', ...env },
    deps: { logger: logs.logger },
  });
  const server = await serve(stack.gateway);
  return {
    stack,
    url: server.url,
    wsUrl: server.wsUrl,
    logs,
    async close() {
      await server.close();
      await stack.close();
    },
  };
}

const metrics = async (served: Served) => (await served.stack.gateway.fetch('http://gateway.test/metrics')).text();

describe('TRUSTED_DOCUMENTS=enforce: only documents of the manifests run', () => {
  let dir: string;
  let enforce: Served;
  let expected: Record<string, unknown>;

  beforeAll(async () => {
    dir = manifests();
    enforce = await gateway(dir, { TRUSTED_DOCUMENTS: 'enforce' });
    // What the document answers when run as text (with the operator's bypass): the oracle for every id form.
    const full = await send(enforce.url, { body: { query: ONE, variables: { id: '1' } }, headers: { 'x-trusted-documents-bypass': SECRET } });
    expected = full.body.data!;
    expect(expected).toMatchObject({ assignment: { id: '1' } });
  });
  afterAll(async () => {
    await enforce?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => enforce.stack.backend.resetRequests());

  it('answers every id form: documentId (sha256: and bare hex), ?documentId= on GET, Apollo\'s extension on POST and GET', async () => {
    const id = sha256(ONE);
    const variables = { id: '1' };
    const extension = { persistedQuery: { version: 1, sha256Hash: id } };
    const answers = await Promise.all([
      send(enforce.url, { body: { documentId: `sha256:${id}`, variables } }),
      send(enforce.url, { body: { documentId: id, variables } }),
      send(enforce.url, { get: { documentId: `sha256:${id}`, variables: JSON.stringify(variables) } }),
      send(enforce.url, { body: { extensions: extension, variables } }),
      send(enforce.url, { get: { extensions: JSON.stringify(extension), variables: JSON.stringify(variables) } }),
      send(enforce.url, { body: { documentId: `sha256:${id}`, variables }, headers: WEB_14 }),
    ]);
    for (const answer of answers) expect({ status: answer.status, data: answer.body.data, errors: answer.body.errors }).toEqual({ status: 200, data: expected, errors: undefined });
    expect(enforce.stack.upstreamCalls().length).toBeGreaterThan(0);
  });

  it("answers a sha1 id of the client preset's former default, and the full text of a manifest's document", async () => {
    const legacy = await send(enforce.url, { body: { documentId: sha1(LEGACY) } });
    expect(legacy.body).toMatchObject({ data: { assignment: { id: '2' } } });
    const text = await send(enforce.url, { body: { query: ONE, variables: { id: '1' } } });
    expect(text.body.data).toEqual(expected);
    // The id and the same document together are one document: it runs.
    const both = await send(enforce.url, { body: { documentId: `sha256:${sha256(ONE)}`, query: ONE, variables: { id: '1' } } });
    expect(both.body.data).toEqual(expected);
  });

  it('refuses an arbitrary document with PERSISTED_QUERY_NOT_IN_LIST and an unknown id with PERSISTED_QUERY_NOT_FOUND, before any upstream call', async () => {
    const arbitrary = await send(enforce.url, { body: { query: ARBITRARY }, headers: WEB_14 });
    const unknown = await send(enforce.url, { body: { documentId: `sha256:${sha256(ARBITRARY)}` }, headers: { 'graphql-client-name': 'web', 'graphql-client-version': '9.9.9' } });
    const unknownGet = await send(enforce.url, { get: { documentId: `sha256:${'0'.repeat(64)}` } });
    expect([arbitrary, unknown, unknownGet].map(codes)).toEqual([['PERSISTED_QUERY_NOT_IN_LIST'], ['PERSISTED_QUERY_NOT_FOUND'], ['PERSISTED_QUERY_NOT_FOUND']]);
    expect(enforce.stack.upstreamCalls()).toEqual([]);
    // A one-error GraphQL answer: 400 for application/graphql-response+json, the request id and the build that sent it.
    expect(arbitrary.status).toBe(400);
    expect(arbitrary.body.data).toBeUndefined();
    const error = arbitrary.body.errors![0]!;
    expect(error.extensions).toEqual({
      code: 'PERSISTED_QUERY_NOT_IN_LIST',
      retryable: false,
      client: { name: 'web', version: '1.4.0' },
      requestId: arbitrary.headers.get('x-request-id'),
    });
    expect(unknown.body.errors![0]!.extensions).toMatchObject({ client: { name: 'web', version: '9.9.9' }, documentId: `sha256:${sha256(ARBITRARY)}` });
    // With application/json (urql, Apollo send it too), the same refusal with 200, as for validation errors.
    const json = await send(enforce.url, { body: { query: ARBITRARY }, headers: { accept: 'application/json' } });
    expect({ status: json.status, codes: codes(json) }).toEqual({ status: 200, codes: ['PERSISTED_QUERY_NOT_IN_LIST'] });
  });

  it('refuses an id beside a different document (PERSISTED_QUERY_ID_MISMATCH), known id or not', async () => {
    const known = await send(enforce.url, { body: { documentId: `sha256:${sha256(ONE)}`, query: ARBITRARY } });
    const unknown = await send(enforce.url, { body: { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(ONE.replace('One', 'Other')) } }, query: ONE, variables: { id: '1' } } });
    expect([known, unknown].map(codes)).toEqual([['PERSISTED_QUERY_ID_MISMATCH'], ['PERSISTED_QUERY_ID_MISMATCH']]);
    expect(enforce.stack.upstreamCalls()).toEqual([]);
  });

  it("looks up a named client's id in its own manifests: its build's, else all of its builds'", async () => {
    const two = { documentId: `sha256:${sha256(TWO)}` };
    const web14 = await send(enforce.url, { body: two, headers: WEB_14 });
    const web15 = await send(enforce.url, { body: two, headers: { 'graphql-client-name': 'web', 'graphql-client-version': '1.5.0' } });
    const webUnversioned = await send(enforce.url, { body: two, headers: { 'graphql-client-name': 'web' } });
    const mobile = await send(enforce.url, { body: two, headers: { 'graphql-client-name': 'mobile' } });
    const unnamed = await send(enforce.url, { body: two });
    expect(codes(web14)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    for (const answer of [web15, webUnversioned, mobile, unnamed]) expect(answer.body).toMatchObject({ data: { tags: expect.any(Array) } });
    // Legacy's document is not web's.
    expect(codes(await send(enforce.url, { body: { documentId: sha1(LEGACY) }, headers: WEB_14 }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('serves a GET by documentId privately (never to a shared cache), and keeps a mutation by GET a 405', async () => {
    const get = await send(enforce.url, { get: { documentId: `sha256:${sha256(ONE)}`, variables: JSON.stringify({ id: '1' }) } });
    expect(get.status).toBe(200);
    expect(get.headers.get('cache-control')).toBe('private, no-store');
    enforce.stack.backend.resetRequests();
    const mutation = await send(enforce.url, { get: { documentId: `sha256:${sha256(TAG)}` } });
    expect({ status: mutation.status, allow: mutation.headers.get('allow'), codes: codes(mutation) }).toEqual({
      status: 405,
      allow: 'POST',
      codes: ['METHOD_NOT_ALLOWED'],
    });
    expect(enforce.stack.upstreamCalls()).toEqual([]);
    const post = await send(enforce.url, { body: { documentId: `sha256:${sha256(TAG)}` } });
    expect(post.body.data).toEqual({ setAssignmentTags: { writeCalls: 1 } });
  });

  it('runs any document with the right X-Trusted-Documents-Bypass secret, and refuses a wrong one outright', async () => {
    const right = await send(enforce.url, { body: { query: ARBITRARY }, headers: { 'x-trusted-documents-bypass': SECRET } });
    expect(right.body.data).toMatchObject({ assignments: { nodes: [{ id: '1' }, { id: '2' }, { id: '3' }] } });
    enforce.stack.backend.resetRequests();
    for (const wrong of [SECRET.slice(0, -1), `${SECRET}x`, '']) {
      const answer = await send(enforce.url, { body: { documentId: `sha256:${sha256(ONE)}`, variables: { id: '1' } }, headers: { 'x-trusted-documents-bypass': wrong } });
      expect({ status: answer.status, codes: codes(answer) }).toEqual({ status: 403, codes: ['TRUSTED_DOCUMENTS_BYPASS_REFUSED'] });
    }
    expect(enforce.stack.upstreamCalls()).toEqual([]);
  });

  it('keeps GraphiQL (its client name) and introspection working outside production', async () => {
    const introspection = await send(enforce.url, { body: { query: INTROSPECTION } });
    expect(introspection.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const graphiql = await send(enforce.url, { body: { query: ARBITRARY }, headers: { 'graphql-client-name': 'graphiql' } });
    expect(graphiql.body.data).toMatchObject({ assignments: { nodes: expect.any(Array) } });
  });

  it('refuses unlisted subscriptions over SSE and WebSocket alike', async () => {
    const sse = subscribeSse(enforce.url, 'dev-admin-token');
    await sse.until(() => sse.done, 5_000, 'the SSE refusal');
    expect(JSON.stringify(sse.failure ?? sse.events)).toContain('PERSISTED_QUERY_NOT_IN_LIST');
    const client = wsClient(enforce.wsUrl, 'dev-admin-token');
    const ws = subscribeWs(client);
    await ws.until(() => ws.done, 5_000, 'the WebSocket refusal');
    await client.dispose();
    expect(JSON.stringify(ws.failure ?? ws.events)).toContain('PERSISTED_QUERY_NOT_IN_LIST');
    expect(enforce.stack.upstreamCalls()).toEqual([]);
  });

  it('labels operations and refusals by client in the metrics (unknown names as unknown) and in the log line', async () => {
    await send(enforce.url, { body: { documentId: `sha256:${sha256(ONE)}`, variables: { id: '3' } }, headers: WEB_14 });
    await send(enforce.url, { body: { documentId: `sha256:${sha256(ONE)}`, variables: { id: '3' } }, headers: { 'graphql-client-name': 'made-up-name' } });
    const text = await metrics(enforce);
    expect(metricValue(text, 'graphql_envelop_request_duration_count', { operationName: 'One', clientName: 'web', clientVersion: '1.4.0' })).toBeGreaterThan(0);
    expect(metricValue(text, 'graphql_envelop_request_duration_count', { operationName: 'One', clientName: 'unknown' })).toBeGreaterThan(0);
    expect(text).not.toContain('made-up-name');
    expect(metricValue(text, 'synapse_trusted_documents_total', { client: 'web', outcome: 'refused' })).toBeGreaterThan(0);
    expect(metricValue(text, 'synapse_trusted_documents_total', { client: 'web', outcome: 'trusted' })).toBeGreaterThan(0);
    expect(metricValue(text, 'synapse_trusted_documents_total', { client: 'unknown', outcome: 'bypassed' })).toBeGreaterThan(0);
    const lines = enforce.logs.lines().filter((line) => line['msg'] === 'graphql operation' && line['operationName'] === 'One');
    expect(lines.map((line) => line['client'])).toContainEqual({ name: 'web', version: '1.4.0' });
    expect(lines.map((line) => line['client'])).toContainEqual({ name: 'unknown', version: 'unknown' });
  });
});

describe('TRUSTED_DOCUMENTS=log: every document runs, the unknown ones counted and logged once', () => {
  let dir: string;
  let log: Served;

  beforeAll(async () => {
    dir = manifests();
    log = await gateway(dir, {});
  });
  afterAll(async () => {
    await log?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the mode a folder of manifests gives by default', () => {
    expect(log.stack.config.trustedDocuments.mode).toBe('log');
  });

  it('serves ids and runs an unknown document, counting it by client and logging its hash once with the client', async () => {
    const byId = await send(log.url, { body: { documentId: `sha256:${sha256(ONE)}`, variables: { id: '1' } }, headers: WEB_14 });
    expect(byId.body.data).toMatchObject({ assignment: { id: '1' } });
    const before = metricValue(await metrics(log), 'synapse_trusted_documents_total', { client: 'web', outcome: 'unknown' });
    expect(before).toBe(0);
    for (let i = 0; i < 3; i++) {
      const answer = await send(log.url, { body: { query: ARBITRARY }, headers: WEB_14 });
      expect(answer.body).toMatchObject({ data: { assignments: { nodes: [{ id: '1' }, { id: '2' }, { id: '3' }] } } });
    }
    expect(metricValue(await metrics(log), 'synapse_trusted_documents_total', { client: 'web', outcome: 'unknown' })).toBe(3);
    const logged = log.logs.lines().filter((line) => String(line['msg']).startsWith('trusted documents: a document in no manifest ran'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'warn', documentId: `sha256:${sha256(ARBITRARY)}`, client: { name: 'web', version: '1.4.0' }, clientLabel: 'web' });
    // The hash, never the document.
    expect(log.logs.raw()).not.toContain('assignments(first: 3)');
  });

  it('still refuses what has nothing to run: an unknown id alone', async () => {
    const answer = await send(log.url, { body: { documentId: `sha256:${'1'.repeat(64)}` } });
    expect(codes(answer)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('logs what the manifests loaded: files, documents and clients', () => {
    expect(log.logs.lines().find((line) => line['msg'] === 'trusted documents loaded')).toMatchObject({
      reason: 'start',
      files: 4,
      documents: 4,
      clients: ['legacy', 'mobile', 'web'],
    });
  });
});

describe('TRUSTED_DOCUMENTS=enforce in production', () => {
  let dir: string;
  let production: Served;

  beforeAll(async () => {
    dir = manifests();
    production = await gateway(dir, { NODE_ENV: 'production', TRUSTED_DOCUMENTS: 'enforce', INTROSPECTION_ENABLED: 'true', GRAPHIQL_ENABLED: 'true' });
  });
  afterAll(async () => {
    await production?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets GraphiQL and introspection run only with the bypass header', async () => {
    const refused = await Promise.all([
      send(production.url, { body: { query: INTROSPECTION } }),
      send(production.url, { body: { query: ARBITRARY }, headers: { 'graphql-client-name': 'graphiql' } }),
    ]);
    expect(refused.map(codes)).toEqual([['PERSISTED_QUERY_NOT_IN_LIST'], ['PERSISTED_QUERY_NOT_IN_LIST']]);
    const allowed = await send(production.url, { body: { query: INTROSPECTION }, headers: { 'x-trusted-documents-bypass': SECRET } });
    expect(allowed.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});
