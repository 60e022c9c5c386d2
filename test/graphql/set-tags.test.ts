import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment, WireTag } from '../../src/contract/index.ts';
import { rest, restAll, restTags } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const SET_TAGS = /* GraphQL */ `
  mutation SetTags($input: SetAssignmentTagsInput!) {
    setAssignmentTags(input: $input) {
      assignments { id projectId updatedAt tags { id name } }
      tags { id name projectId }
      writeCalls
      userErrors { field message code }
    }
  }
`;

describe('setAssignmentTags', () => {
  let stack: Stack;
  let p1: WireAssignment[];
  let p2: WireAssignment[];
  let tags1: WireTag[];
  let tags2: WireTag[];

  const tagId = (tags: WireTag[], name: string) => tags.find((t) => t.name === name)!.id;
  const raw = (id: number) => rest<WireAssignment>(stack.backend.url, `assignments/${id}/`);
  const snapshot = (ids: number[]) => Promise.all(ids.map(raw));
  const posts = () => stack.backend.requests.filter((r) => r.method === 'POST');

  beforeAll(async () => {
    stack = await startStack({ assignments: 400 });
    p1 = await restAll(stack.backend.url, 'project=1');
    p2 = await restAll(stack.backend.url, 'project=2');
    tags1 = await restTags(stack.backend.url, 1);
    tags2 = await restTags(stack.backend.url, 2);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.backend.resetRequests());

  it('adds tags by name across two projects with one write per project, answering fresh rows', async () => {
    const ids = [p1[0]!.id, p2[0]!.id, p1[1]!.id];
    const before = await snapshot(ids);
    const { body } = await stack.gql(SET_TAGS, {
      input: { assignmentIds: ids.map(String), tagNames: ['urgent', 'high_priority'] },
    });
    expect(body.errors).toBeUndefined();
    const payload = body.data!.setAssignmentTags;
    expect(payload.userErrors).toEqual([]);
    expect(payload.writeCalls).toBe(2);
    expect(posts()).toHaveLength(2);
    expect(payload.assignments.map((a: { id: string }) => Number(a.id))).toEqual(ids);
    const after = await snapshot(ids);
    after.forEach((row, i) => {
      const project = row.project === 1 ? tags1 : tags2;
      const wanted = [tagId(project, 'urgent'), tagId(project, 'high_priority')];
      expect(row.tags).toEqual(expect.arrayContaining([...before[i]!.tags, ...wanted]));
      expect(payload.assignments[i].tags.map((t: { id: string }) => Number(t.id)).sort()).toEqual([...row.tags].sort());
      expect(Date.parse(payload.assignments[i].updatedAt)).toBeGreaterThan(Date.parse(before[i]!.updated_at));
    });
    expect(payload.tags.map((t: { name: string }) => t.name).sort()).toEqual(['high_priority', 'high_priority', 'urgent', 'urgent']);
  });

  it('replaces tags by id with exactly those tags (seed body, replace=true)', async () => {
    const ids = [p1[2]!.id, p1[3]!.id];
    const wanted = [tagId(tags1, 'approved')];
    const { body } = await stack.gql(SET_TAGS, { input: { assignmentIds: ids.map(String), tagIds: wanted.map(String), mode: 'REPLACE' } });
    expect(body.data!.setAssignmentTags.userErrors).toEqual([]);
    for (const row of await snapshot(ids)) expect(row.tags).toEqual(wanted);
    expect(posts()[0]!.query).toMatchObject({ replace: 'true', notify: 'false' });
  });

  it('removes tags (newer action form) and notifies assignees when asked', async () => {
    const row = p1.find((r) => r.assignee !== null && r.tags.length > 0)!;
    const removed = row.tags[0]!;
    const notifiedBefore = (await rest<{ results: unknown[] }>(stack.backend.url, '_dev/notifications/')).results.length;
    const { body } = await stack.gql(SET_TAGS, {
      input: { assignmentIds: [String(row.id)], tagIds: [String(removed)], mode: 'REMOVE', notify: true },
    });
    expect(body.data!.setAssignmentTags.userErrors).toEqual([]);
    expect((await raw(row.id)).tags).not.toContain(removed);
    expect(posts()[0]!.query).toMatchObject({ notify: 'true' });
    const notified = (await rest<{ results: unknown[] }>(stack.backend.url, '_dev/notifications/')).results.length;
    expect(notified).toBe(notifiedBefore + 1);
  });

  const refusals: [string, (ids: string[]) => Record<string, unknown>, string, number][] = [
    ['an unknown tag name', (ids) => ({ assignmentIds: ids, tagNames: ['urgent', 'no_such_tag'] }), 'UNKNOWN_TAG', -1],
    ['a malformed id', (ids) => ({ assignmentIds: [...ids, 'x1'], tagNames: ['urgent'] }), 'INVALID', 0],
    ['an unknown assignment id', (ids) => ({ assignmentIds: [...ids, '999999'], tagNames: ['urgent'] }), 'NOT_FOUND', -1],
    ['a tag of another project', (ids) => ({ assignmentIds: ids, tagIds: ['TAG2'] }), 'TAG_PROJECT_MISMATCH', -1],
    ['both tagIds and tagNames', (ids) => ({ assignmentIds: ids, tagIds: ['1'], tagNames: ['urgent'] }), 'INVALID', 0],
    ['no tags', (ids) => ({ assignmentIds: ids, tagNames: [] }), 'INVALID', 0],
    ['no ids', () => ({ assignmentIds: [], tagNames: ['urgent'] }), 'INVALID', 0],
    ['1001 ids', () => ({ assignmentIds: Array.from({ length: 1001 }, (_, i) => String(i + 1)), tagNames: ['urgent'] }), 'TOO_MANY', 0],
  ];
  for (const [name, input, code, calls] of refusals) {
    it(`refuses ${name} as a user error and changes nothing`, async () => {
      const ids = [p1[5]!.id, p1[6]!.id];
      const before = await snapshot(ids);
      stack.backend.resetRequests();
      const built = JSON.parse(JSON.stringify(input(ids.map(String))).replace('TAG2', String(tagId(tags2, 'urgent'))));
      const { status, body } = await stack.gql(SET_TAGS, { input: built });
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      const payload = body.data!.setAssignmentTags;
      expect(payload.userErrors.map((e: { code: string }) => e.code)).toContain(code);
      expect(payload.writeCalls).toBe(0);
      expect(payload.assignments).toEqual([]);
      if (name === 'an unknown tag name') expect(payload.userErrors[0].message).toContain('no_such_tag');
      expect(posts()).toHaveLength(0);
      if (calls === 0) expect(stack.backend.requests).toHaveLength(0);
      expect(await snapshot(ids)).toEqual(before);
    });
  }

  it('dedupes repeated ids', async () => {
    const id = String(p1[7]!.id);
    const { body } = await stack.gql(SET_TAGS, { input: { assignmentIds: [id, id, id], tagNames: ['low_priority'] } });
    expect(body.data!.setAssignmentTags.assignments).toHaveLength(1);
    expect((posts()[0] as unknown as { path: string }).path).toBe('/assignments/set_tags/');
  });

  it('is FORBIDDEN for the viewer and for a member of another project, and changes nothing', async () => {
    const ids = [p1[8]!.id];
    const before = await snapshot(ids);
    for (const token of [TOKENS.viewer, TOKENS.bob]) {
      const { body } = await stack.gql(SET_TAGS, { input: { assignmentIds: ids.map(String), tagNames: ['urgent'] } }, { token });
      expect(body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
      expect(body.data).toBeNull();
    }
    expect(await snapshot(ids)).toEqual(before);
  });

  it('requires credentials and makes no upstream call without them', async () => {
    const { body } = await stack.gql(SET_TAGS, { input: { assignmentIds: ['1'], tagNames: ['urgent'] } }, { token: null });
    expect(body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(stack.backend.requests).toHaveLength(0);
  });
});
