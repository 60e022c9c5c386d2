import type { ApolloClient } from '@apollo/client';
import type { Client } from '@urql/core';
import { ClientError, GraphQLClient } from 'graphql-request';
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { createApolloClient, walkWithApollo } from '../../examples/frontend/src/apollo.ts';
import { describeApolloError, describeUrqlError } from '../../examples/frontend/src/errors.ts';
import type {
  AssignmentCardFragment,
  AssignmentsPageQuery,
  TagAssignmentsMutation,
} from '../../examples/frontend/src/__generated__/graphql.ts';
import { AssignmentCard, AssignmentsPage, TagAssignments } from '../../examples/frontend/src/operations.ts';
import { tagAssignments } from '../../examples/frontend/src/tag.ts';
import { CLIENT, documentIdOf } from '../../examples/frontend/src/trusted-documents.ts';
import { createUrqlClient, walkWithUrql } from '../../examples/frontend/src/urql.ts';
import type { WireAssignment, WireTag } from '../../src/contract/index.ts';
import { kitManifests } from '../helpers/frontend.ts';
import { serveGateway, type HttpGateway } from '../helpers/http-gateway.ts';
import { rest, restAll, restTags } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const BYPASS = 'an-operators-secret-of-at-least-32-characters';

/**
 * The example's code, run with each client library's defaults against the embedded backend over
 * HTTP, through a gateway that enforces the example's manifest: every document goes out as its id.
 */
describe('frontend example: urql, Apollo Client and graphql-request against the gateway', () => {
  let manifests: ReturnType<typeof kitManifests>;
  let stack: Stack;
  let gateway: HttpGateway;
  let urql: Client;
  let apollo: ApolloClient;
  let project2: WireAssignment[];
  let tagsById: Map<number, WireTag>;

  const graphqlRequests = () => gateway.requests.filter((r) => r.url.startsWith('/graphql'));

  beforeAll(async () => {
    manifests = kitManifests('kit');
    stack = await startStack({ assignments: 600, env: { ...manifests.env, TRUSTED_DOCUMENTS_BYPASS_TOKEN: BYPASS } });
    gateway = await serveGateway(stack);
    urql = createUrqlClient(gateway.url, TOKENS.admin);
    apollo = createApolloClient(gateway.url, TOKENS.admin);
    project2 = await restAll(stack.backend.url, 'project=2');
    tagsById = new Map((await restTags(stack.backend.url, 2)).map((tag) => [tag.id, tag]));
    expect(project2.length).toBe(150);
  });
  afterAll(async () => {
    apollo?.stop();
    await gateway?.close();
    await stack?.close();
    await manifests?.close();
  });
  beforeEach(() => {
    gateway.requests.length = 0;
  });

  it('types the scalars as they travel: DateTime and URL strings, JSON unknown, counts numbers', () => {
    expectTypeOf<AssignmentCardFragment['createdAt']>().toEqualTypeOf<string>();
    expectTypeOf<AssignmentCardFragment['metadata']>().toEqualTypeOf<unknown>();
    expectTypeOf<AssignmentCardFragment['files'][number]['url']>().toEqualTypeOf<string | null>();
    expectTypeOf<AssignmentCardFragment['id']>().toEqualTypeOf<string>();
    expectTypeOf<NonNullable<AssignmentsPageQuery['assignments']>['totalCount']>().toEqualTypeOf<number>();
    expectTypeOf<TagAssignmentsMutation['setAssignmentTags']['userErrors'][number]['code']>().toEqualTypeOf<
      'ALREADY_EXISTS' | 'INVALID' | 'KEY_REUSED' | 'NOT_FOUND' | 'REJECTED_BY_UPSTREAM' | 'TAG_PROJECT_MISMATCH' | 'TOO_MANY' | 'UNKNOWN_TAG'
    >();
  });

  it('walks a project with urql as configured by default: every query a GET of its documentId, no CSRF header, the rows Synapse has', async () => {
    const rows = await walkWithUrql(urql, { project: '2' }, 50);
    expect(rows.map((row) => Number(row.id))).toEqual(project2.map((row) => row.id));
    const requests = graphqlRequests();
    expect(requests.map((r) => r.method)).toEqual(['GET', 'GET', 'GET']);
    for (const request of requests) {
      expect(request.headers['x-graphql-yoga-csrf']).toBeUndefined();
      expect(request.headers.authorization).toBe(`Token ${TOKENS.admin}`);
      expect([request.headers['graphql-client-name'], request.headers['graphql-client-version']]).toEqual([CLIENT.name, CLIENT.version]);
      const params = new URL(request.url, 'http://gateway').searchParams;
      expect([params.get('documentId'), params.has('query')]).toEqual([documentIdOf(AssignmentsPage), false]);
    }
    expect(documentIdOf(AssignmentsPage)).toMatch(/^sha256:[0-9a-f]{64}$/);
    const first = rows[0]!;
    const raw = project2[0]!;
    expect(first.status).toBe(raw.status.toUpperCase());
    expect(Date.parse(first.createdAt)).toBe(Math.floor(Date.parse(raw.created_at)));
    expect(first.metadata).toEqual(raw.metadata);
    expect(first.tags.map((tag) => Number(tag.id))).toEqual(raw.tags);
    expect(rows.flatMap((row) => row.files).every((file) => file.url?.startsWith('http://127.0.0.1:'))).toBe(true);
  });

  it("walks the same list with Apollo Client: GETs of the persisted-query hash, pages merged by relayStylePagination, every row normalized once", async () => {
    const rows = await walkWithApollo(apollo, { project: '2' }, 50);
    expect(rows.map((row) => Number(row.id))).toEqual(project2.map((row) => row.id));
    expect(graphqlRequests().map((r) => r.method)).toEqual(['GET', 'GET', 'GET']);
    for (const request of graphqlRequests()) {
      const params = new URL(request.url, 'http://gateway').searchParams;
      expect(JSON.parse(params.get('extensions')!)).toMatchObject({ persistedQuery: { version: 1, sha256Hash: documentIdOf(AssignmentsPage)!.slice('sha256:'.length) } });
      expect(params.has('query')).toBe(false);
      expect(request.headers['graphql-client-name']).toBe(CLIENT.name);
    }
    const cache = apollo.cache.extract() as Record<string, unknown>;
    expect(Object.keys(cache).filter((key) => key.startsWith('Assignment:'))).toHaveLength(150);
    // One merged list for the filter, whatever `first` and `after` were.
    expect(Object.keys(cache.ROOT_QUERY as object).filter((key) => key.startsWith('assignments'))).toEqual([
      'assignments:{"filter":{"project":"2"}}',
    ]);
  });

  it('tags with the example mutation: the payload and both caches hold the row as it is after the write', async () => {
    const ids = project2.filter((row) => !row.tags.some((id) => tagsById.get(id)?.name === 'needs_review')).slice(0, 2).map((row) => String(row.id));
    await walkWithApollo(apollo, { project: '2' }, 50);
    gateway.requests.length = 0;

    const { assignments, userErrors } = await tagAssignments(urql, ids, ['needs_review']);
    expect(userErrors).toEqual([]);
    expect(assignments.map((a) => a.id)).toEqual(ids);
    for (const assignment of assignments) expect(assignment.tags.map((tag) => tag.name)).toContain('needs_review');
    expect(graphqlRequests().map((r) => r.method)).toEqual(['POST']);
    for (const id of ids) {
      const raw = await rest<WireAssignment>(stack.backend.url, `assignments/${id}/`);
      expect(raw.tags.map((tagId) => tagsById.get(tagId)!.name)).toContain('needs_review');
    }

    // Apollo: the mutation's result updates the normalized rows the list shows, with no refetch.
    await apollo.mutate({ mutation: TagAssignments, variables: { input: { assignmentIds: ids, tagNames: ['urgent'] } } });
    for (const id of ids) {
      const cached = apollo.cache.readFragment({ id: apollo.cache.identify({ __typename: 'Assignment', id }), fragment: AssignmentCard });
      expect(cached!.tags.map((tag) => tag.name)).toEqual(expect.arrayContaining(['needs_review', 'urgent']));
    }
    const list = apollo.cache.readQuery({ query: AssignmentsPage, variables: { filter: { project: '2' }, first: 50 } });
    expect(list!.assignments!.edges.find((edge) => edge.node.id === ids[0])!.node.tags.map((tag) => tag.name)).toContain('urgent');
  });

  it('reports input problems in userErrors, with HTTP 200 and nothing changed', async () => {
    const id = String(project2[0]!.id);
    const before = await rest<WireAssignment>(stack.backend.url, `assignments/${id}/`);
    const { assignments, userErrors } = await tagAssignments(urql, [id], ['needs-review']);
    expect(assignments).toEqual([]);
    // urql's document cache asks for __typename too, so it comes along.
    expect(userErrors).toEqual([
      expect.objectContaining({ field: ['input', 'tagNames'], code: 'UNKNOWN_TAG', message: expect.stringContaining('needs-review') }),
    ]);
    expect(await rest<WireAssignment>(stack.backend.url, `assignments/${id}/`)).toEqual(before);
  });

  it('reports refusals as errors with extensions.code, which the example describes the same way for both clients', async () => {
    const bob = createUrqlClient(gateway.url, TOKENS.bob);
    const refused = await bob.query(AssignmentsPage, { filter: { project: '2' }, first: 5 }).toPromise();
    expect(refused.error).toBeDefined();
    expect(describeUrqlError(refused.error!)).toEqual([expect.stringMatching(/^FORBIDDEN: /)]);

    const apolloBob = createApolloClient(gateway.url, TOKENS.bob);
    const apolloError = await apolloBob.query({ query: AssignmentsPage, variables: { filter: { project: '2' }, first: 5 } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(describeApolloError(apolloError)).toEqual(describeUrqlError(refused.error!));
    apolloBob.stop();

    const anonymous = createUrqlClient(gateway.url, 'not-a-token');
    const unauthenticated = await anonymous.query(AssignmentsPage, { first: 5 }).toPromise();
    expect(describeUrqlError(unauthenticated.error!)).toEqual([expect.stringMatching(/^UNAUTHENTICATED: /)]);
  });

  it('refuses graphql-request, which sends the document text, with PERSISTED_QUERY_NOT_IN_LIST in its ClientError; an operator with the bypass secret gets typed answers', async () => {
    const frontend = new GraphQLClient(gateway.url, { headers: { authorization: `Token ${TOKENS.admin}` } });
    const refused = await frontend.request(AssignmentsPage, { filter: { project: '2' }, first: 10 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ClientError);
    expect((refused as ClientError).response.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(graphqlRequests().map((r) => r.method)).toEqual(['POST']);

    const operator = new GraphQLClient(gateway.url, { headers: { authorization: `Token ${TOKENS.admin}`, 'x-trusted-documents-bypass': BYPASS } });
    const page = await operator.request(AssignmentsPage, { filter: { project: '2' }, first: 10 });
    expectTypeOf(page).toEqualTypeOf<AssignmentsPageQuery>();
    expect(page.assignments!.totalCount).toBe(150);
    expect(page.assignments!.edges.map((edge) => Number(edge.node.id))).toEqual(project2.slice(0, 10).map((row) => row.id));

    const bob = new GraphQLClient(gateway.url, { headers: { authorization: `Token ${TOKENS.bob}`, 'x-trusted-documents-bypass': BYPASS } });
    const error = await bob.request(AssignmentsPage, { filter: { project: '2' }, first: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).response.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

});
