import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment, WireAssignmentV2, WireTag, WireV2Detail } from '../../src/contract/index.ts';
import { rest, restAll, restReviews, restTags } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const CONCURRENCY = 4;

const PAGE = /* GraphQL */ `
  query Page($filter: AssignmentFilter, $first: Int) {
    assignments(filter: $filter, first: $first) {
      nodes {
        id
        reviews(first: 3) {
          pageInfo { hasNextPage }
          nodes { id assignmentId authorId comment createdAt active scope tags { id name } }
        }
      }
    }
  }
`;

const REVIEW = /* GraphQL */ `
  mutation Review($input: ReviewAssignmentsInput!) {
    reviewAssignments(input: $input) {
      results {
        assignmentId
        status
        verdictTag { name }
        verdictTagWritten
        removedTags { name }
        review { id authorId comment tags { name } }
        error { code retryable outcomeUnknown message upstreamRequestId }
        assignment { id tags { name } }
      }
      tagWrites { action tag { name } assignmentIds }
      failedAssignmentIds
      dryRun
      writeCalls
      userErrors { field message code }
    }
  }
`;

describe('reading reviews (the embedded backend as the oracle)', () => {
  let stack: Stack;
  let completed: WireAssignment[];

  beforeAll(async () => {
    stack = await startStack({ assignments: 600, upstream: { concurrency: CONCURRENCY }, env: { RESPONSE_CACHE_TTL_MS: '0' } });
    completed = await restAll(stack.backend.url, 'project=1&status=completed&ordering=id');
    // One operation first: it learns that the backend serves v2, so the counts below are the page's own.
    await stack.gql('{ assignment(id: 1) { reviewStatus } }');
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    stack.backend.resetRequests();
    stack.backend.resetPeak();
    stack.backend.setFaults({ ignoreFields: false });
  });

  const listCalls = () => stack.upstreamCalls('/v2/reviews/').filter((r) => r.query['assignment'] !== undefined);

  it('reads a 20-row page with its reviews in one v2 list call per assignment, at most SYNAPSE_CONCURRENCY at once, as REST has them', async () => {
    const { body } = await stack.gql(PAGE, { filter: { project: '1', status: 'COMPLETED' }, first: 20 });
    expect(body.errors).toBeUndefined();
    const nodes = body.data!.assignments.nodes as { id: string; reviews: { pageInfo: { hasNextPage: boolean }; nodes: any[] } }[];
    expect(nodes.map((node) => Number(node.id))).toEqual(completed.slice(0, 20).map((row) => row.id));
    expect(nodes.filter((node) => node.reviews.nodes.length > 0).length).toBeGreaterThan(3);

    expect(listCalls()).toHaveLength(20);
    expect(new Set(listCalls().map((r) => r.query['assignment'])).size).toBe(20);
    // The lean list lacks the comment and the tags: the list is asked for them, and no detail is read.
    expect(listCalls().every((r) => r.query['fields']?.includes('description'))).toBe(true);
    expect(stack.upstreamCalls('/v2/reviews/').filter((r) => /^\/v2\/reviews\/\d+\/$/.test(r.path))).toEqual([]);
    expect(stack.backend.peakInFlight).toBeLessThanOrEqual(CONCURRENCY);
    expect(body.extensions!.upstream.requests).toBe(stack.backend.requests.length);

    const tagNames = new Map((await restTags(stack.backend.url, 1)).map((tag: WireTag) => [tag.id, tag.name]));
    for (const node of nodes) {
      const oracle = await restReviews(stack.backend.url, Number(node.id));
      expect(node.reviews.pageInfo.hasNextPage).toBe(oracle.length > 3);
      expect(node.reviews.nodes).toEqual(
        oracle.slice(0, 3).map((review) => ({
          id: String(review.id),
          assignmentId: String(review.assignment_id),
          authorId: String(review.user_id),
          comment: review.description,
          createdAt: review.created,
          active: review.is_active,
          scope: review.scope.toUpperCase(),
          tags: review.tags.map((id) => ({ id: String(id), name: tagNames.get(id) })),
        })),
      );
    }
  });

  it("reads each review's detail only for a field the lean list lacks, when the backend ignores `fields`", async () => {
    stack.backend.setFaults({ ignoreFields: true });
    const { body } = await stack.gql(PAGE, { filter: { project: '1', status: 'COMPLETED' }, first: 20 });
    const shown = (body.data!.assignments.nodes as { reviews: { nodes: { id: string; comment: string }[] } }[]).flatMap((node) => node.reviews.nodes);
    expect(shown.length).toBeGreaterThan(3);
    expect(shown.every((review) => review.comment.length > 0)).toBe(true);
    const details = stack.upstreamCalls('/v2/reviews/').filter((r) => /^\/v2\/reviews\/\d+\/$/.test(r.path));
    expect(listCalls()).toHaveLength(20);
    expect(details.map((r) => r.path).sort()).toEqual(shown.map((review) => `/v2/reviews/${review.id}/`).sort());
    // The page, project 1's tag list, the 20 lists and the details: nothing else.
    expect(stack.backend.requests).toHaveLength(1 + 1 + 20 + shown.length);
    expect(body.extensions!.upstream.requests).toBe(stack.backend.requests.length);

    stack.backend.resetRequests();
    const lean = await stack.gql(/* GraphQL */ `
      { assignments(filter: { project: 1, status: COMPLETED }, first: 20) { nodes { reviews(first: 3) { edges { cursor node { id createdAt active scope } } } } } }
    `);
    expect(lean.body.errors).toBeUndefined();
    expect(listCalls()).toHaveLength(20);
    expect(listCalls().every((r) => r.query['fields'] === undefined)).toBe(true);
    expect(stack.backend.requests.filter((r) => /^\/v2\/reviews\/\d+\/$/.test(r.path))).toEqual([]);
  });

  it('asks the lists for detail fields only when the variables keep one selected (@include)', async () => {
    const query = /* GraphQL */ `
      query Detail($detail: Boolean!) {
        assignments(filter: { project: 1, status: COMPLETED }, first: 5) { nodes { reviews(first: 3) { nodes { id comment @include(if: $detail) } } } }
      }
    `;
    for (const detail of [true, false, true]) {
      stack.backend.resetRequests();
      const { body } = await stack.gql(query, { detail });
      expect(body.errors).toBeUndefined();
      expect(listCalls()).toHaveLength(5);
      expect(listCalls().map((r) => r.query['fields']?.includes('description') ?? false)).toEqual(Array(5).fill(detail));
    }
  });

  it('reads the same assignment\'s reviews once per operation, however often they are asked', async () => {
    const id = completed[0]!.id;
    const { body } = await stack.gql(/* GraphQL */ `
      query Twice($id: ID!) {
        a: assignment(id: $id) { reviews(first: 3) { nodes { id comment } } }
        b: assignment(id: $id) { reviews(first: 3) { nodes { id comment } } }
      }
    `, { id: String(id) });
    expect(body.data!.a).toEqual(body.data!.b);
    expect(listCalls()).toHaveLength(1);
  });

  it('walks every review of an assignment newest first, one upstream page per page of the walk', async () => {
    const target = completed[1]!;
    for (let i = 0; i < 5; i++) {
      const reply = await fetch(`${stack.backend.url}v2/reviews/`, {
        method: 'POST',
        headers: { authorization: `Token ${TOKENS.alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ assignment: target.id, description: `walk note ${i}` }),
      });
      expect(reply.status).toBe(201);
    }
    const oracle = (await restReviews(stack.backend.url, target.id)).map((review) => String(review.id));
    expect(oracle.length).toBeGreaterThanOrEqual(5);
    stack.backend.resetRequests();
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (; pages < 20; pages++) {
      const { body } = await stack.gql(/* GraphQL */ `
        query Walk($id: ID!, $after: String) { assignment(id: $id) { reviews(first: 2, after: $after) { pageInfo { hasNextPage endCursor } nodes { id } } } }
      `, { id: String(target.id), after });
      const page: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: { id: string }[] } = body.data!.assignment.reviews;
      seen.push(...page.nodes.map((node) => node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(oracle);
    expect(listCalls()).toHaveLength(pages + 1);
    expect((await stack.gql('{ assignment(id: 1) { reviews(after: "bm9wZQ") { nodes { id } } } }')).body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('reads reviewerId, reviewStatus, confirmed and discarded from the v2 detail, one call per assignment, only when selected', async () => {
    const ids = completed.slice(0, 8).map((row) => row.id);
    const { body } = await stack.gql(/* GraphQL */ `
      query Flags($ids: [ID!]!) { assignmentsByIds(ids: $ids) { id reviewerId reviewStatus confirmed discarded } }
    `, { ids: ids.map(String) });
    expect(body.errors).toBeUndefined();
    expect(stack.upstreamCalls('/v2/assignments/')).toHaveLength(ids.length);
    for (const [i, id] of ids.entries()) {
      const detail = (await rest<WireV2Detail<WireAssignmentV2>>(stack.backend.url, `v2/assignments/${id}/`)).data;
      expect(body.data!.assignmentsByIds[i]).toEqual({
        id: String(id),
        reviewerId: detail.reviewer_id === null ? null : String(detail.reviewer_id),
        reviewStatus: detail.status_review === 'stand_by' ? 'PENDING' : detail.status_review.toUpperCase(),
        confirmed: detail.is_confirmed,
        discarded: detail.is_discarded,
      });
    }
    stack.backend.resetRequests();
    await stack.gql('query Plain($ids: [ID!]!) { assignmentsByIds(ids: $ids) { id status } }', { ids: ids.map(String) });
    expect(stack.upstreamCalls('/v2/')).toEqual([]);
  });
});

describe('reviewAssignments (the embedded backend as the oracle)', () => {
  let stack: Stack;
  let rows: WireAssignment[];
  let tagIds: Map<number, Map<string, number>>;
  const used = new Set<number>();
  /** Assignments of a project no earlier test used, optionally carrying a tag. */
  const fresh = (project: number, count: number, carrying?: string) => {
    const found = rows.filter(
      (row) => row.project === project && !used.has(row.id) && (carrying === undefined ? true : row.tags.includes(tagIds.get(project)!.get(carrying)!)),
    );
    const picked = found.slice(0, count);
    expect(picked).toHaveLength(count);
    for (const row of picked) used.add(row.id);
    return picked.map((row) => row.id);
  };
  const tagsOf = async (id: number) => {
    const row = await rest<WireAssignment>(stack.backend.url, `assignments/${id}/`);
    const names = new Map([...tagIds.get(row.project)!].map(([name, tagId]) => [tagId, name]));
    return row.tags.map((tagId) => names.get(tagId)!);
  };
  const posts = () => stack.backend.requests.filter((r) => r.method !== 'GET');
  const review = (input: Record<string, unknown>, token: string = TOKENS.admin) => stack.gql(REVIEW, { input }, { token });

  beforeAll(async () => {
    // Large enough for several rows of every verdict tag in projects 1 and 2.
    stack = await startStack({ assignments: 2000, env: { RESPONSE_CACHE_TTL_MS: '0' } });
    rows = await restAll(stack.backend.url, '');
    tagIds = new Map();
    for (const project of [1, 2, 3, 4]) tagIds.set(project, new Map((await restTags(stack.backend.url, project)).map((tag) => [tag.name, tag.id])));
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    stack.backend.resetRequests();
    stack.backend.setFaults({ failReviewsFor: [] });
  });

  it.each([
    ['APPROVE', 'approved', ['needs_review', 'rejected']],
    ['NEEDS_REVIEW', 'needs_review', ['approved', 'rejected']],
    ['REJECT', 'rejected', ['approved', 'needs_review']],
  ] as const)('%s sets its tag, takes the other two off, one set_tags per tag and project, and writes the reason as a review', async (verdict, tag, others) => {
    const ids = [...fresh(1, 1, others[0]), ...fresh(1, 1, others[1]), ...fresh(1, 1), ...fresh(2, 1)];
    const comment = `${verdict}: checked every box on ${ids.join(',')}`;
    const { body } = await review({ assignmentIds: ids.map(String), verdict, comment, reviewTagNames: ['blurry'] });
    const payload = body.data!.reviewAssignments;
    expect(payload.userErrors).toEqual([]);

    // Adds: one per project (1 and 2); removals: one per other verdict present in project 1.
    const setTags = posts().filter((r) => r.path === '/assignments/set_tags/');
    expect(setTags).toHaveLength(4);
    expect(payload.tagWrites.map((w: any) => `${w.action} ${w.tag.name} ${w.assignmentIds.length}`).sort()).toEqual(
      [`ADD ${tag} 3`, `ADD ${tag} 1`, `REMOVE ${others[0]} 1`, `REMOVE ${others[1]} 1`].sort(),
    );
    expect(posts().filter((r) => r.path === '/v2/reviews/')).toHaveLength(4);
    expect(payload.writeCalls).toBe(8);
    expect(payload.failedAssignmentIds).toEqual([]);

    for (const [i, id] of ids.entries()) {
      const names = await tagsOf(id);
      expect(names).toContain(tag);
      for (const other of others) expect(names).not.toContain(other);
      const [newest] = await restReviews(stack.backend.url, id);
      expect(newest).toMatchObject({ user_id: 1, description: comment, scope: 'assignment' });
      const project = rows.find((row) => row.id === id)!.project;
      expect(newest!.tags.sort()).toEqual([tagIds.get(project)!.get(tag)!, tagIds.get(project)!.get('blurry')!].sort());
      expect(payload.results[i]).toMatchObject({
        assignmentId: String(id),
        status: 'CREATED',
        verdictTag: { name: tag },
        verdictTagWritten: true,
        review: { id: String(newest!.id), authorId: '1', comment },
        error: null,
      });
      expect(payload.results[i].assignment.tags.map((t: { name: string }) => t.name)).toEqual(names);
    }
    expect(payload.results[0].removedTags).toEqual([{ name: others[0] }]);
  });

  it('COMMENT writes no tag, only the review', async () => {
    const ids = fresh(3, 2);
    const before = await Promise.all(ids.map(tagsOf));
    const { body } = await review({ assignmentIds: ids.map(String), verdict: 'COMMENT', comment: 'Just a note on the lighting.' });
    expect(body.data!.reviewAssignments).toMatchObject({ tagWrites: [], writeCalls: 2, userErrors: [] });
    expect(posts().map((r) => r.path)).toEqual(['/v2/reviews/', '/v2/reviews/']);
    expect(await Promise.all(ids.map(tagsOf))).toEqual(before);
    for (const id of ids) expect((await restReviews(stack.backend.url, id))[0]!.description).toBe('Just a note on the lighting.');
  });

  it('refuses REJECT and NEEDS_REVIEW without a comment that is not blank, and writes nothing', async () => {
    const ids = fresh(1, 2);
    for (const verdict of ['REJECT', 'NEEDS_REVIEW']) {
      for (const comment of [null, '', '   ']) {
        const { body } = await review({ assignmentIds: ids.map(String), verdict, comment });
        expect(body.data!.reviewAssignments).toMatchObject({ results: [], writeCalls: 0 });
        expect(body.data!.reviewAssignments.userErrors).toEqual([
          { field: ['input', 'comment'], code: 'INVALID', message: 'Say why: a rejection or a request for review needs a comment that is not blank.' },
        ]);
      }
    }
    expect(stack.backend.requests).toEqual([]);
  });

  it('names exactly the reviews that failed after the tags were written, and the same call with the same key writes only those', async () => {
    const ids = [...fresh(1, 2), ...fresh(2, 2)];
    const failing = [ids[1]!, ids[3]!];
    stack.backend.setFaults({ failReviewsFor: failing });
    const input = { assignmentIds: ids.map(String), verdict: 'REJECT', comment: 'Wrong class on most objects.', idempotencyKey: 'run-7f3a' };
    const first = (await review(input)).body.data!.reviewAssignments;
    expect(first.userErrors).toEqual([]);
    expect(first.failedAssignmentIds).toEqual(failing.map(String));
    expect(first.results.map((r: any) => r.status)).toEqual(['CREATED', 'FAILED', 'CREATED', 'FAILED']);
    // A 500 may come after the write landed: the payload says the outcome is unknown.
    expect(first.results[1].error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true, outcomeUnknown: true, upstreamRequestId: expect.stringMatching(/^req_/) });
    for (const id of ids) expect(await tagsOf(id)).toContain('rejected');
    const reviewsWith = async (id: number) => (await restReviews(stack.backend.url, id)).filter((r) => r.description === input.comment);
    expect((await Promise.all(ids.map(reviewsWith))).map((found) => found.length)).toEqual([1, 0, 1, 0]);

    stack.backend.setFaults({ failReviewsFor: [] });
    stack.backend.resetRequests();
    const second = (await review(input)).body.data!.reviewAssignments;
    expect(second.results.map((r: any) => r.status)).toEqual(['ALREADY_CREATED', 'CREATED', 'ALREADY_CREATED', 'CREATED']);
    expect(second.results[0].review.id).toBe(first.results[0].review.id);
    expect(second.failedAssignmentIds).toEqual([]);
    // The tags are already as decided (no set_tags); the two lost answers are looked for, then written.
    expect(posts().map((r) => r.path)).toEqual(['/v2/reviews/', '/v2/reviews/']);
    expect(second.writeCalls).toBe(2);
    const looked = stack.backend.requests.filter((r) => r.method === 'GET' && r.path === '/v2/reviews/');
    expect(looked.map((r) => Number(r.query['assignment'])).sort()).toEqual([...failing].sort());
    expect((await Promise.all(ids.map(reviewsWith))).map((found) => found.length)).toEqual([1, 1, 1, 1]);

    stack.backend.resetRequests();
    const third = (await review(input)).body.data!.reviewAssignments;
    expect(third.results.map((r: any) => r.status)).toEqual(['ALREADY_CREATED', 'ALREADY_CREATED', 'ALREADY_CREATED', 'ALREADY_CREATED']);
    expect(third.writeCalls).toBe(0);
    expect(posts()).toEqual([]);
    expect((await Promise.all(ids.map(reviewsWith))).map((found) => found.length)).toEqual([1, 1, 1, 1]);
  });

  it('keeps keys per caller, and refuses a key used for another decision', async () => {
    const ids = fresh(1, 1);
    const input = { assignmentIds: ids.map(String), verdict: 'NEEDS_REVIEW', comment: 'Second opinion on the left box.', idempotencyKey: 'shared-key' };
    expect((await review(input)).body.data!.reviewAssignments.results[0].status).toBe('CREATED');
    // Alice's equal key is hers alone: her review is written, not taken for the admin's.
    const alices = (await review(input, TOKENS.alice)).body.data!.reviewAssignments.results[0];
    expect(alices).toMatchObject({ status: 'CREATED', review: { authorId: '2' } });
    stack.backend.resetRequests();
    const reused = (await review({ ...input, comment: 'Something else.' })).body.data!.reviewAssignments;
    expect(reused.userErrors).toEqual([expect.objectContaining({ code: 'KEY_REUSED', field: ['input', 'idempotencyKey'] })]);
    expect(posts()).toEqual([]);
  });

  it('previews with dryRun: the tag writes and the reviews to create, nothing written', async () => {
    const ids = [...fresh(1, 1, 'approved'), ...fresh(1, 1)];
    const before = await Promise.all(ids.map((id) => restReviews(stack.backend.url, id)));
    const { body } = await review({ assignmentIds: ids.map(String), verdict: 'REJECT', comment: 'Too dark.', dryRun: true, idempotencyKey: 'preview-1' });
    const payload = body.data!.reviewAssignments;
    expect(payload).toMatchObject({ dryRun: true, writeCalls: 0, userErrors: [] });
    expect(payload.tagWrites.map((w: any) => [w.action, w.tag.name, w.assignmentIds.map(Number)])).toEqual([
      ['ADD', 'rejected', [...ids].sort((a, b) => a - b)],
      ['REMOVE', 'approved', [ids[0]]],
    ]);
    expect(payload.results.map((r: any) => [r.status, r.verdictTagWritten, r.review])).toEqual([
      ['PLANNED', false, null],
      ['PLANNED', false, null],
    ]);
    expect(posts()).toEqual([]);
    expect(await Promise.all(ids.map((id) => restReviews(stack.backend.url, id)))).toEqual(before);
  });

  it('refuses a viewer with FORBIDDEN and writes nothing; an unknown assignment or tag is a userError', async () => {
    const ids = fresh(1, 1);
    const before = await tagsOf(ids[0]!);
    const { body } = await review({ assignmentIds: ids.map(String), verdict: 'APPROVE', comment: 'Fine.' }, TOKENS.viewer);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(body.data).toBeNull();
    expect(await tagsOf(ids[0]!)).toEqual(before);
    expect(posts().filter((r) => r.path === '/v2/reviews/')).toEqual([]);
    const unknown = (await review({ assignmentIds: ['99999999'], verdict: 'APPROVE' })).body.data!.reviewAssignments;
    expect(unknown.userErrors[0].code).toBe('NOT_FOUND');
    const badTag = (await review({ assignmentIds: ids.map(String), verdict: 'COMMENT', comment: 'x', reviewTagNames: ['nope'] })).body.data!.reviewAssignments;
    expect(badTag.userErrors).toEqual([expect.objectContaining({ code: 'UNKNOWN_TAG', field: ['input', 'reviewTagNames', '0'] })]);
  });
});
