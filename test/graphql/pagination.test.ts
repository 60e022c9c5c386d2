import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireAssignment } from '../../src/contract/index.ts';
import { restAll } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const PAGE = /* GraphQL */ `
  query Page($filter: AssignmentFilter, $orderBy: AssignmentOrder, $first: Int, $after: String, $last: Int, $before: String) {
    assignments(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges { cursor node { id } }
      nodes { id }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`;

interface Page {
  totalCount: number;
  edges: { cursor: string; node: { id: string } }[];
  nodes: { id: string }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

describe('assignments connection', () => {
  let stack: Stack;
  let project1: WireAssignment[];

  beforeAll(async () => {
    stack = await startStack({ assignments: 800 });
    project1 = await restAll(stack.backend.url, 'project=1');
  });
  afterAll(() => stack.close());

  const page = async (variables: Record<string, unknown>, token?: string) => {
    const { body } = await stack.gql<{ assignments: Page }>(PAGE, variables, token ? { token } : {});
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data!.assignments;
  };

  it('walks forward over every page with one upstream request per page', async () => {
    const seen: number[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      stack.backend.resetRequests();
      const result: Page = await page({ filter: { project: '1' }, first: 7, after });
      expect(stack.backend.requests).toHaveLength(1);
      expect(result.totalCount).toBe(project1.length);
      expect(result.nodes.map((n) => n.id)).toEqual(result.edges.map((e) => e.node.id));
      seen.push(...result.nodes.map((n) => Number(n.id)));
      expect(result.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
    }
    expect(seen).toEqual(project1.map((row) => row.id));
  });

  it('walks backward from the end across the last page to the start', async () => {
    const seen: number[] = [];
    let before: string | null = null;
    for (let guard = 0; guard < 100; guard++) {
      const result: Page = await page({ filter: { project: '1' }, last: 9, before });
      seen.unshift(...result.nodes.map((n) => Number(n.id)));
      expect(result.pageInfo.hasNextPage).toBe(before !== null);
      if (!result.pageInfo.hasPreviousPage) break;
      before = result.pageInfo.startCursor;
    }
    expect(seen).toEqual(project1.map((row) => row.id));
  });

  it('defaults to 20 items and reports an empty page past the end', async () => {
    const first = await page({ filter: { project: '1' } });
    expect(first.nodes).toHaveLength(20);
    const last = await page({ filter: { project: '1' }, last: 1 });
    const after = await page({ filter: { project: '1' }, first: 5, after: last.pageInfo.endCursor });
    expect(after.nodes).toHaveLength(0);
    expect(after.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
    expect(after.totalCount).toBe(project1.length);
  });

  it('maps an irregular window onto a single upstream page when one fits', async () => {
    const mid = await page({ filter: { project: '1' }, first: 13 });
    stack.backend.resetRequests();
    const next = await page({ filter: { project: '1' }, first: 30, after: mid.pageInfo.endCursor });
    expect(next.nodes.map((n) => Number(n.id))).toEqual(project1.slice(13, 43).map((r) => r.id));
    expect(stack.backend.requests).toHaveLength(1);
  });

  const filters: [string, Record<string, unknown>, string][] = [
    ['project', { project: '2' }, 'project=2'],
    ['status', { status: 'IN_PROGRESS' }, 'status=in_progress'],
    ['assignee', { assignee: '101' }, 'assignee=101'],
    ['createdAfter', { createdAfter: '2026-11-01T00:00:00.000Z' }, 'created_after=2026-11-01T00:00:00.000001Z'],
    ['updatedAfter', { updatedAfter: '2026-11-10T00:00:00.000Z' }, 'updated_after=2026-11-10T00:00:00.000001Z'],
    ['priority', { priority: 3 }, 'priority=3'],
    ['all combined', { project: '1', status: 'COMPLETED', priority: 2 }, 'project=1&status=completed&priority=2'],
  ];
  for (const [name, filter, query] of filters) {
    it(`filters by ${name} exactly as the REST API does`, async () => {
      const expected = await restAll(stack.backend.url, query);
      expect(expected.length).toBeGreaterThan(0);
      const result = await page({ filter, first: 100 });
      expect(result.totalCount).toBe(expected.length);
      expect(result.nodes.map((n) => Number(n.id))).toEqual(expected.slice(0, 100).map((r) => r.id));
    });
  }

  it('filters by search text exactly as the REST API does', async () => {
    const word = String((project1[0]!.data as { text?: string } | null)?.text ?? '').split(/\s+/).find((w) => w.length > 4);
    expect(word).toBeTruthy();
    const expected = await restAll(stack.backend.url, `search=${encodeURIComponent(word!)}`);
    const result = await page({ filter: { search: word }, first: 100 });
    expect(result.totalCount).toBe(expected.length);
    expect(result.nodes.map((n) => Number(n.id))).toEqual(expected.slice(0, 100).map((r) => r.id));
  });

  for (const field of ['ID', 'CREATED_AT', 'UPDATED_AT', 'PRIORITY']) {
    for (const direction of ['ASC', 'DESC']) {
      it(`orders by ${field} ${direction} as the REST ordering does`, async () => {
        const ordering = `${direction === 'DESC' ? '-' : ''}${field.toLowerCase()}`;
        const expected = await restAll(stack.backend.url, `project=1&ordering=${ordering}`);
        const result = await page({ filter: { project: '1' }, orderBy: { field, direction }, first: 50 });
        expect(result.nodes.map((n) => Number(n.id))).toEqual(expected.slice(0, 50).map((r) => r.id));
      });
    }
  }

  it('rejects page sizes out of 1..100, first with last, and foreign cursors, with no upstream call', async () => {
    stack.backend.resetRequests();
    for (const variables of [{ first: 0 }, { first: 101 }, { last: 101 }, { first: 5, last: 5 }, { first: 5, after: 'bm90LWEtY3Vyc29y' }]) {
      const { body } = await stack.gql(PAGE, variables);
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(stack.backend.requests).toHaveLength(0);
  });

  it('shows a member only the rows of their projects, and refuses a filter on another project', async () => {
    const visible = await restAll(stack.backend.url, 'page=1', TOKENS.bob);
    const result = await page({ first: 100 }, TOKENS.bob);
    expect(result.totalCount).toBe(visible.length);
    expect(new Set(visible.map((r) => r.project))).toEqual(new Set([3]));
    const { body } = await stack.gql(PAGE, { filter: { project: '1' }, first: 5 }, { token: TOKENS.bob });
    expect(body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    expect(body.data).toEqual({ assignments: null });
    expect(body.errors![0]!.message).toBe('You may not read the assignments of project 1.');
    expect(body.errors![0]!.extensions!.resource).toEqual({ type: 'Project', id: '1' });
  });
});
