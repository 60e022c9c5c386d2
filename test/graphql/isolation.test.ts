import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireAssignment } from '../../src/contract/index.ts';
import { restAll } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const QUERY = /* GraphQL */ `
  query($ids: [ID!]!) {
    assignmentsByIds(ids: $ids) { id projectId }
    assignments(first: 50) { nodes { id projectId } }
  }
`;

describe('caller isolation', () => {
  let stack: Stack;
  let mixedIds: string[];
  let projectOf: Map<number, number>;

  beforeAll(async () => {
    stack = await startStack({ assignments: 400 });
    const all: WireAssignment[] = await restAll(stack.backend.url, 'page=1');
    projectOf = new Map(all.map((row) => [row.id, row.project]));
    const pick = (project: number) => all.filter((r) => r.project === project).slice(0, 5).map((r) => String(r.id));
    mixedIds = [...pick(1), ...pick(3), ...pick(2)];
    stack.backend.setFaults({ latencyMs: 5 });
  });
  afterAll(() => stack.close());

  it('concurrent callers with different rights each get only what their token allows', async () => {
    stack.backend.resetRequests();
    const callers = [
      { token: TOKENS.alice, projects: new Set([1, 2]) },
      { token: TOKENS.bob, projects: new Set([3]) },
    ];
    const runs = Array.from({ length: 20 }, (_, i) => callers[i % 2]!);
    const responses = await Promise.all(runs.map((caller) => stack.gql(QUERY, { ids: mixedIds }, { token: caller.token })));
    responses.forEach(({ body }, i) => {
      const { projects } = runs[i]!;
      const byIds: ({ id: string; projectId: string } | null)[] = body.data!.assignmentsByIds;
      byIds.forEach((row, k) => {
        const visible = projects.has(projectOf.get(Number(mixedIds[k]))!);
        if (visible) expect(row?.id).toBe(mixedIds[k]);
        else expect(row).toBeNull();
      });
      for (const node of body.data!.assignments.nodes) expect(projects.has(Number(node.projectId))).toBe(true);
      const forbidden = body.errors!.filter((e) => e.extensions!.code === 'FORBIDDEN').length;
      expect(forbidden).toBe(byIds.filter((row) => row === null).length);
    });
    const tokens = new Set(stack.backend.requests.map((r) => r.token));
    expect(tokens).toEqual(new Set([TOKENS.alice, TOKENS.bob]));
    expect(stack.backend.requests.every((r) => r.token !== null)).toBe(true);
  });
});
