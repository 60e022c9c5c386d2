import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createSharedState, type SharedState } from '../../src/shared-state/index.ts';
import { subscribeSse, type Subscription } from '../helpers/live-clients.ts';
import { serve } from '../helpers/serve.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const REVIEW = /* GraphQL */ `
  mutation Review($ids: [ID!]!, $verdict: ReviewVerdict!, $comment: String) {
    reviewAssignments(input: { assignmentIds: $ids, verdict: $verdict, comment: $comment }) { writeCalls userErrors { message } }
  }
`;

describe('a review made through the gateway, seen by caches and subscribers as a tag write is', () => {
  let stack: Stack;
  let server: Awaited<ReturnType<typeof serve>>;
  let shared: SharedState;
  const open: Subscription[] = [];
  /** What the gateway published on the bus: each message makes every matching group poll. */
  const published: unknown[] = [];

  beforeAll(async () => {
    // No interval poll can happen in these tests: only the write itself can make an event arrive.
    const env = { SUBSCRIPTION_POLL_MS: '600000', RESPONSE_CACHE_TTL_MS: '60000' };
    shared = createSharedState(loadConfig({ NODE_ENV: 'test', ...env }).shared, createLogger('silent'));
    shared.bus.subscribe('changes', (message) => published.push(message));
    stack = await startStack({ assignments: 80, env, deps: { shared } });
    server = await serve(stack.gateway);
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await server.close();
    await stack.close();
    await shared.close();
  });

  it('reaches assignmentUpdated subscribers of that assignment, also a COMMENT, which writes no tag', async () => {
    const before = stack.backend.requests.length;
    const watch = subscribeSse(server.url, TOKENS.alice, { project: '1' });
    open.push(watch);
    for (let i = 0; i < 250 && stack.backend.requests.length === before; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    published.length = 0;
    const comment = await stack.gql(REVIEW, { ids: ['5'], verdict: 'COMMENT', comment: 'Lighting is off.' });
    expect(comment.body.data!.reviewAssignments).toEqual({ writeCalls: 1, userErrors: [] });
    expect(published).toEqual([{ projectIds: [1] }]);
    await watch.until((events) => events.length >= 1, 5_000, 'assignment 5');
    expect(watch.ids()).toEqual(['5']);
    published.length = 0;
    const verdict = await stack.gql(REVIEW, { ids: ['9'], verdict: 'REJECT', comment: 'Wrong labels.' });
    expect(verdict.body.data!.reviewAssignments).toEqual({ writeCalls: 2, userErrors: [] });
    // The tag write and the review are announced together: one message, so one poll per group.
    expect(published).toEqual([{ projectIds: [1] }]);
    // Two changes upstream, each stamping updated_at: the tag write, then the review. Each may arrive.
    await watch.until((events) => events.length >= 2, 5_000, 'assignment 9');
    expect(new Set(watch.ids())).toEqual(new Set(['5', '9']));
    const tags = watch.events.at(-1)!.data!['assignmentUpdated'].tags.map((t: { name: string }) => t.name);
    expect(tags).toContain('rejected');
  });

  it("drops what the response cache showed of the assignment: its reviews are read again", async () => {
    const query = '{ assignment(id: 13) { reviewStatus reviews(first: 1) { nodes { comment } } } }';
    await stack.gql(query);
    expect((await stack.gql(query)).body.extensions!.cache).toBe('HIT');
    await stack.gql(REVIEW, { ids: ['13'], verdict: 'NEEDS_REVIEW', comment: 'Ask Jonas.' });
    const after = await stack.gql(query);
    expect(after.body.extensions!.cache).toBe('MISS');
    expect(after.body.data!.assignment).toEqual({ reviewStatus: 'IN_PROGRESS', reviews: { nodes: [{ comment: 'Ask Jonas.' }] } });
  });
});
