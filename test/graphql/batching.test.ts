import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restAll } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

describe('batching: upstream calls counted at the backend', () => {
  let stack: Stack;
  let project1Ids: number[];

  beforeAll(async () => {
    stack = await startStack({ assignments: 1200 });
    project1Ids = (await restAll(stack.backend.url, 'project=1')).map((row) => row.id);
    expect(project1Ids.length).toBeGreaterThanOrEqual(100);
  });
  afterAll(() => stack.close());

  it('100 assignments of one project with their tags cost 2 upstream requests', async () => {
    stack.backend.resetRequests();
    const { body } = await stack.gql('{ assignments(filter: {project: 1}, first: 100) { nodes { id tags { id name } } } }');
    expect(body.errors).toBeUndefined();
    const nodes = body.data!.assignments.nodes;
    expect(nodes).toHaveLength(100);
    expect(nodes.filter((n: { tags: unknown[] }) => n.tags.length > 0).length).toBeGreaterThan(1);
    expect(stack.backend.requests.map((r) => r.path)).toEqual(['/sdk/assignments/', '/projects/1/tags/']);
    expect(body.extensions!.upstream.requests).toBe(2);
  });

  it('assignmentsByIds of 100 ids is 1 request with the ids filter, in the order asked', async () => {
    const ids = project1Ids.slice(0, 100).reverse();
    stack.backend.resetRequests();
    const { body } = await stack.gql('query($ids: [ID!]!) { assignmentsByIds(ids: $ids) { id } }', { ids: ids.map(String) });
    expect(body.errors).toBeUndefined();
    expect(body.data!.assignmentsByIds.map((a: { id: string }) => Number(a.id))).toEqual(ids);
    expect(stack.backend.requests).toHaveLength(1);
    expect(stack.backend.requests[0]!.query['ids']!.split(',')).toHaveLength(100);
  });

  it('without the ids filter, never more than SYNAPSE_CONCURRENCY GETs in flight', async () => {
    const plain = await startStack({ assignments: 300, upstream: { idsFilter: false, concurrency: 4 } });
    try {
      plain.backend.setFaults({ latencyMs: 15 });
      const ids = (await restAll(plain.backend.url, 'project=1')).slice(0, 40).map((row) => String(row.id));
      plain.backend.resetRequests();
      plain.backend.resetPeak();
      const { body } = await plain.gql('query($ids: [ID!]!) { assignmentsByIds(ids: $ids) { id } }', { ids });
      expect(body.data!.assignmentsByIds.map((a: { id: string }) => a.id)).toEqual(ids);
      expect(plain.backend.requests).toHaveLength(40);
      expect(plain.backend.peakInFlight).toBeLessThanOrEqual(4);
      expect(plain.backend.peakInFlight).toBeGreaterThan(1);
    } finally {
      await plain.close();
    }
  });

  it('an operation with dozens of calls in flight on its deadline signal writes no MaxListenersExceededWarning', async () => {
    const plain = await startStack({ assignments: 300, upstream: { idsFilter: false, concurrency: 32 } });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      plain.backend.setFaults({ latencyMs: 15 });
      const ids = (await restAll(plain.backend.url, 'project=1')).slice(0, 40).map((row) => String(row.id));
      plain.backend.resetPeak();
      const { body } = await plain.gql('query($ids: [ID!]!) { assignmentsByIds(ids: $ids) { id } }', { ids });
      expect(body.errors).toBeUndefined();
      expect(plain.backend.peakInFlight).toBeGreaterThan(10);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await plain.close();
    }
  });

  it('the same id asked twice in one operation is fetched once', async () => {
    stack.backend.resetRequests();
    const { body } = await stack.gql(`{
      a: assignment(id: ${project1Ids[0]}) { id status }
      b: assignment(id: ${project1Ids[0]}) { id priority }
      c: assignmentsByIds(ids: ["${project1Ids[0]}", "${project1Ids[0]}"]) { id }
    }`);
    expect(body.errors).toBeUndefined();
    expect(stack.backend.requests).toHaveLength(1);
  });

  it('list results prime the loader: a listed assignment costs nothing more', async () => {
    stack.backend.resetRequests();
    const { body } = await stack.gql(`{
      assignments(filter: {project: 1}, first: 5) { nodes { id } }
      later: assignmentsByIds(ids: ["${project1Ids[2]}"]) { id status }
    }`);
    expect(body.errors).toBeUndefined();
    expect(body.data!.later[0].id).toBe(String(project1Ids[2]));
    expect(stack.backend.requests.map((r) => r.path)).toEqual(['/sdk/assignments/']);
    stack.backend.resetRequests();
    const before = await stack.gql(`{
      first: assignment(id: ${project1Ids[3]}) { id }
      list: assignments(filter: {project: 1}, first: 5) { nodes { id } }
    }`);
    expect(before.body.data!.first.id).toBe(String(project1Ids[3]));
    expect(stack.backend.requests).toHaveLength(1);
  });

  it('one tag-list call per project whatever the number of assignments', async () => {
    stack.backend.resetRequests();
    const { body } = await stack.gql('{ assignments(first: 100) { nodes { projectId tags { name } } } }');
    expect(body.errors).toBeUndefined();
    const projects = new Set(body.data!.assignments.nodes.filter((n: { tags: unknown[] }) => n.tags.length).map((n: { projectId: string }) => n.projectId));
    const tagCalls = stack.backend.requests.filter((r) => r.path.endsWith('/tags/'));
    expect(tagCalls).toHaveLength(projects.size);
  });

  it('assignmentsByIds gives null with an error path for each id that cannot be read', async () => {
    const project3 = (await restAll(stack.backend.url, 'project=3'))[0]!.id;
    const ids = [String(project1Ids[0]), '999999', String(project3), String(project1Ids[1])];
    const { body } = await stack.gql('query($ids: [ID!]!) { assignmentsByIds(ids: $ids) { id } }', { ids }, { token: TOKENS.alice });
    expect(body.data!.assignmentsByIds.map((a: { id: string } | null) => a?.id ?? null)).toEqual([ids[0], null, null, ids[3]]);
    const byPath = Object.fromEntries(body.errors!.map((e) => [e.path!.join('.'), e.extensions!.code]));
    expect(byPath).toEqual({ 'assignmentsByIds.1': 'NOT_FOUND', 'assignmentsByIds.2': 'FORBIDDEN' });
  });

  it('refuses more than 500 ids before any upstream call', async () => {
    stack.backend.resetRequests();
    const ids = Array.from({ length: 501 }, (_, i) => String(i + 1));
    const { body } = await stack.gql('query($ids: [ID!]!) { assignmentsByIds(ids: $ids) { id } }', { ids });
    expect(body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(body.errors![0]!.message).toContain('500');
    expect(stack.backend.requests).toHaveLength(0);
  });

  it('tags(projectId) lists a project tags in one call', async () => {
    stack.backend.resetRequests();
    const { body } = await stack.gql('{ tags(projectId: 2) { id name projectId color } }');
    const names = body.data!.tags.map((t: { name: string }) => t.name);
    for (const name of ['approved', 'needs_review', 'rejected', 'urgent', 'escalated', 'archived', 'high_performer']) {
      expect(names).toContain(name);
    }
    expect(stack.backend.requests).toHaveLength(1);
    const forbidden = await stack.gql('{ tags(projectId: 1) { id } }', undefined, { token: TOKENS.bob });
    expect(forbidden.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });
});
