import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.ts';
import { post } from './helpers.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));

/**
 * Every list argument has a cap; going over it is refused with an error that names
 * the cap, before any upstream call. Queries answer BAD_USER_INPUT; mutations answer
 * a `userErrors` entry with code TOO_MANY (nothing changed).
 */
describe('input caps on list arguments', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ assignments: 30, env: { RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0' } });
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.backend.resetRequests());

  async function userErrorsOf(mutation: string, field: string, variables: Record<string, unknown>) {
    const response = await post(stack.gateway, { query: mutation, variables });
    expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
    expect(stack.backend.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    return response.body.data[field].userErrors as { field: string[]; message: string; code: string }[];
  }

  it('assignmentsByIds: 500 ids', async () => {
    const response = await post(stack.gateway, {
      query: 'query($ids: [ID!]!) { assignmentsByIds(ids: $ids) { id } }',
      variables: { ids: range(501) },
    });
    expect(response.body.errors[0]).toMatchObject({
      message: 'ids accepts at most 500 ids, got 501.',
      extensions: { code: 'BAD_USER_INPUT', argument: 'ids' },
    });
    expect(stack.backend.requests).toHaveLength(0);
  });

  const SET_TAGS = `mutation($ids: [ID!]!, $names: [String!]) {
    setAssignmentTags(input: {assignmentIds: $ids, tagNames: $names}) { writeCalls userErrors { field message code } }
  }`;

  it('setAssignmentTags: 1000 assignment ids', async () => {
    const errors = await userErrorsOf(SET_TAGS, 'setAssignmentTags', { ids: range(1001), names: ['urgent'] });
    expect(errors).toContainEqual({ code: 'TOO_MANY', field: ['input', 'assignmentIds'], message: 'At most 1000 assignment ids per call, got 1001.' });
    expect(stack.backend.requests).toHaveLength(0);
  });

  it('setAssignmentTags: 50 tags', async () => {
    const names = Array.from({ length: 51 }, (_, i) => `tag-${i}`);
    const errors = await userErrorsOf(SET_TAGS, 'setAssignmentTags', { ids: ['1'], names });
    expect(errors).toContainEqual({ code: 'TOO_MANY', field: ['input', 'tagNames'], message: 'At most 50 tags per call.' });
    expect(stack.backend.requests).toHaveLength(0);
  });

  it('applyQualityReview: 1000 scores', async () => {
    const scores = range(1001).map((assignmentId) => ({ assignmentId, score: 0.5 }));
    const errors = await userErrorsOf(
      'mutation($scores: [QualityScoreInput!]!) { applyQualityReview(input: {scores: $scores}) { writeCalls userErrors { field message code } } }',
      'applyQualityReview',
      { scores },
    );
    expect(errors).toContainEqual(expect.objectContaining({ code: 'TOO_MANY', field: ['input', 'scores'] }));
    expect(errors.find((e) => e.code === 'TOO_MANY')!.message).toContain('1000');
  });

  it('tagAssignmentsByAssigneeTier: 20 tiers', async () => {
    const tiers = Array.from({ length: 21 }, (_, i) => ({ minAssignments: i, tagName: `tier-${i}` }));
    const errors = await userErrorsOf(
      'mutation($tiers: [AssigneeTierInput!]) { tagAssignmentsByAssigneeTier(input: {tiers: $tiers}) { writeCalls userErrors { field message code } } }',
      'tagAssignmentsByAssigneeTier',
      { tiers },
    );
    expect(errors).toContainEqual(expect.objectContaining({ code: 'TOO_MANY', field: ['input', 'tiers'] }));
    expect(errors.find((e) => e.code === 'TOO_MANY')!.message).toContain('20');
  });

  it('runAssignmentAutomation: 20 rules', async () => {
    const rules = Array.from({ length: 21 }, (_, i) => ({ status: 'PENDING', olderThanHours: i, tagName: `rule-${i}` }));
    const errors = await userErrorsOf(
      'mutation($rules: [AutomationRuleInput!]) { runAssignmentAutomation(input: {rules: $rules}) { writeCalls userErrors { field message code } } }',
      'runAssignmentAutomation',
      { rules },
    );
    expect(errors).toContainEqual(expect.objectContaining({ code: 'TOO_MANY', field: ['input', 'rules'] }));
    expect(errors.find((e) => e.code === 'TOO_MANY')!.message).toContain('20');
  });
});
