import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment } from '../../src/contract/index.ts';
import { restAll } from '../helpers/rest.ts';
import { SEED_NOW, startStack, type Stack } from '../helpers/stack.ts';
import { ANALYTICS, expectedAnalytics, expectedQueue, roundFloats } from './oracle.ts';

const QUEUE = /* GraphQL */ `
  query Queue($filter: AssignmentFilter) {
    assignmentQueue(filter: $filter) {
      pendingCount
      inProgressCount
      userWorkload { assigneeId inProgress }
      availableAssigneeIds
      maxAssignmentsPerUser
    }
  }
`;

const BACKEND_MAX = 100;

/**
 * A backend that caps page_size at 100 (DRF's max_page_size) in front of a gateway
 * that asks 1000 rows a page (SYNAPSE_STREAM_PAGE_SIZE's default): the gateway must
 * adopt the size it got and still read every row, never answer from one row in ten.
 */
describe(`streamed reads against a backend capping page_size at ${BACKEND_MAX}`, () => {
  let stack: Stack;
  let all: WireAssignment[];
  const lists = () => stack.backend.requests.filter((r) => r.path === '/sdk/assignments/');

  beforeAll(async () => {
    stack = await startStack({ assignments: 3000, projects: 2, maxPageSize: BACKEND_MAX });
    expect(stack.config.upstream.streamPageSize).toBe(1000);
    all = await restAll(stack.backend.url, '');
    expect(all).toHaveLength(3000);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.backend.resetRequests());

  it('analytics equals the REST oracle in ceil(count / 100) upstream calls plus at most one', async () => {
    const expected = expectedAnalytics(all, SEED_NOW, 60);
    expect(expected.totalAssignments).toBe(3000);
    const { body } = await stack.gql(ANALYTICS, { days: 60 });
    expect(body.errors).toBeUndefined();
    expect(roundFloats(body.data!.assignmentAnalytics)).toEqual(roundFloats(expected));
    const calls = lists().length;
    expect(calls).toBeGreaterThanOrEqual(Math.ceil(3000 / BACKEND_MAX));
    expect(calls).toBeLessThanOrEqual(Math.ceil(3000 / BACKEND_MAX) + 1);
    // Asked 1000 once, then the honoured size: every row of the window read once.
    expect(lists()[0]!.query['page_size']).toBe('1000');
    expect(new Set(lists().slice(1).map((r) => r.query['page_size']))).toEqual(new Set([String(BACKEND_MAX)]));
    expect(new Set(lists().map((r) => r.query['page'])).size).toBe(calls);
  });

  it('the queue equals the REST oracle, its workload read in ceil(count / 100) calls plus at most one', async () => {
    const expected = expectedQueue(all, 10);
    // Past one capped page: the second is read at the size the first one got.
    expect(expected.inProgressCount).toBeGreaterThan(BACKEND_MAX);
    const { body } = await stack.gql(QUEUE, {});
    expect(body.errors).toBeUndefined();
    expect(body.data!.assignmentQueue).toEqual(expected);
    const workload = lists().filter((r) => r.query['status'] === 'in_progress');
    expect(workload.length).toBeGreaterThanOrEqual(Math.ceil(expected.inProgressCount / BACKEND_MAX));
    expect(workload.length).toBeLessThanOrEqual(Math.ceil(expected.inProgressCount / BACKEND_MAX) + 1);
  });
});
