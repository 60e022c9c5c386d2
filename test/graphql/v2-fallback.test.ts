import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment } from '../../src/contract/index.ts';
import { rest } from '../helpers/rest.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const MIXED = /* GraphQL */ `
  query Mixed {
    assignment(id: 1) {
      id
      status
      tags { name }
      reviewStatus
      reviews(first: 2) { nodes { id comment } }
    }
    tags(projectId: 1) { name }
  }
`;

describe('a backend without v2 (DEV_BACKEND_V2=false)', () => {
  describe('with SYNAPSE_API_V2=auto (the default)', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ assignments: 40, v2: false, env: { RESPONSE_CACHE_TTL_MS: '0' } });
    });
    afterAll(() => stack.close());
    beforeEach(() => stack.backend.resetRequests());

    it('answers every v2 field with UPSTREAM_FEATURE_UNAVAILABLE, and everything else as before in the same operation', async () => {
      const { status, body } = await stack.gql(MIXED);
      expect(status).toBe(200);
      const row = await rest<WireAssignment>(stack.backend.url, 'assignments/1/');
      expect(body.data!.assignment).toMatchObject({ id: '1', status: row.status.toUpperCase(), reviewStatus: null, reviews: null });
      expect(body.data!.tags.length).toBe(13);
      const errors = body.errors!.map((error) => ({ path: error.path, code: error.extensions!.code, retryable: error.extensions!.retryable }));
      expect(errors).toEqual(
        expect.arrayContaining([
          { path: ['assignment', 'reviewStatus'], code: 'UPSTREAM_FEATURE_UNAVAILABLE', retryable: false },
          { path: ['assignment', 'reviews'], code: 'UPSTREAM_FEATURE_UNAVAILABLE', retryable: false },
        ]),
      );
      expect(errors).toHaveLength(2);
      expect(body.errors![0]!.message).toMatch(/does not serve Synapse's v2 HITL API \(GET v2\/reviews\/ answered 404 Not Found\)/);
    });

    it('remembers it: the next operation makes no v2 call at all', async () => {
      const { body } = await stack.gql(MIXED);
      expect(body.errors!.every((error) => error.extensions!.code === 'UPSTREAM_FEATURE_UNAVAILABLE')).toBe(true);
      expect(stack.upstreamCalls('/v2/')).toEqual([]);
    });

    it('refuses reviewAssignments, createTag and deleteTag before writing anything', async () => {
      const review = await stack.gql(/* GraphQL */ `
        mutation { reviewAssignments(input: { assignmentIds: [1], verdict: APPROVE }) { writeCalls } }
      `);
      expect(review.body.errors![0]!.extensions!.code).toBe('UPSTREAM_FEATURE_UNAVAILABLE');
      expect(review.body.data).toBeNull();
      for (const mutation of ['createTag(input: { projectId: 1, name: "x" }) { userErrors { code } }', 'deleteTag(input: { projectId: 1, name: "urgent" }) { userErrors { code } }']) {
        const { body } = await stack.gql(`mutation { ${mutation} }`);
        expect(body.errors![0]!.extensions!.code, mutation).toBe('UPSTREAM_FEATURE_UNAVAILABLE');
      }
      expect(stack.backend.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    });
  });

  it('with SYNAPSE_API_V2=false, never calls v2 and says it is turned off', async () => {
    const stack = await startStack({ assignments: 40, env: { SYNAPSE_API_V2: 'false', RESPONSE_CACHE_TTL_MS: '0' } });
    try {
      const { body } = await stack.gql(MIXED);
      expect(body.data!.assignment).toMatchObject({ id: '1', reviewStatus: null, reviews: null });
      expect(body.errors![0]!.message).toMatch(/turned off on this gateway \(SYNAPSE_API_V2=false\)/);
      expect(stack.upstreamCalls('/v2/')).toEqual([]);
    } finally {
      await stack.close();
    }
  });

  it('with auto, notices a backend that serves v2 without any probe when the first need is the reviews list', async () => {
    const stack = await startStack({ assignments: 40, env: { RESPONSE_CACHE_TTL_MS: '0' } });
    try {
      const { body } = await stack.gql('{ assignment(id: 1) { reviews { nodes { id } } } }');
      expect(body.errors).toBeUndefined();
      expect(stack.upstreamCalls('/v2/').map((r) => r.query['assignment'])).toEqual(['1']);
    } finally {
      await stack.close();
    }
  });
});
