import type { GraphQLEnumType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../../src/graphql/schema.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const PAGE = /* GraphQL */ `
  query Walk($orderBy: AssignmentOrder, $after: String) {
    assignments(filter: { project: 1 }, orderBy: $orderBy, first: 20, after: $after) {
      totalCount
      nodes { id }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

interface WalkPage {
  totalCount: number;
  nodes: { id: string }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * What the schema says an offset cursor guarantees, checked against what it does:
 * a walk by ID stays exact while rows are tagged (their updatedAt changes); a walk by
 * UPDATED_AT does not, as documented.
 */
describe('cursor walks while assignments change', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ assignments: 300 });
  });
  afterAll(() => stack.close());

  /** Walks every page, tagging the first row of each page right after reading it. */
  async function walkWhileTagging(orderBy: Record<string, string>): Promise<{ seen: string[]; total: number }> {
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (let guard = 0; guard < 100; guard++) {
      const { body } = await stack.gql<{ assignments: WalkPage }>(PAGE, { orderBy, after });
      const page: WalkPage = body.data!.assignments;
      total = page.totalCount;
      seen.push(...page.nodes.map((node) => node.id));
      const first = page.nodes[0]?.id;
      if (first) {
        const tagged = await stack.gql(`mutation { setAssignmentTags(input: { assignmentIds: [${first}], tagNames: ["escalated"], mode: REPLACE }) { userErrors { code } } }`);
        expect(tagged.body.data!.setAssignmentTags.userErrors).toEqual([]);
      }
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    return { seen, total };
  }

  it('ordering by ID (the default), visits every assignment exactly once though each page is tagged meanwhile', async () => {
    const { seen, total } = await walkWhileTagging({ field: 'ID', direction: 'ASC' });
    expect(total).toBeGreaterThan(60);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
  });

  it('ordering by UPDATED_AT, the same walk sees rows twice and misses others, as the schema warns', async () => {
    const { seen, total } = await walkWhileTagging({ field: 'UPDATED_AT', direction: 'ASC' });
    const unique = new Set(seen);
    expect(seen.length - unique.size).toBeGreaterThan(0);
    expect(unique.size).toBeLessThan(total);
  });

  it('says so in the schema that GraphiQL and codegen read', () => {
    const schema = buildSchema();
    const connection = schema.getType('AssignmentConnection')!.description!;
    expect(connection).toContain('ordering by `ID` (the default), a forward walk with `after` visits every assignment that matches the filter for the whole walk exactly once');
    expect(connection).toContain('a row is then seen twice or skipped');
    const order = schema.getType('AssignmentOrderField') as GraphQLEnumType;
    expect(order.getValue('UPDATED_AT')!.description).toContain('can see a row twice or miss one');
    expect(order.getValue('ID')!.description).toContain('stable');
  });
});
