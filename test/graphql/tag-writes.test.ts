import DataLoader from 'dataloader';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Loaders } from '../../src/graphql/loaders/create-loaders.ts';
import type { TagModel } from '../../src/graphql/models.ts';
import { executeTagWrites, resolveNamedTags } from '../../src/graphql/resolvers/tag-writes.ts';
import type { CallGate } from '../../src/upstream/client.ts';
import { UpstreamError } from '../../src/upstream/errors.ts';
import type { TagWrite } from '../../src/workflows/write-plan.ts';
import { startCraftedServer, type CraftedServer } from '../helpers/crafted-server.ts';
import { testClient } from '../helpers/synapse-test-client.ts';

const WRITES: TagWrite[] = [
  { projectId: 1, tagIds: [6], assignmentIds: [1, 2] },
  { projectId: 1, tagIds: [7], assignmentIds: [3] },
  { projectId: 1, tagIds: [8], assignmentIds: [4, 5] },
];
const OK = { status: 200, body: { updated: 1, assignment_ids: [], tag_ids: [], action: 'add', notified: 0 } };

/** The extensions of the error executeTagWrites threw. */
async function failure(promise: Promise<unknown>): Promise<{ code: unknown; extensions: Record<string, unknown> }> {
  const error = await promise.then(
    () => expect.fail('expected the writes to fail'),
    (e: unknown) => e as { extensions?: Record<string, unknown> },
  );
  return { code: error.extensions?.['code'], extensions: error.extensions ?? {} };
}

describe('executeTagWrites: what a failed write leaves behind is always reported', () => {
  let server: CraftedServer;
  beforeAll(async () => (server = await startCraftedServer()));
  afterAll(() => server.close());
  beforeEach(() => server.reset());

  it('a 503 refusal of the second write: first applied, the rest not, nothing unknown, never retried', async () => {
    server.script(OK, { status: 503, body: { detail: 'down' } });
    const { code, extensions } = await failure(executeTagWrites(testClient(server.url), WRITES, { mode: 'add', notify: false }));
    expect(code).toBe('UPSTREAM_UNAVAILABLE');
    expect(extensions).toMatchObject({
      appliedAssignmentIds: [1, 2],
      notAppliedAssignmentIds: [3, 4, 5],
      unknownOutcomeAssignmentIds: [],
    });
    expect(server.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
  });

  it('a lost answer on the first write: its ids are of unknown outcome, the rest not applied', async () => {
    server.script({ hang: true });
    const client = testClient(server.url, { config: { timeoutMs: 150 } });
    const { extensions } = await failure(executeTagWrites(client, WRITES, { mode: 'add', notify: false }));
    expect(extensions).toMatchObject({
      appliedAssignmentIds: [],
      unknownOutcomeAssignmentIds: [1, 2],
      notAppliedAssignmentIds: [3, 4, 5],
    });
    expect(server.requests).toHaveLength(1);
  });

  it('a 502 after a write went through: that write is of unknown outcome', async () => {
    server.script(OK, OK, { status: 502, body: 'bad gateway' });
    const { extensions } = await failure(executeTagWrites(testClient(server.url), WRITES, { mode: 'add', notify: false }));
    expect(extensions).toMatchObject({
      appliedAssignmentIds: [1, 2, 3],
      unknownOutcomeAssignmentIds: [4, 5],
      notAppliedAssignmentIds: [],
    });
  });

  it('a write refused by an open circuit was never sent: not applied, not unknown', async () => {
    let calls = 0;
    const gate: CallGate = {
      assertCanCall() {
        if (++calls > 1) throw new UpstreamError({ status: null, code: 'UPSTREAM_UNAVAILABLE', message: 'circuit open', requestSent: false });
      },
      recordSuccess() {},
      recordFailure() {},
    };
    server.script(OK);
    const client = testClient(server.url, { gate });
    const { extensions } = await failure(executeTagWrites(client, WRITES, { mode: 'add', notify: false }));
    expect(extensions).toMatchObject({ appliedAssignmentIds: [1, 2], notAppliedAssignmentIds: [3, 4, 5], unknownOutcomeAssignmentIds: [] });
    expect(server.requests).toHaveLength(1);
  });

  it('a 403 on the first write is a plain FORBIDDEN: nothing changed', async () => {
    server.script({ status: 403, body: { detail: 'no' } });
    const error = await executeTagWrites(testClient(server.url), WRITES, { mode: 'add', notify: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe('FORBIDDEN');
  });
});

describe('resolveNamedTags', () => {
  const lists: Record<number, TagModel[]> = {
    1: [{ id: 11, name: 'urgent', color: '', description: '', projectId: 1 }],
    2: [
      { id: 21, name: 'urgent', color: '', description: '', projectId: 2 },
      { id: 22, name: 'archived', color: '', description: '', projectId: 2 },
    ],
  };
  const fakeLoaders = () => {
    const asked: number[][] = [];
    const loaders = {
      tagsByProject: new DataLoader(async (projects: readonly number[]) => {
        asked.push([...projects]);
        return projects.map((p) => lists[p]!);
      }),
    } as unknown as Loaders;
    return { loaders, asked };
  };

  it('resolves each name in each project with one tag-list read per project', async () => {
    const { loaders, asked } = fakeLoaders();
    const { byProject, userErrors } = await resolveNamedTags(loaders, [2, 2], [
      { name: 'urgent', field: ['a'] },
      { name: 'archived', field: ['b'] },
    ]);
    expect(userErrors).toEqual([]);
    expect(byProject.get(2)!.get('archived')!.id).toBe(22);
    expect(asked).toEqual([[2]]);
  });

  it('reports an unknown name at its own field, naming the name and the project', async () => {
    const { loaders } = fakeLoaders();
    const { userErrors } = await resolveNamedTags(loaders, [1, 2], [
      { name: 'urgent', field: ['input', 'rules', 0, 'tagName'] },
      { name: 'archived', field: ['input', 'rules', 1, 'tagName'] },
    ]);
    expect(userErrors).toEqual([
      { code: 'UNKNOWN_TAG', message: 'Tag "archived" does not exist in project 1.', field: ['input', 'rules', '1', 'tagName'] },
    ]);
  });
});
