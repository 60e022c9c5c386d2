import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment, WireAssignmentV2, WireReview, WireTagV2, WireV2Detail, WireV2Error, WireV2List } from '../../src/contract/index.ts';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import { TOKENS, call, listAll, tagsByName } from './helpers.ts';

const NOW = new Date('2026-11-20T12:00:00.000Z');
const VERDICTS = ['approved', 'needs_review', 'rejected'];

let backend: DevBackend;
let rows: WireAssignment[];

beforeAll(async () => {
  backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 400, now: NOW } });
  rows = await listAll(backend);
});
afterAll(() => backend.close());
beforeEach(() => backend.setFaults({ failReviewsFor: [], ignoreFields: false }));

type Reviews = WireV2List<Partial<WireReview>>;

/** Every review the admin sees, walking `next_cursor` with the given query. */
async function walk(query: string, token: string = TOKENS.admin): Promise<Partial<WireReview>[]> {
  const seen: Partial<WireReview>[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const reply: { status: number; body: Reviews } = await call<Reviews>(backend, `v2/reviews/?${query}${cursor ? `&cursor=${cursor}` : ''}`, { token });
    expect(reply.status).toBe(200);
    seen.push(...reply.body.data);
    cursor = reply.body.meta.pagination!.next_cursor;
    if (cursor === null) return seen;
  }
  throw new Error('the walk did not end');
}

describe('the seeded review history', () => {
  let reviews: WireReview[];
  beforeAll(async () => {
    reviews = (await walk('per_page=200&fields=assignment_id,created,user_id,tags,description')) as WireReview[];
  });

  it('gives every assignment with a verdict tag a newest review carrying that tag and a reason', async () => {
    const tagName = new Map<number, string>();
    for (const project of [1, 2, 3, 4]) for (const tag of (await tagsByName(backend, project)).values()) tagName.set(tag.id, tag.name);
    const byAssignment = new Map<number, WireReview[]>();
    for (const review of reviews) byAssignment.set(review.assignment_id, [...(byAssignment.get(review.assignment_id) ?? []), review]);
    const tagged = rows.filter((row) => row.tags.some((id) => VERDICTS.includes(tagName.get(id)!)));
    expect(tagged.length).toBeGreaterThan(20);
    for (const row of tagged) {
      const verdict = row.tags.map((id) => tagName.get(id)!).find((name) => VERDICTS.includes(name))!;
      const history = byAssignment.get(row.id) ?? [];
      // Newest first: the list's default order.
      const newest = history[0]!;
      expect(newest.tags.map((id) => tagName.get(id)), `assignment ${row.id}`).toContain(verdict);
      expect(newest.description.length).toBeGreaterThan(10);
    }
    // Rows without a verdict tag carry no verdict on a review either.
    for (const review of reviews) {
      const row = rows.find((r) => r.id === review.assignment_id)!;
      for (const id of review.tags) expect(row.tags).toContain(id);
    }
  });

  it('dates every review after the decision it records and before the seed\'s now, by authors other than the assignee', () => {
    for (const review of reviews) {
      const row = rows.find((r) => r.id === review.assignment_id)!;
      expect(review.created >= row.updated_at, `review ${review.id}`).toBe(true);
      expect(review.created < NOW.toISOString().replace('Z', '000Z')).toBe(true);
      expect(review.user_id).not.toBe(row.assignee);
    }
  });

  it('is the same for every backend seeded with the same now', async () => {
    const other = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 400, now: NOW } });
    try {
      const page = await call<Reviews>(other, 'v2/reviews/?per_page=200&fields=user_id,tags,description');
      const ours = await call<Reviews>(backend, 'v2/reviews/?per_page=200&fields=user_id,tags,description');
      expect(page.body.data).toEqual(ours.body.data);
    } finally {
      await other.close();
    }
  });
});

describe('GET v2/reviews/', () => {
  it('answers the envelope: lean items newest first, a request id, opaque cursors, no count', async () => {
    const reply = await call<Reviews>(backend, 'v2/reviews/?per_page=5');
    expect(reply.status).toBe(200);
    expect(reply.body.meta.request_id).toMatch(/^req_[0-9a-f]+$/);
    expect(reply.body.meta.pagination).toMatchObject({ per_page: 5, previous_cursor: null });
    expect(reply.body.meta.pagination!.next_cursor).toEqual(expect.any(String));
    expect(Object.keys(reply.body.data[0]!).sort()).toEqual(['assignment_id', 'created', 'id', 'is_active', 'scope']);
    const created = reply.body.data.map((review) => review.created!);
    expect(created).toEqual([...created].sort().reverse());
    expect(reply.body).not.toHaveProperty('count');
  });

  it('pages 50 by default and caps per_page at 200 silently; a bad per_page is the default', async () => {
    const count = (await walk('per_page=200')).length;
    expect(count).toBeGreaterThan(50);
    for (const [query, expected] of [['', 50], ['per_page=500', 200], ['per_page=abc', 50], ['per_page=0', 50]] as const) {
      const reply = await call<Reviews>(backend, `v2/reviews/?${query}`);
      expect(reply.body.meta.pagination!.per_page, query).toBe(expected);
      expect(reply.body.data.length, query).toBe(Math.min(expected, count));
    }
  });

  it('walks forward and back with the cursors, each review once, whatever the page size', async () => {
    const all = (await walk('per_page=200')).map((review) => review.id);
    const bySeven = (await walk('per_page=7')).map((review) => review.id);
    expect(bySeven).toEqual(all);
    const second = await call<Reviews>(backend, `v2/reviews/?per_page=7&cursor=${(await call<Reviews>(backend, 'v2/reviews/?per_page=7')).body.meta.pagination!.next_cursor}`);
    const back = await call<Reviews>(backend, `v2/reviews/?per_page=7&cursor=${second.body.meta.pagination!.previous_cursor}`);
    expect(back.body.data.map((review) => review.id)).toEqual(all.slice(0, 7));
    expect(back.body.meta.pagination!.previous_cursor).toBeNull();
  });

  it('filters by assignment and scope, selects fields, and refuses a foreign cursor', async () => {
    const [first] = (await walk('per_page=1')) as WireReview[];
    const one = await call<Reviews>(backend, `v2/reviews/?assignment=${first!.assignment_id}&fields=description,user_id`);
    expect(one.body.data.every((review) => review.assignment_id === undefined && typeof review.description === 'string')).toBe(true);
    expect((await call<Reviews>(backend, 'v2/reviews/?scope=project')).body.data).toEqual([]);
    const bad = await call<WireV2Error>(backend, 'v2/reviews/?cursor=bm9wZQ');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({ code: 'VALIDATION_ERROR', message: 'Invalid cursor', details: [{ field: 'cursor', message: 'Invalid cursor' }] });
  });

  it('ignores fields when told to, as a server built from the spec would', async () => {
    backend.setFaults({ ignoreFields: true });
    const reply = await call<Reviews>(backend, 'v2/reviews/?per_page=1&fields=description');
    expect(reply.body.data[0]).not.toHaveProperty('description');
  });

  it('shows members and viewers the reviews of their projects only, and refuses an unknown or foreign assignment', async () => {
    const bobs = await walk('per_page=200', TOKENS.bob);
    const project3 = new Set(rows.filter((row) => row.project === 3).map((row) => row.id));
    expect(bobs.length).toBeGreaterThan(0);
    expect(bobs.every((review) => project3.has(review.assignment_id!))).toBe(true);
    expect((await call(backend, 'v2/reviews/?assignment=1', { token: TOKENS.bob })).status).toBe(403);
    expect((await call(backend, 'v2/reviews/?assignment=1', { token: TOKENS.viewer })).status).toBe(200);
    expect((await call<WireV2Error>(backend, 'v2/reviews/?assignment=99999')).body.error.code).toBe('VALIDATION_ERROR');
  });
});

describe('POST v2/reviews/', () => {
  const target = () => rows.find((row) => row.project === 1 && row.status === 'completed')!;

  it("creates a review by the caller, answers 201 with the detail, and moves the assignment's updated_at", async () => {
    const before = backend.store.getAssignment(target().id)!;
    const reply = await call<WireV2Detail<WireReview>>(backend, 'v2/reviews/', {
      method: 'POST',
      token: TOKENS.alice,
      body: { assignment: target().id, description: '  Boxes too loose.  ', tags: [3], object_id: 'box-7', position: { x: 1 } },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.data).toMatchObject({ assignment_id: target().id, user_id: 2, scope: 'assignment', is_active: true, tags: [3], object_id: 'box-7', description: 'Boxes too loose.', position: { x: 1 } });
    expect(backend.store.getAssignment(target().id)!.updated_at > before.updated_at).toBe(true);
    const read = await call<WireV2Detail<WireReview>>(backend, `v2/reviews/${reply.body.data.id}/`);
    expect(read.body.data).toEqual(reply.body.data);
    const listed = await call<Reviews>(backend, `v2/reviews/?assignment=${target().id}&per_page=1`);
    expect(listed.body.data[0]!.id).toBe(reply.body.data.id);
  });

  it('with ?dry_run=true, validates and writes nothing', async () => {
    const count = (await walk('per_page=200')).length;
    const reply = await call<WireV2Detail<unknown>>(backend, 'v2/reviews/?dry_run=true', { method: 'POST', body: { assignment: target().id, description: 'x' } });
    expect(reply.status).toBe(200);
    expect(reply.body.data).toEqual({ dry_run: true, action: 'create', validated_fields: ['assignment', 'description'] });
    expect((await walk('per_page=200')).length).toBe(count);
  });

  it('refuses a bad body with field details, a viewer or stranger with 403, and writes nothing', async () => {
    const count = (await walk('per_page=200')).length;
    const bad = await call<WireV2Error>(backend, 'v2/reviews/', { method: 'POST', body: { assignment: 'x', scope: 'nope', object_id: 'x'.repeat(31), tags: [14] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details!.map((d) => d.field).sort()).toEqual(['assignment', 'object_id', 'scope']);
    const foreignTag = await call<WireV2Error>(backend, 'v2/reviews/', { method: 'POST', body: { assignment: target().id, tags: [14] } });
    expect(foreignTag.body.error.details).toEqual([{ field: 'tags', message: 'Invalid pk "14" - object does not exist in project 1.' }]);
    for (const token of [TOKENS.viewer, TOKENS.bob]) {
      const refused = await call<WireV2Error>(backend, 'v2/reviews/', { method: 'POST', token, body: { assignment: target().id } });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('PERMISSION_DENIED');
    }
    expect((await walk('per_page=200')).length).toBe(count);
  });

  it('fails for the assignments the faults name, with 500 INTERNAL_ERROR, and writes nothing for them', async () => {
    backend.setFaults({ failReviewsFor: [target().id] });
    const count = (await walk('per_page=200')).length;
    const failed = await call<WireV2Error>(backend, 'v2/reviews/', { method: 'POST', body: { assignment: target().id } });
    expect(failed.status).toBe(500);
    expect(failed.body.error.code).toBe('INTERNAL_ERROR');
    const other = rows.find((row) => row.project === 2)!;
    expect((await call(backend, 'v2/reviews/', { method: 'POST', body: { assignment: other.id } })).status).toBe(201);
    expect((await walk('per_page=200')).length).toBe(count + 1);
  });

  it('takes the bare token in SYNAPSE-ACCESS-TOKEN, as the v2 clients send it', async () => {
    const reply = await call(backend, 'v2/reviews/?per_page=1', { token: null, headers: { 'SYNAPSE-ACCESS-TOKEN': TOKENS.viewer } });
    expect(reply.status).toBe(200);
  });
});

describe('GET v2/assignments/{id}/', () => {
  it('derives status_review, confirmed and the reviewer from the verdict tags and the reviews', async () => {
    const tagName = new Map([...(await tagsByName(backend, 1)).values()].map((tag) => [tag.id, tag.name]));
    const statuses = new Set<string>();
    for (const row of rows.filter((r) => r.project === 1)) {
      const reply = await call<WireV2Detail<WireAssignmentV2>>(backend, `v2/assignments/${row.id}/`);
      const detail = reply.body.data;
      const names = row.tags.map((id) => tagName.get(id));
      statuses.add(detail.status_review);
      expect(detail).toMatchObject({ id: row.id, user_id: row.assignee, task_id: 1, tags: row.tags, created: row.created_at });
      expect(detail.is_confirmed).toBe(names.includes('approved'));
      if (names.includes('approved') && row.status !== 'rejected') expect(detail.status_review).toBe('completed');
      if (row.status === 'rejected') expect(detail.status_review).toBe('rejected');
      if (names.includes('approved')) expect(detail.reviewer_id).not.toBeNull();
    }
    expect(statuses).toEqual(new Set(['stand_by', 'in_progress', 'completed', 'rejected', 'skipped']));
    expect((await call(backend, 'v2/assignments/1/', { token: TOKENS.bob })).status).toBe(403);
    expect((await call<WireV2Error>(backend, 'v2/assignments/99999/')).body.error.code).toBe('NOT_FOUND');
  });
});

describe('v2 project tags', () => {
  it('lists them with their category, and pages by cursor', async () => {
    const first = await call<WireV2List<WireTagV2>>(backend, 'v2/projects/2/tags/?per_page=10');
    expect(first.body.data[0]).toEqual({ id: 14, project_id: 2, name: 'approved', category: 'project', description: 'Passed quality control', meta: {} });
    const rest = await call<WireV2List<WireTagV2>>(backend, `v2/projects/2/tags/?per_page=10&cursor=${first.body.meta.pagination!.next_cursor}`);
    expect([...first.body.data, ...rest.body.data].map((tag) => tag.id)).toEqual(Array.from({ length: 13 }, (_, i) => 14 + i));
    expect(rest.body.meta.pagination!.next_cursor).toBeNull();
  });

  it('creates a tag (v1 lists it too), refuses a duplicate with 409, bad names with 400, a viewer with 403', async () => {
    const created = await call<WireV2Detail<WireTagV2>>(backend, 'v2/projects/2/tags/', {
      method: 'POST',
      token: TOKENS.alice,
      body: { name: ' second_look ', category: 'export', description: 'Look again', meta: { by: 'lead' } },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ project_id: 2, name: 'second_look', category: 'export', meta: { by: 'lead' } });
    expect((await tagsByName(backend, 2)).get('second_look')).toMatchObject({ id: created.body.data.id, description: 'Look again' });

    const duplicate = await call<WireV2Error>(backend, 'v2/projects/2/tags/', { method: 'POST', body: { name: 'second_look', category: 'project' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error).toEqual({
      code: 'CONFLICT',
      message: 'A tag named "second_look" already exists in project 2.',
      details: [{ field: 'name', message: 'A tag named "second_look" already exists in project 2.' }],
    });
    for (const name of ['', '   ', 'x'.repeat(101)]) {
      const bad = await call<WireV2Error>(backend, 'v2/projects/2/tags/', { method: 'POST', body: { name, category: 'project' } });
      expect(bad.status, JSON.stringify(name)).toBe(400);
      expect(bad.body.error.details![0]!.field).toBe('name');
    }
    expect((await call(backend, 'v2/projects/2/tags/', { method: 'POST', body: { name: 'x' } })).status).toBe(400);
    expect((await call(backend, 'v2/projects/2/tags/', { method: 'POST', token: TOKENS.viewer, body: { name: 'y', category: 'project' } })).status).toBe(403);
    expect((await call(backend, 'v2/projects/2/tags/?dry_run=true', { method: 'POST', body: { name: 'z', category: 'project' } })).status).toBe(200);
    expect((await tagsByName(backend, 2)).has('z')).toBe(false);
  });

  it('deletes a tag with 204: off every assignment and review that had it, updated_at moved', async () => {
    const tag = (await tagsByName(backend, 3)).get('high_priority')!;
    const carrying = rows.filter((row) => row.tags.includes(tag.id));
    expect(carrying.length).toBeGreaterThan(0);
    const tagged = await call<WireV2Detail<WireReview>>(backend, 'v2/reviews/', { method: 'POST', body: { assignment: carrying[0]!.id, tags: [tag.id] } });
    expect(tagged.body.data.tags).toEqual([tag.id]);
    expect((await call(backend, `v2/projects/3/tags/${tag.id}/`, { method: 'DELETE', token: TOKENS.viewer })).status).toBe(403);
    expect((await call(backend, `v2/projects/3/tags/${tag.id}/?dry_run=true`, { method: 'DELETE' })).status).toBe(200);
    expect((await tagsByName(backend, 3)).has('high_priority')).toBe(true);
    const reply = await call(backend, `v2/projects/3/tags/${tag.id}/`, { method: 'DELETE', token: TOKENS.bob });
    expect(reply.status).toBe(204);
    expect(reply.body).toBeUndefined();
    expect((await tagsByName(backend, 3)).has('high_priority')).toBe(false);
    for (const row of carrying) {
      const after = backend.store.getAssignment(row.id)!;
      expect(after.tags).not.toContain(tag.id);
      expect(after.updated_at > row.updated_at).toBe(true);
    }
    const review = await call<WireV2Detail<WireReview>>(backend, `v2/reviews/${tagged.body.data.id}/`);
    expect(review.body.data.tags).toEqual([]);
    expect((await call(backend, `v2/projects/3/tags/${tag.id}/`)).status).toBe(404);
    // A tag of another project is not found under this one.
    expect((await call(backend, 'v2/projects/3/tags/1/')).status).toBe(404);
  });
});

describe('a backend without v2 (DEV_BACKEND_V2=false)', () => {
  it('answers every v2 route 404 with the v1 body, and v1 as before', async () => {
    const old = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 20, now: NOW }, v2: false });
    try {
      for (const path of ['v2/reviews/', 'v2/assignments/1/', 'v2/projects/1/tags/']) {
        const reply = await call(old, path);
        expect(reply.status, path).toBe(404);
        expect(reply.body).toEqual({ detail: 'Not found.' });
      }
      expect((await call(old, 'assignments/1/')).status).toBe(200);
    } finally {
      await old.close();
    }
  });
});
