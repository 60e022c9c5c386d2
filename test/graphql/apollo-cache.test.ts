import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment, WireTag } from '../../src/contract/index.ts';
import { restAll, restTags } from '../helpers/rest.ts';
import { SEED_NOW, startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const PAGE_SIZE = 100;
const PROJECT = 1;

/** What a review screen shows of a row, and what the cache must keep right after a write. */
const ROW = gql`
  fragment Row on Assignment {
    id
    status
    updatedAt
    tags { id name }
  }
`;

const LOAD = gql`
  query Load($ids: [ID!]!) { assignmentsByIds(ids: $ids) { ...Row } }
  ${ROW}
`;

const SET_TAGS = gql`
  mutation SetTags($input: SetAssignmentTagsInput!) {
    setAssignmentTags(input: $input) { assignments { ...Row } writeCalls userErrors { code message } }
  }
  ${ROW}
`;

const REVIEW = gql`
  mutation Review($input: ApplyQualityReviewInput!) {
    applyQualityReview(input: $input) { results { assignment { ...Row } tagName } summary { tagName count } dryRun writeCalls userErrors { code message } }
  }
  ${ROW}
`;

const TIERS = gql`
  mutation Tiers($input: TagAssignmentsByAssigneeTierInput!) {
    tagAssignmentsByAssigneeTier(input: $input) { groups { assigneeId tagName assignments { ...Row } } summary { tagName count } dryRun writeCalls userErrors { code message } }
  }
  ${ROW}
`;

const AUTOMATION = gql`
  mutation Automate($input: RunAssignmentAutomationInput!) {
    runAssignmentAutomation(input: $input) { actions { assignment { ...Row } tagName alreadyTagged } summary { rule newlyTagged } dryRun writeCalls userErrors { code message } }
  }
  ${ROW}
`;

interface CachedRow {
  __typename: 'Assignment';
  id: string;
  status: string;
  updatedAt: string;
  tags: { __typename: 'Tag'; id: string; name: string }[];
}

/**
 * Apollo Client's normalized InMemoryCache, talking to the gateway over real HTTP on
 * loopback: after every mutation the cached rows must equal a fresh REST read of the
 * embedded backend, tags and `updatedAt` included (the state after the write, never the
 * one before it; for a preview, the state as it is).
 */
describe('Apollo Client InMemoryCache stays equal to Synapse after every mutation', () => {
  let stack: Stack;
  let server: Server;
  let client: ApolloClient;
  let tags: Map<number, WireTag>;
  let ids: number[];
  const measured: string[] = [];

  const upstreamReads = () => stack.backend.requests.filter((r) => r.method === 'GET' && r.query['ids'] !== undefined);
  const upstreamWrites = () => stack.backend.requests.filter((r) => r.method === 'POST');

  /** The REST truth in the cache's shape. */
  async function restRows(): Promise<Map<string, CachedRow>> {
    const rows = await restAll(stack.backend.url, `project=${PROJECT}`);
    return new Map(rows.map((row) => [String(row.id), toCached(row)]));
  }

  function toCached(row: WireAssignment): CachedRow {
    return {
      __typename: 'Assignment',
      id: String(row.id),
      status: row.status.toUpperCase(),
      updatedAt: row.updated_at,
      tags: row.tags.map((id) => ({ __typename: 'Tag', id: String(id), name: tags.get(id)!.name })),
    };
  }

  function cached(id: string): CachedRow | null {
    return client.cache.readFragment<CachedRow>({ id: client.cache.identify({ __typename: 'Assignment', id }), fragment: ROW });
  }

  /** Every cached row of the project equals the backend's row now. */
  async function expectCacheEqualsRest(): Promise<void> {
    const truth = await restRows();
    expect(truth.size).toBe(ids.length);
    const differing = [...truth].filter(([id, row]) => JSON.stringify(cached(id)) !== JSON.stringify(row)).map(([id]) => id);
    expect(differing, `rows whose cache entry differs from Synapse: ${differing.slice(0, 10).join(', ')}`).toEqual([]);
  }

  /** Runs a mutation and records what it cost upstream: writes, and reads of rows by id after the last write (0 without writes). */
  async function mutate<T>(name: string, mutation: typeof SET_TAGS, input: Record<string, unknown>): Promise<{ data: T; reads: number; writes: number }> {
    stack.backend.resetRequests();
    const result = await client.mutate<Record<string, T>>({ mutation, variables: { input } });
    const data = Object.values(result.data!)[0]!;
    const writes = upstreamWrites().length;
    const lastWrite = stack.backend.requests.findLastIndex((r) => r.method === 'POST');
    const reads = lastWrite < 0 ? 0 : stack.backend.requests.slice(lastWrite + 1).filter((r) => r.method === 'GET' && r.query['ids'] !== undefined).length;
    measured.push(`${name}: ${writes} set_tags, ${reads} read-back calls after them, ${stack.backend.requests.length} upstream calls in all`);
    return { data, reads, writes };
  }

  beforeAll(async () => {
    stack = await startStack({ assignments: 600, upstream: { pageSize: PAGE_SIZE } });
    server = createServer(stack.gateway);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    client = new ApolloClient({
      link: new HttpLink({ uri, headers: { authorization: `Token ${TOKENS.admin}` } }),
      cache: new InMemoryCache(),
    });
    tags = new Map((await restTags(stack.backend.url, PROJECT)).map((tag) => [tag.id, tag]));
    ids = (await restAll(stack.backend.url, `project=${PROJECT}`)).map((row) => row.id);
    expect(ids.length).toBeGreaterThan(PAGE_SIZE);
    await client.query({ query: LOAD, variables: { ids: ids.map(String) } });
  });
  afterAll(async () => {
    console.log(`Apollo cache test, upstream calls per mutation (page size ${PAGE_SIZE}):\n  ${measured.join('\n  ')}`);
    client?.stop();
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await stack?.close();
  });
  beforeEach(() => stack.backend.resetRequests());

  it('starts equal', async () => {
    await expectCacheEqualsRest();
  });

  it('setAssignmentTags: the written rows, read back in one batched call', async () => {
    const chosen = ids.slice(0, 3).map(String);
    const before = chosen.map((id) => cached(id)!.updatedAt);
    const { data, reads, writes } = await mutate<any>('setAssignmentTags (3 rows)', SET_TAGS, { assignmentIds: chosen, tagNames: ['escalated'] });
    expect(data.userErrors).toEqual([]);
    expect([writes, reads]).toEqual([1, 1]);
    expect(chosen.map((id) => cached(id)!.updatedAt)).not.toEqual(before);
    await expectCacheEqualsRest();
  });

  it('applyQualityReview: a preview leaves every row as it is; the real run feeds the cache the rows after the write', async () => {
    const truth = await restRows();
    const completed = [...truth.values()].filter((row) => row.status === 'COMPLETED').map((row) => row.id);
    expect(completed.length).toBeGreaterThan(5);
    const scores = completed.map((id, i) => ({ assignmentId: id, score: [0.95, 0.8, 0.3][i % 3] }));

    const preview = await mutate<any>('applyQualityReview preview', REVIEW, { filter: { project: String(PROJECT) }, scores, dryRun: true });
    expect(preview.data.dryRun).toBe(true);
    expect(preview.writes).toBe(0);
    // What the review would do lives in the payload's own fields; the rows it returned (now in the cache) are today's.
    expect(preview.data.results.map((r: { tagName: string }) => r.tagName)).toContain('approved');
    await expectCacheEqualsRest();

    const run = await mutate<any>(`applyQualityReview (${completed.length} rows)`, REVIEW, { filter: { project: String(PROJECT) }, scores });
    expect(run.data.userErrors).toEqual([]);
    expect(run.writes).toBe(3);
    expect(run.reads).toBe(Math.ceil(completed.length / PAGE_SIZE));
    for (const result of run.data.results) expect(result.assignment.tags.map((tag: { name: string }) => tag.name)).toContain(result.tagName);
    await expectCacheEqualsRest();
  });

  it('tagAssignmentsByAssigneeTier: every group member read back after the write, all groups in one batch', async () => {
    const { data, reads, writes } = await mutate<any>('tagAssignmentsByAssigneeTier', TIERS, { filter: { project: String(PROJECT) } });
    expect(data.userErrors).toEqual([]);
    const tagged = data.summary.reduce((sum: number, tier: { count: number }) => sum + tier.count, 0);
    expect(tagged).toBeGreaterThan(0);
    expect(writes).toBe(data.writeCalls);
    expect(reads).toBe(Math.ceil(tagged / PAGE_SIZE));
    for (const group of data.groups) {
      for (const row of group.assignments) expect(row.tags.map((tag: { name: string }) => tag.name)).toContain(group.tagName);
    }
    await expectCacheEqualsRest();
  });

  it('runAssignmentAutomation: only the rows it wrote are read back; a preview changes nothing and says what it would', async () => {
    const asOf = new Date(SEED_NOW.getTime() + 30 * 86_400_000).toISOString();
    const preview = await mutate<any>('runAssignmentAutomation preview', AUTOMATION, { filter: { project: String(PROJECT) }, asOf, dryRun: true });
    const wouldTag = preview.data.actions.filter((action: { alreadyTagged: boolean }) => !action.alreadyTagged);
    expect(wouldTag.length).toBeGreaterThan(0);
    expect(preview.writes).toBe(0);
    await expectCacheEqualsRest();

    const run = await mutate<any>('runAssignmentAutomation', AUTOMATION, { filter: { project: String(PROJECT) }, asOf });
    expect(run.data.userErrors).toEqual([]);
    const written = new Set(run.data.actions.filter((a: { alreadyTagged: boolean }) => !a.alreadyTagged).map((a: { assignment: CachedRow }) => a.assignment.id));
    expect(written.size).toBe(new Set(wouldTag.map((a: { assignment: CachedRow }) => a.assignment.id)).size);
    expect(run.reads).toBe(Math.ceil(written.size / PAGE_SIZE));
    for (const action of run.data.actions) expect(action.assignment.tags.map((tag: { name: string }) => tag.name)).toContain(action.tagName);
    await expectCacheEqualsRest();

    // A second run with the same asOf writes nothing and reads nothing back.
    const again = await mutate<any>('runAssignmentAutomation again (same asOf)', AUTOMATION, { filter: { project: String(PROJECT) }, asOf });
    expect([again.writes, again.reads, again.data.writeCalls]).toEqual([0, 0, 0]);
    await expectCacheEqualsRest();
  });

  it('reads nothing back when the payload does not select the assignments', async () => {
    stack.backend.resetRequests();
    await client.mutate({
      mutation: gql`mutation Bare($input: SetAssignmentTagsInput!) { setAssignmentTags(input: $input) { writeCalls userErrors { code } } }`,
      variables: { input: { assignmentIds: ids.slice(10, 12).map(String), tagNames: ['urgent'] } },
    });
    const lastWrite = stack.backend.requests.findLastIndex((r) => r.method === 'POST');
    expect(lastWrite).toBeGreaterThanOrEqual(0);
    expect(stack.backend.requests.slice(lastWrite + 1)).toHaveLength(0);
    expect(upstreamReads().length).toBe(1); // the check before the write
  });
});
