import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';
import { startReplica, type Replica } from '../helpers/replicas.ts';
import { restReviews } from '../helpers/rest.ts';
import { SEED_NOW, TOKENS } from '../helpers/stack.ts';

const REVIEW = /* GraphQL */ `
  mutation Review($input: ReviewAssignmentsInput!) {
    reviewAssignments(input: $input) { results { assignmentId status review { id authorId } } failedAssignmentIds writeCalls userErrors { code } }
  }
`;

async function review(replica: Replica, input: Record<string, unknown>, token: string = TOKENS.admin) {
  const response = await fetch(replica.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Token ${token}` },
    body: JSON.stringify({ query: REVIEW, variables: { input } }),
  });
  const body = (await response.json()) as { data?: { reviewAssignments: any }; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data!.reviewAssignments;
}

describe('review idempotency keys across two gateway replicas on one real Redis', () => {
  let redis: RedisServer;
  let backend: DevBackend;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    redis = await startRedis();
    backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 200, now: SEED_NOW } });
    const env = { SYNAPSE_BACKEND_URL: backend.url, SYNAPSE_IDS_FILTER: 'true', REDIS_URL: redis.url, RESPONSE_CACHE_TTL_MS: '0' };
    [a, b] = await Promise.all([startReplica(env), startReplica(env)]);
    for (let i = 0; i < 250; i++) {
      const states = await Promise.all([a, b].map(async (replica) => ((await (await fetch(replica.url.replace(/graphql$/, 'ready'))).json()) as { redis: string }).redis));
      if (states.every((state) => state === 'ok')) break;
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  });
  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await backend?.close();
    await redis?.stop();
  });

  it('a retry on replica B writes only the reviews that failed on replica A, never a second one', async () => {
    const ids = [1, 2, 5, 6];
    const comment = 'Boxes are loose on both replicas.';
    const input = { assignmentIds: ids.map(String), verdict: 'REJECT', comment, idempotencyKey: 'replica-run-1' };
    backend.setFaults({ failReviewsFor: [2, 6] });
    const first = await review(a, input);
    expect(first.failedAssignmentIds).toEqual(['2', '6']);
    backend.setFaults({ failReviewsFor: [] });

    const second = await review(b, input);
    expect(second.results.map((r: any) => r.status)).toEqual(['ALREADY_CREATED', 'CREATED', 'ALREADY_CREATED', 'CREATED']);
    expect(second.results[0].review.id).toBe(first.results[0].review.id);
    const third = await review(a, input);
    expect(third.results.map((r: any) => r.status)).toEqual(['ALREADY_CREATED', 'ALREADY_CREATED', 'ALREADY_CREATED', 'ALREADY_CREATED']);
    expect(third.writeCalls).toBe(0);
    for (const id of ids) expect((await restReviews(backend.url, id)).filter((r) => r.description === comment)).toHaveLength(1);
  });

  it("keeps each caller's keys apart: the same key from another caller is another key", async () => {
    const input = { assignmentIds: ['9'], verdict: 'COMMENT', comment: 'Same words, two people.', idempotencyKey: 'replica-run-2' };
    expect((await review(a, input)).results[0]).toMatchObject({ status: 'CREATED', review: { authorId: '1' } });
    expect((await review(b, input, TOKENS.alice)).results[0]).toMatchObject({ status: 'CREATED', review: { authorId: '2' } });
    expect((await review(b, input, TOKENS.alice)).results[0].status).toBe('ALREADY_CREATED');
    expect((await restReviews(backend.url, 9)).filter((r) => r.description === input.comment)).toHaveLength(2);
  });
});
