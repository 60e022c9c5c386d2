import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { isNonNullType } from 'graphql';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireAssignment } from '../../src/contract/index.ts';
import { buildSchema } from '../../src/graphql/schema.ts';
import { restAll, restTags } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const MIXED = /* GraphQL */ `{ tags(projectId: 1) { id } assignments(filter: { project: 3 }) { totalCount } }`;

describe('schema: nullable root query fields, non-null mutation payloads', () => {
  it('so one refused root field does not blank its siblings, while a payload is always there', () => {
    const schema = buildSchema();
    const nonNullQueries = Object.values(schema.getQueryType()!.getFields()).filter((field) => isNonNullType(field.type));
    expect(nonNullQueries.map((field) => field.name)).toEqual([]);
    const nullableMutations = Object.values(schema.getMutationType()!.getFields()).filter((field) => !isNonNullType(field.type));
    expect(nullableMutations.map((field) => field.name)).toEqual([]);
  });
});

describe('partial data and refusals that name the resource (alice: member of projects 1 and 2 only)', () => {
  let stack: Stack;
  let server: Server;
  let uri: string;
  let project3: WireAssignment;
  let project1: WireAssignment;

  beforeAll(async () => {
    stack = await startStack({ assignments: 40 });
    server = createServer(stack.gateway);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    project3 = (await restAll(stack.backend.url, 'project=3'))[0]!;
    project1 = (await restAll(stack.backend.url, 'project=1'))[0]!;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await stack.close();
  });

  it('answers the tags, assignments: null and a FORBIDDEN error at ["assignments"] naming project 3', async () => {
    const { body } = await stack.gql(MIXED, {}, { token: TOKENS.alice });
    const tags = await restTags(stack.backend.url, 1);
    expect(body.data).toEqual({ tags: tags.map((tag) => ({ id: String(tag.id) })), assignments: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]).toMatchObject({
      path: ['assignments'],
      message: 'You may not read the assignments of project 3.',
      extensions: { code: 'FORBIDDEN', resource: { type: 'Project', id: '3' } },
    });
  });

  it('reaches Apollo Client (errorPolicy "all") as data plus an error, as GitHub and Shopify answers do', async () => {
    const client = new ApolloClient({
      link: new HttpLink({ uri, headers: { authorization: `Token ${TOKENS.alice}` } }),
      cache: new InMemoryCache(),
    });
    try {
      const result = await client.query({ query: gql(MIXED), errorPolicy: 'all' });
      expect((result.data as { tags: unknown[] }).tags.length).toBeGreaterThan(0);
      expect((result.data as { assignments: unknown }).assignments).toBeNull();
      expect(result.error?.message).toContain('You may not read the assignments of project 3.');
    } finally {
      client.stop();
    }
  });

  it('names the assignment and the project on the other reads', async () => {
    const one = await stack.gql(`{ assignment(id: ${project3.id}) { id } mine: assignment(id: ${project1.id}) { id } }`, {}, { token: TOKENS.alice });
    expect(one.body.data).toEqual({ assignment: null, mine: { id: String(project1.id) } });
    expect(one.body.errors![0]).toMatchObject({
      path: ['assignment'],
      message: `You may not read assignment ${project3.id}.`,
      extensions: { code: 'FORBIDDEN', resource: { type: 'Assignment', id: String(project3.id) } },
    });
    const missing = await stack.gql(`{ assignment(id: 99999999) { id } }`, {}, { token: TOKENS.alice });
    expect(missing.body.errors![0]).toMatchObject({ message: 'Assignment 99999999 does not exist.', extensions: { code: 'NOT_FOUND' } });
    const tags = await stack.gql(`{ tags(projectId: 3) { id } queue: assignmentQueue(filter: { project: 1 }) { pendingCount } }`, {}, { token: TOKENS.alice });
    expect(tags.body.data!.tags).toBeNull();
    expect(tags.body.data!.queue.pendingCount).toBeGreaterThan(0);
    expect(tags.body.errors![0]).toMatchObject({ path: ['tags'], message: 'You may not read the tags of project 3.' });
  });

  it('tells a read-only caller that it may read but not tag, with nothing written', async () => {
    const before = await restAll(stack.backend.url, 'project=1');
    const setTags = await stack.gql(
      `mutation { setAssignmentTags(input: { assignmentIds: [${project1.id}], tagNames: ["urgent"] }) { writeCalls } }`,
      {},
      { token: TOKENS.viewer },
    );
    expect(setTags.body.errors![0]).toMatchObject({
      path: ['setAssignmentTags'],
      message: 'You may read the assignments of project 1 but not tag them: tagging needs a member (not a viewer) of the project.',
      extensions: { code: 'FORBIDDEN', resource: { type: 'Project', id: '1' } },
    });
    const automation = await stack.gql(
      `mutation { runAssignmentAutomation(input: { filter: { project: 1 }, asOf: "2027-06-01T00:00:00Z" }) { writeCalls } }`,
      {},
      { token: TOKENS.viewer },
    );
    expect(automation.body.errors![0]!.message).toContain('may read the assignments of project 1 but not tag them');
    expect(await restAll(stack.backend.url, 'project=1')).toEqual(before);
  });
});
