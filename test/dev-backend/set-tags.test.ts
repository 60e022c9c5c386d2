import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import type { WireAssignment, WireSetTagsResult, WireTag } from '../../src/contract/index.ts';
import { TOKENS, call, listAll, tagsByName } from './helpers.ts';

let backend: DevBackend;
let all: WireAssignment[];
let project1Tags: Map<string, WireTag>;
let project2Tags: Map<string, WireTag>;

beforeAll(async () => {
  backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 2000 } });
  all = await listAll(backend);
  project1Tags = await tagsByName(backend, 1);
  project2Tags = await tagsByName(backend, 2);
});

afterAll(async () => {
  await backend.close();
});

const tag = (name: string, project = 1) => (project === 1 ? project1Tags : project2Tags).get(name)!.id;

/** Distinct assignments of a project for each test, so tests don't see each other's writes. */
let cursor = 0;
function take(project: number, count: number, where: (a: WireAssignment) => boolean = () => true): WireAssignment[] {
  const picked = all.filter((a) => a.project === project && a.id > cursor && where(a)).slice(0, count);
  expect(picked).toHaveLength(count);
  cursor = Math.max(...picked.map((a) => a.id));
  return picked;
}

const current = (id: number) => backend.store.getAssignment(id)!;

function setTags(body: unknown, query = '', token: string | null = TOKENS.admin) {
  return call<WireSetTagsResult>(backend, `assignments/set_tags/${query}`, { method: 'POST', body, token });
}

/** Runs `attempt` and asserts it left every listed assignment exactly as it was. */
async function expectUnchanged(assignmentIds: readonly number[], attempt: () => Promise<unknown>): Promise<void> {
  const before = assignmentIds.map(current);
  const notificationsBefore = backend.store.listNotifications().length;
  await attempt();
  expect(assignmentIds.map(current)).toEqual(before);
  expect(backend.store.listNotifications()).toHaveLength(notificationsBefore);
}

describe('semantics', () => {
  it('adds tags to the ones each assignment has (default), bumping updated_at', async () => {
    const [a, b] = take(1, 2);
    const reply = await setTags({ assignment_ids: [b!.id, a!.id], tag_ids: [tag('urgent'), tag('approved')] });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      updated: 2,
      assignment_ids: [a!.id, b!.id],
      tag_ids: [tag('approved'), tag('urgent')].sort((x, y) => x - y),
      action: 'add',
      notified: 0,
    });
    for (const before of [a!, b!]) {
      const after = current(before.id);
      expect(after.tags).toEqual([...new Set([...before.tags, tag('approved'), tag('urgent')])].sort((x, y) => x - y));
      expect(after.updated_at > before.updated_at).toBe(true);
      expect(after.updated_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    }
  });

  it('replaces tags with replace=true', async () => {
    const [a, b] = take(1, 2);
    await setTags({ assignment_ids: [a!.id, b!.id], tag_ids: [tag('urgent')] });
    const reply = await setTags({ assignment_ids: [a!.id, b!.id], tag_ids: [tag('archived'), tag('approved')] }, '?replace=true');
    expect(reply.status).toBe(200);
    expect(reply.body.action).toBe('replace');
    expect(current(a!.id).tags).toEqual([tag('approved'), tag('archived')]);
    expect(current(b!.id).tags).toEqual([tag('approved'), tag('archived')]);
  });

  it('adds with replace=false, and with the newer form action=add', async () => {
    const [a] = take(1, 1);
    await setTags({ assignment_ids: [a!.id], tag_ids: [tag('urgent')] }, '?replace=true');
    await setTags({ assignment_ids: [a!.id], tag_ids: [tag('escalated')] }, '?replace=false');
    const reply = await setTags({ ids: [a!.id], tags: [tag('archived')], action: 'add' });
    expect(reply.body.action).toBe('add');
    expect(current(a!.id).tags).toEqual([tag('urgent'), tag('escalated'), tag('archived')]);
  });

  it('removes tags with the newer form, leaving the others', async () => {
    const [a, b] = take(1, 2);
    await setTags({ assignment_ids: [a!.id, b!.id], tag_ids: [tag('urgent'), tag('escalated')] }, '?replace=true');
    await setTags({ assignment_ids: [b!.id], tag_ids: [tag('archived')] });
    const before = current(a!.id);
    const reply = await setTags({ ids: [a!.id, b!.id], tags: [tag('escalated'), tag('archived')], action: 'remove' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ updated: 2, action: 'remove', notified: 0 });
    expect(current(a!.id).tags).toEqual([tag('urgent')]);
    expect(current(b!.id).tags).toEqual([tag('urgent')]);
    expect(current(a!.id).updated_at >= before.updated_at).toBe(true);
  });

  it('tags assignments across projects with an admin token when tags match each project', async () => {
    const [a] = take(1, 1);
    const [b] = take(2, 1);
    const first = await setTags({ assignment_ids: [a!.id], tag_ids: [tag('needs_review', 1)] });
    const second = await setTags({ assignment_ids: [b!.id], tag_ids: [tag('needs_review', 2)] });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(tag('needs_review', 1)).not.toBe(tag('needs_review', 2));
  });

  it('lets a member tag in their project', async () => {
    const [a] = take(2, 1);
    const reply = await setTags({ assignment_ids: [a!.id], tag_ids: [tag('approved', 2)] }, '', TOKENS.alice);
    expect(reply.status).toBe(200);
    expect(current(a!.id).tags).toContain(tag('approved', 2));
  });
});

describe('notify', () => {
  it('records one notification per distinct assignee, readable over HTTP and from the store', async () => {
    const [first, second] = take(1, 2, (a) => a.assignee !== null);
    const sameAsFirst = take(1, 1, (a) => a.assignee === first!.assignee)[0]!;
    const unassigned = take(1, 1, (a) => a.assignee === null)[0]!;
    const distinct = new Set([first!.assignee, second!.assignee, sameAsFirst.assignee]);
    const listed = [first!, second!, sameAsFirst, unassigned];
    const before = backend.store.listNotifications().length;

    const reply = await setTags(
      { assignment_ids: listed.map((a) => a.id), tag_ids: [tag('high_performer')] },
      '?notify=true',
    );
    expect(reply.status).toBe(200);
    expect(reply.body.notified).toBe(distinct.size);

    const stored = backend.store.listNotifications().slice(before);
    expect(stored).toHaveLength(distinct.size);
    for (const notification of stored) {
      expect(notification).toMatchObject({ tag_ids: [tag('high_performer')], action: 'add' });
      const expectedIds = listed.filter((a) => a.assignee === notification.user).map((a) => a.id).sort((x, y) => x - y);
      expect(notification.assignment_ids).toEqual(expectedIds);
      expect(notification.created_at).toBe(current(first!.id).updated_at);
    }
    expect(new Set(stored.map((n) => n.user))).toEqual(distinct);

    const overHttp = await call<{ results: unknown[] }>(backend, '_dev/notifications/');
    expect(overHttp.status).toBe(200);
    expect(overHttp.body.results).toEqual(backend.store.listNotifications());
  });

  it('honours notify with the newer form and records its action', async () => {
    const [a] = take(1, 1, (x) => x.assignee !== null);
    const reply = await setTags({ ids: [a!.id], tags: [tag('urgent')], action: 'remove' }, '?notify=true');
    expect(reply.body.notified).toBe(1);
    expect(backend.store.listNotifications().at(-1)).toMatchObject({ user: a!.assignee, action: 'remove' });
  });

  it('records nothing without notify=true', async () => {
    const before = backend.store.listNotifications().length;
    const [a] = take(1, 1, (x) => x.assignee !== null);
    await setTags({ assignment_ids: [a!.id], tag_ids: [tag('urgent')] }, '?notify=false');
    expect(backend.store.listNotifications()).toHaveLength(before);
  });

  it('shows notifications to admins only', async () => {
    for (const token of [TOKENS.alice, TOKENS.viewer]) {
      const reply = await call(backend, '_dev/notifications/', { token });
      expect(reply.status).toBe(403);
    }
  });
});

describe('validation (400)', () => {
  const valid = () => ({ assignment_ids: [all[0]!.id], tag_ids: [tag('urgent')] });

  it.each([
    ['invalid JSON', '{"assignment_ids": [1', { detail: expect.stringMatching(/^JSON parse error - /) }],
    ['a JSON array', '[1, 2]', { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
  ])('rejects %s', async (_, body, errors) => {
    const reply = await setTags(body);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(errors);
  });

  it.each([
    [{}, { assignment_ids: ['This field is required.'], tag_ids: ['This field is required.'] }],
    [{ assignment_ids: [], tag_ids: [1] }, { assignment_ids: ['This list may not be empty.'] }],
    [{ assignment_ids: [1], tag_ids: [] }, { tag_ids: ['This list may not be empty.'] }],
    [{ assignment_ids: ['1'], tag_ids: [1] }, { assignment_ids: ['A valid integer is required.'] }],
    [{ assignment_ids: [1.5], tag_ids: [true] }, { assignment_ids: ['A valid integer is required.'], tag_ids: ['A valid integer is required.'] }],
    [{ assignment_ids: 1, tag_ids: null }, { assignment_ids: ['Expected a list of items but got type "int".'], tag_ids: ['This field may not be null.'] }],
    [{ ids: [1], tags: [1] }, { action: ['This field is required.'] }],
    [{ ids: [1], tags: [1], action: 'replace' }, { action: ['"replace" is not a valid choice.'] }],
    [{ ids: [], tags: [1], action: 'add' }, { ids: ['This list may not be empty.'] }],
  ])('rejects %j', async (body, errors) => {
    const reply = await setTags(body);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(errors);
  });

  it('rejects bad replace and notify values', async () => {
    const reply = await setTags(valid(), '?replace=maybe&notify=2');
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ replace: ['Must be a valid boolean.'], notify: ['Must be a valid boolean.'] });
  });

  it('rejects unknown tag ids, naming each', async () => {
    const [a] = take(1, 1);
    await expectUnchanged([a!.id], async () => {
      const reply = await setTags({ assignment_ids: [a!.id], tag_ids: [tag('urgent'), 99_999, 88_888] });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({
        tag_ids: ['Invalid pk "88888" - object does not exist.', 'Invalid pk "99999" - object does not exist.'],
      });
    });
  });

  it('rejects a tag of another project, under the field of the form used', async () => {
    const [a] = take(1, 1);
    const [b] = take(2, 1);
    await expectUnchanged([a!.id, b!.id], async () => {
      const reply = await setTags({ assignment_ids: [a!.id, b!.id], tag_ids: [tag('urgent', 1)] });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({
        tag_ids: [`Tag ${tag('urgent', 1)} does not belong to project 2 of assignment ${b!.id}.`],
      });
      const newer = await setTags({ ids: [a!.id], tags: [tag('urgent', 2)], action: 'remove' });
      expect(newer.body).toEqual({
        tags: [`Tag ${tag('urgent', 2)} does not belong to project 1 of assignment ${a!.id}.`],
      });
    });
  });
});

describe('existence, permission and check order', () => {
  it('answers 404 naming the unknown assignments, and changes nothing', async () => {
    const [a, b] = take(1, 2);
    await expectUnchanged([a!.id, b!.id], async () => {
      const reply = await setTags({ assignment_ids: [a!.id, 999_999, b!.id, 888_888], tag_ids: [tag('urgent')] }, '?replace=true&notify=true');
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({ detail: 'Assignment(s) not found: 888888, 999999' });
    });
  });

  it("answers 403 to a member tagging another project's assignment, and to a viewer", async () => {
    const [a] = take(1, 1);
    const [c] = take(3, 1);
    await expectUnchanged([a!.id, c!.id], async () => {
      for (const [token, body] of [
        [TOKENS.bob, { assignment_ids: [a!.id], tag_ids: [tag('urgent')] }],
        [TOKENS.viewer, { assignment_ids: [a!.id], tag_ids: [tag('urgent')] }],
        [TOKENS.alice, { assignment_ids: [a!.id, c!.id], tag_ids: [tag('urgent')] }],
      ] as const) {
        const reply = await setTags(body, '', token);
        expect(reply.status).toBe(403);
        expect(reply.body).toEqual({ detail: 'You do not have permission to perform this action.' });
      }
    });
  });

  it('checks 401, then the body, then existence, then permission, then tags', async () => {
    const [a] = take(1, 1);
    await expectUnchanged([a!.id], async () => {
      expect((await setTags({}, '', null)).status).toBe(401);
      expect((await setTags({ assignment_ids: [999_999], tag_ids: [] })).status).toBe(400);
      expect((await setTags({ assignment_ids: [999_999, a!.id], tag_ids: [1] }, '', TOKENS.bob)).status).toBe(404);
      expect((await setTags({ assignment_ids: [a!.id], tag_ids: [99_999] }, '', TOKENS.bob)).status).toBe(403);
      expect((await setTags({ assignment_ids: [a!.id], tag_ids: [99_999] })).status).toBe(400);
    });
  });
});
