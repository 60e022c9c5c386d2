import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { V2Config } from '../../src/config.ts';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import { UpstreamError } from '../../src/upstream/errors.ts';
import { V2Support, readV2Detail, readV2List } from '../../src/upstream/v2.ts';
import { startCraftedServer, type CraftedServer } from '../helpers/crafted-server.ts';
import { SEED_NOW, TOKENS } from '../helpers/stack.ts';
import { rejectionOf, testClient } from '../helpers/synapse-test-client.ts';

const v2 = (mode: V2Config['mode'], auth: V2Config['auth'] = 'authorization'): { v2: V2Config } => ({ v2: { mode, recheckMs: 60_000, auth } });

let backend: DevBackend;
let absent: DevBackend;
let crafted: CraftedServer;

beforeAll(async () => {
  [backend, absent, crafted] = await Promise.all([
    createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 200, now: SEED_NOW } }),
    createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 20, now: SEED_NOW }, v2: false }),
    startCraftedServer(),
  ]);
});
afterAll(() => Promise.all([backend.close(), absent.close(), crafted.close()]));
beforeEach(() => {
  backend.resetRequests();
  absent.resetRequests();
  crafted.reset();
});

describe('v2 calls against the embedded backend', () => {
  it("reads an assignment's reviews newest first, page by page through the opaque cursor", async () => {
    const client = testClient(backend.url, { config: v2('true') });
    const all = await client.listReviews(18, { perPage: 200, fields: ['description', 'user_id', 'tags'] });
    const one = await client.listReviews(18, { perPage: 1 });
    expect(one.items).toHaveLength(Math.min(1, all.items.length));
    expect(Object.keys(one.items[0] ?? { id: 0, assignment_id: 0, scope: 0, is_active: 0, created: 0 }).sort()).toEqual(['assignment_id', 'created', 'id', 'is_active', 'scope']);
    expect(all.items.every((review) => typeof review.description === 'string')).toBe(true);
    expect(backend.requests.at(-1)!.query).toEqual({ assignment: '18', sort: '-created', per_page: '1' });
  });

  it('creates and reads a review, counting the write, and reads the v2 assignment detail', async () => {
    const client = testClient(backend.url, { config: v2('true'), credentials: { token: TOKENS.alice } });
    const created = await client.createReview({ assignment: 1, description: 'Why: too loose', tags: [3] });
    expect(created).toMatchObject({ assignment_id: 1, user_id: 2, description: 'Why: too loose', tags: [3] });
    expect(await client.getReview(created.id)).toEqual(created);
    expect(client.stats.writes).toBe(1);
    expect(await client.getAssignmentV2(1)).toMatchObject({ id: 1, reviewer_id: 2 });
  });

  it('creates and deletes a project tag; a duplicate is BAD_USER_INPUT with its field, its v2 code and request id', async () => {
    const client = testClient(backend.url, { config: v2('true') });
    const tag = await client.createProjectTag(2, { name: 'keep', category: 'project' });
    const duplicate = (await rejectionOf(client.createProjectTag(2, { name: 'keep', category: 'project' }))) as UpstreamError;
    expect(duplicate).toMatchObject({ code: 'BAD_USER_INPUT', status: 409, upstreamCode: 'CONFLICT', upstreamRequestId: expect.stringMatching(/^req_/) });
    expect(duplicate.fieldErrors).toEqual([{ field: 'name', message: 'A tag named "keep" already exists in project 2.' }]);
    await client.deleteProjectTag(2, tag.id);
    expect(backend.requests.at(-1)).toMatchObject({ method: 'DELETE', status: 204 });
  });
});

describe('whether the backend serves v2', () => {
  it('auto, absent: the first reviews list learns it from its own 404, and nothing more is sent while remembered', async () => {
    const support = new V2Support({ mode: 'auto', recheckMs: 60_000 });
    const client = testClient(absent.url, { config: v2('auto'), v2: support });
    const error = (await rejectionOf(client.listReviews(1, { perPage: 10 }))) as UpstreamError;
    expect(error.code).toBe('UPSTREAM_FEATURE_UNAVAILABLE');
    expect(error.message).toMatch(/does not serve Synapse's v2 HITL API.*v2\/reviews\//);
    expect(error.retryable).toBe(false);
    expect(support.state).toBe('absent');
    const other = testClient(absent.url, { config: v2('auto'), v2: support });
    expect(((await rejectionOf(other.getAssignmentV2(1))) as UpstreamError).code).toBe('UPSTREAM_FEATURE_UNAVAILABLE');
    expect(absent.requests.map((r) => r.path)).toEqual(['/v2/reviews/']);
  });

  it('auto, unknown: a detail read asks v2/reviews/ first (its own 404 could be a missing row), once per operation', async () => {
    const client = testClient(backend.url, { config: v2('auto') });
    await Promise.all([client.getAssignmentV2(1), client.getAssignmentV2(2), client.getReview(1)]);
    const paths = backend.requests.map((r) => `${r.path}?${new URLSearchParams(r.query)}`);
    expect(paths[0]).toBe('/v2/reviews/?per_page=1');
    expect(paths.slice(1).sort()).toEqual(['/v2/assignments/1/?', '/v2/assignments/2/?', '/v2/reviews/1/?']);
    const missing = (await rejectionOf(client.getAssignmentV2(99_999))) as UpstreamError;
    expect(missing.code).toBe('NOT_FOUND');
  });

  it('auto: asks again once the answer is older than the recheck time', async () => {
    let now = 0;
    const support = new V2Support({ mode: 'auto', recheckMs: 1000 }, () => now);
    support.learn(false);
    expect(support.state).toBe('absent');
    now = 999;
    expect(support.state).toBe('absent');
    now = 1000;
    expect(support.state).toBe('unknown');
    const client = testClient(backend.url, { config: v2('auto'), v2: support });
    await client.ensureV2();
    expect(support.state).toBe('present');
  });

  it('auto: a 401 or 403 on v2/reviews/ says v2 is there, whether the probe or the list itself got it', async () => {
    for (const [status, code] of [[401, 'UNAUTHENTICATED'], [403, 'FORBIDDEN']] as const) {
      crafted.reset({ status });
      const probed = new V2Support({ mode: 'auto', recheckMs: 60_000 });
      await testClient(crafted.url, { config: v2('auto'), v2: probed }).ensureV2();
      expect(probed.state).toBe('present');
      const listed = new V2Support({ mode: 'auto', recheckMs: 60_000 });
      expect(await rejectionOf(testClient(crafted.url, { config: v2('auto'), v2: listed }).listReviews(1, { perPage: 1 }))).toMatchObject({ code });
      expect(listed.state).toBe('present');
      expect(crafted.requests.map((r) => new URL(r.url, crafted.url).pathname)).toEqual(['/v2/reviews/', '/v2/reviews/']);
    }
  });

  it('false: never calls v2; true: never asks, and a 404 on the reviews list still says what is missing', async () => {
    const off = testClient(backend.url, { config: v2('false') });
    const error = (await rejectionOf(off.listReviews(1, { perPage: 1 }))) as UpstreamError;
    expect(error.message).toMatch(/SYNAPSE_API_V2=false/);
    expect(backend.requests).toEqual([]);
    const on = testClient(absent.url, { config: v2('true') });
    expect(((await rejectionOf(on.listReviews(1, { perPage: 1 }))) as UpstreamError).code).toBe('UPSTREAM_FEATURE_UNAVAILABLE');
    expect(((await rejectionOf(on.getAssignmentV2(1))) as UpstreamError).code).toBe('NOT_FOUND');
  });
});

describe('the shapes and headers the contract leaves open', () => {
  it("reads the spec's DRF cursor page and bare detail as well as the runtime's envelope", async () => {
    const item = { id: 9, assignment_id: 1, scope: 'assignment', is_active: true, created: '2026-01-01T00:00:00Z' };
    crafted.script(
      { status: 200, body: { next: `${crafted.url}v2/reviews/?assignment=1&cursor=abc%3D`, previous: null, results: [item] } },
      { status: 200, body: { id: 1, user_id: 5, task_id: 1, reviewer_id: null, status_label: 'stand_by', status_review: 'stand_by', is_confirmed: false, is_discarded: false, data: { x: 1 }, tags: [], created: 'x' } },
    );
    const client = testClient(crafted.url, { config: v2('true') });
    expect(await client.listReviews(1, { perPage: 5, cursor: 'prev' })).toEqual({ items: [item], nextCursor: 'abc=' });
    expect(await client.getAssignmentV2(1)).toMatchObject({ id: 1, data: { x: 1 } });
    expect(new URL(crafted.requests[0]!.url, crafted.url).searchParams.get('cursor')).toBe('prev');
    expect(readV2List({ data: [item], meta: { pagination: { next_cursor: null, previous_cursor: null, per_page: 5 } } })).toEqual({ items: [item], nextCursor: null });
    expect(readV2Detail({ data: { id: 1 }, meta: { request_id: 'req_1' } })).toEqual({ id: 1 });
  });

  it('maps v2 error bodies onto the same codes, keeping field details and meta.request_id', async () => {
    const body = (code: string, details: unknown = null) => ({ error: { code, message: 'no', details }, meta: { request_id: 'req_abc' } });
    crafted.script(
      { status: 400, body: body('VALIDATION_ERROR', [{ field: 'name', message: 'too long' }]) },
      { status: 403, body: body('PERMISSION_DENIED') },
      { status: 404 },
    );
    const client = testClient(crafted.url, { config: v2('true') });
    const invalid = (await rejectionOf(client.createProjectTag(1, { name: 'x', category: 'project' }))) as UpstreamError;
    expect(invalid).toMatchObject({ code: 'BAD_USER_INPUT', upstreamRequestId: 'req_abc', fieldErrors: [{ field: 'name', message: 'too long' }] });
    expect(await rejectionOf(client.getReview(1))).toMatchObject({ code: 'FORBIDDEN', upstreamRequestId: 'req_abc' });
    expect(await rejectionOf(client.getReview(1))).toMatchObject({ code: 'NOT_FOUND', upstreamRequestId: undefined });
  });

  it('sends the credentials in the configured v2 form, and v1 calls in the SDK form', async () => {
    crafted.fallback = { status: 200, body: { data: [], meta: {} } };
    const credentials = { token: 'syn_abc', tenant: 'Token acme' };
    await testClient(crafted.url, { config: v2('true'), credentials }).listReviews(1, { perPage: 1 });
    const accessToken = testClient(crafted.url, { config: v2('true', 'access-token'), credentials });
    await accessToken.listReviews(1, { perPage: 1 });
    await accessToken.getAssignment(7);
    const [byAuthorization, byAccessToken, v1] = crafted.requests.map((r) => r.headers);
    expect(byAuthorization).toMatchObject({ authorization: 'Token syn_abc', 'synapse-tenant': 'acme' });
    expect(byAccessToken!['synapse-access-token']).toBe('syn_abc');
    expect(byAccessToken!['authorization']).toBeUndefined();
    expect(byAccessToken!['synapse-tenant']).toBeUndefined();
    expect(v1).toMatchObject({ authorization: 'Token syn_abc', 'synapse-tenant': 'Token acme' });
  });
});
