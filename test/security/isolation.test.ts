import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireAssignment } from '../../src/contract/index.ts';
import { restAll } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { post } from './helpers.ts';

/** Two callers of different rights (from the embedded backend's demo users). */
const CALLERS = [
  { name: 'alice', token: TOKENS.alice, projects: new Set([1, 2]) },
  { name: 'bob', token: TOKENS.bob, projects: new Set([3]) },
] as const;

const QUERY = /* GraphQL */ `
  query Same($ids: [ID!]!, $one: ID!) {
    byIds: assignmentsByIds(ids: $ids) { id projectId status priority tags { id projectId name } }
    one: assignment(id: $one) { id projectId status }
    page: assignments(first: 40) { nodes { id projectId status tags { projectId } } totalCount }
    pending: assignments(filter: {status: PENDING}, orderBy: {field: PRIORITY, direction: DESC}, first: 20) { nodes { id projectId } }
  }
`;

describe('caller isolation under concurrency', () => {
  let stack: Stack;
  let truth: Map<string, WireAssignment>;
  let ids: string[];

  beforeAll(async () => {
    stack = await startStack({ assignments: 300 });
    const all = await restAll(stack.backend.url, 'page=1');
    truth = new Map(all.map((row) => [String(row.id), row]));
    const pick = (project: number) => all.filter((row) => row.project === project).slice(0, 3).map((row) => String(row.id));
    // Interleaved, so each caller's readable and unreadable ids share every batch.
    const [p1, p2, p3] = [pick(1), pick(2), pick(3)];
    ids = p1.flatMap((id, i) => [id, p3[i]!, p2[i]!]);
    stack.backend.setFaults({ latencyMs: 3 });
  });
  afterAll(() => stack.close());

  it('80 concurrent requests (40 pairs asking for the same ids and lists): each call upstream carries its own caller token, and no answer holds a row the caller cannot read', async () => {
    stack.backend.resetRequests();
    const runs = Array.from({ length: 80 }, (_, i) => ({ caller: CALLERS[i % 2]!, tenant: `isolation-${i}` }));
    const responses = await Promise.all(
      runs.map(({ caller, tenant }, i) =>
        post(stack.gateway, { query: QUERY, variables: { ids, one: ids[i % ids.length] } }, {
          token: caller.token,
          headers: { 'synapse-tenant': tenant },
        }),
      ),
    );

    // Upstream: every call is tagged with the tenant of the request it was made for.
    const byTenant = new Map<string, Set<string | null>>();
    for (const call of stack.backend.requests) {
      const tokens = byTenant.get(call.tenant ?? '') ?? new Set();
      tokens.add(call.token);
      byTenant.set(call.tenant ?? '', tokens);
    }
    expect(byTenant.has('')).toBe(false);
    runs.forEach(({ caller, tenant }) => {
      expect(byTenant.get(tenant), tenant).toEqual(new Set([caller.token]));
    });

    // Answers: only readable rows, each exactly as the backend holds it.
    let rowsSeen = 0;
    responses.forEach((response, i) => {
      const { caller } = runs[i]!;
      expect(response.status).toBe(200);
      const data = response.body.data;
      const rows = [
        ...data.byIds.filter((row: unknown) => row !== null),
        ...(data.one ? [data.one] : []),
        ...data.page.nodes,
        ...data.pending.nodes,
      ] as { id: string; projectId: string; status: string; tags?: { projectId: string }[] }[];
      for (const row of rows) {
        const stored = truth.get(row.id)!;
        expect(caller.projects.has(stored.project), `${caller.name} got assignment ${row.id}`).toBe(true);
        expect(Number(row.projectId)).toBe(stored.project);
        for (const tag of row.tags ?? []) expect(Number(tag.projectId)).toBe(stored.project);
        rowsSeen++;
      }
      data.byIds.forEach((row: { id: string } | null, k: number) => {
        const readable = caller.projects.has(truth.get(ids[k]!)!.project);
        expect(row === null ? null : row.id).toBe(readable ? ids[k] : null);
      });
      expect(JSON.stringify(response.body)).not.toMatch(/dev-(alice|bob|admin|viewer)-token/);
    });
    expect(rowsSeen).toBeGreaterThan(80 * 10);
  });
});
