import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment } from '../../src/contract/index.ts';
import { rest, restTags } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateTagInput!) {
    createTag(input: $input) { tag { id projectId name color description } projectTags { name } dryRun userErrors { field message code } }
  }
`;
const DELETE = /* GraphQL */ `
  mutation Delete($input: DeleteTagInput!) {
    deleteTag(input: $input) { deletedTag { id name } projectTags { name } dryRun userErrors { field message code } }
  }
`;

describe('createTag and deleteTag (the embedded backend as the oracle)', () => {
  let stack: Stack;
  const names = async (project: number) => (await restTags(stack.backend.url, project)).map((tag) => tag.name);
  const writes = () => stack.backend.requests.filter((r) => r.method !== 'GET');

  beforeAll(async () => {
    // The response cache on: the tag list must be dropped from it, not only from the request's loader.
    stack = await startStack({ assignments: 200, env: { RESPONSE_CACHE_TTL_MS: '60000' } });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.backend.resetRequests());

  it('creates a tag that the same operation and every later one see by name, and the cached tag list drops', async () => {
    const cached = '{ tags(projectId: 2) { name } }';
    expect((await stack.gql(cached)).body.extensions!.cache).toBe('MISS');
    expect((await stack.gql(cached)).body.extensions!.cache).toBe('HIT');

    const { body } = await stack.gql(/* GraphQL */ `
      mutation CreateAndUse {
        createTag(input: { projectId: 2, name: " second_look ", category: EXPORT, description: "Look again" }) { tag { id name color } userErrors { code } }
        setAssignmentTags(input: { assignmentIds: [2], tagNames: ["second_look"] }) { assignments { tags { name } } userErrors { code message } }
      }
    `);
    expect(body.errors).toBeUndefined();
    expect(body.data!.createTag).toMatchObject({ tag: { name: 'second_look', color: expect.stringMatching(/^#/) }, userErrors: [] });
    expect(body.data!.setAssignmentTags.userErrors).toEqual([]);
    expect(body.data!.setAssignmentTags.assignments[0].tags.map((t: { name: string }) => t.name)).toContain('second_look');
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v2/projects/2/tags/', 'POST /assignments/set_tags/']);
    expect(await names(2)).toContain('second_look');
    const v2 = await rest<{ data: { category: string; description: string } }>(stack.backend.url, `v2/projects/2/tags/${body.data!.createTag.tag.id}/`);
    expect(v2.data).toMatchObject({ category: 'export', description: 'Look again' });

    const after = await stack.gql(cached);
    expect(after.body.extensions!.cache).toBe('MISS');
    expect(after.body.data!.tags.map((t: { name: string }) => t.name)).toContain('second_look');
  });

  it('refuses a duplicate, an empty or over-long name before any write, and a preview creates nothing', async () => {
    for (const [name, code] of [['approved', 'ALREADY_EXISTS'], ['   ', 'INVALID'], ['x'.repeat(101), 'INVALID']] as const) {
      const { body } = await stack.gql(CREATE, { input: { projectId: '1', name } });
      expect(body.data!.createTag, JSON.stringify(name)).toMatchObject({ tag: null, userErrors: [{ code, field: ['input', 'name'] }] });
    }
    expect(writes()).toEqual([]);
    const preview = await stack.gql(CREATE, { input: { projectId: '1', name: 'maybe_later', dryRun: true } });
    expect(preview.body.data!.createTag).toMatchObject({ tag: null, dryRun: true, userErrors: [] });
    expect(writes().map((r) => r.query)).toEqual([{ dry_run: 'true' }]);
    expect(await names(1)).not.toContain('maybe_later');
  });

  it('refuses a viewer with FORBIDDEN, naming the project, and creates or deletes nothing', async () => {
    const create = await stack.gql(CREATE, { input: { projectId: '1', name: 'viewer_tag' } }, { token: TOKENS.viewer });
    expect(create.body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', resource: { type: 'Project', id: '1' }, upstreamRequestId: expect.stringMatching(/^req_/) });
    expect(create.body.errors![0]!.message).toMatch(/may read the tags of project 1 but not create or delete them/);
    const remove = await stack.gql(DELETE, { input: { projectId: '1', name: 'urgent' } }, { token: TOKENS.viewer });
    expect(remove.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    expect(await names(1)).toContain('urgent');
    expect(await names(1)).not.toContain('viewer_tag');
    // Bob is no member of project 1: the tag list itself is refused.
    const stranger = await stack.gql(CREATE, { input: { projectId: '1', name: 'bobs' } }, { token: TOKENS.bob });
    expect(stranger.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    expect(writes().filter((r) => r.token === TOKENS.bob)).toEqual([]);
  });

  it('deletes a tag by name: off every assignment and review, and gone from the lists the same operation and later ones read', async () => {
    const tags = await restTags(stack.backend.url, 3);
    const target = tags.find((tag) => tag.name === 'high_priority')!;
    const carrying = (await rest<{ results: WireAssignment[] }>(stack.backend.url, 'sdk/assignments/?project=3&page_size=1000')).results.filter((row) =>
      row.tags.includes(target.id),
    );
    expect(carrying.length).toBeGreaterThan(0);
    const cached = `{ assignment(id: ${carrying[0]!.id}) { tags { name } } }`;
    await stack.gql(cached);
    expect((await stack.gql(cached)).body.extensions!.cache).toBe('HIT');

    const { body } = await stack.gql(/* GraphQL */ `
      mutation DeleteAndLook {
        deleteTag(input: { projectId: 3, name: "high_priority" }) { deletedTag { id name } projectTags { name } userErrors { code } }
        setAssignmentTags(input: { assignmentIds: [${carrying[0]!.id}], tagNames: ["high_priority"] }) { userErrors { code } }
      }
    `, undefined, { token: TOKENS.bob });
    expect(body.data!.deleteTag).toMatchObject({ deletedTag: { id: String(target.id), name: 'high_priority' }, userErrors: [] });
    expect(body.data!.deleteTag.projectTags.map((t: { name: string }) => t.name)).not.toContain('high_priority');
    expect(body.data!.setAssignmentTags.userErrors).toEqual([{ code: 'UNKNOWN_TAG' }]);
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([`DELETE /v2/projects/3/tags/${target.id}/`]);
    expect(await names(3)).not.toContain('high_priority');
    for (const row of carrying) expect((await rest<WireAssignment>(stack.backend.url, `assignments/${row.id}/`)).tags).not.toContain(target.id);

    const after = await stack.gql(cached);
    expect(after.body.extensions!.cache).toBe('MISS');
    expect(after.body.data!.assignment.tags.map((t: { name: string }) => t.name)).not.toContain('high_priority');
  });

  it('refuses an unknown tag, or both or neither of tagId and name, as userErrors; a preview deletes nothing', async () => {
    const unknown = await stack.gql(DELETE, { input: { projectId: '1', name: 'nope' } });
    expect(unknown.body.data!.deleteTag.userErrors).toEqual([{ field: ['input', 'name'], code: 'UNKNOWN_TAG', message: 'Tag "nope" does not exist in project 1.' }]);
    const foreign = await stack.gql(DELETE, { input: { projectId: '1', tagId: '14' } });
    expect(foreign.body.data!.deleteTag.userErrors[0].code).toBe('UNKNOWN_TAG');
    for (const input of [{ projectId: '1' }, { projectId: '1', tagId: '1', name: 'approved' }]) {
      expect((await stack.gql(DELETE, { input })).body.data!.deleteTag.userErrors[0].code).toBe('INVALID');
    }
    const preview = await stack.gql(DELETE, { input: { projectId: '1', tagId: '6', dryRun: true } });
    expect(preview.body.data!.deleteTag).toMatchObject({ deletedTag: { name: 'urgent' }, dryRun: true, userErrors: [] });
    expect(await names(1)).toContain('urgent');
    expect(writes().map((r) => r.query['dry_run'])).toEqual(['true']);
  });
});
