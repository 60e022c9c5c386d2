import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment } from '../../src/contract/index.ts';
import { restAll } from '../helpers/rest.ts';
import { SEED_NOW, startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { ANALYTICS, expectedAnalytics, expectedQueue, roundFloats } from './oracle.ts';

const PAGE_SIZE = 100;
const CONCURRENCY = 4;

const QUEUE = /* GraphQL */ `
  query Queue($filter: AssignmentFilter, $max: Int, $assigneeIds: [ID!]) {
    assignmentQueue(filter: $filter, maxAssignmentsPerUser: $max, assigneeIds: $assigneeIds) {
      pendingCount
      inProgressCount
      userWorkload { assigneeId inProgress }
      availableAssigneeIds
      maxAssignmentsPerUser
    }
  }
`;


describe('assignmentQueue and assignmentAnalytics over 6,000 assignments (pages of 100)', () => {
  let stack: Stack;
  let all: WireAssignment[];
  const project = (id: number) => all.filter((row) => row.project === id);
  const lists = () => stack.backend.requests.filter((r) => r.path === '/sdk/assignments/');

  beforeAll(async () => {
    stack = await startStack({ assignments: 6000, upstream: { pageSize: PAGE_SIZE, streamPageSize: PAGE_SIZE, concurrency: CONCURRENCY } });
    all = await restAll(stack.backend.url, '');
    expect(all).toHaveLength(6000);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.backend.resetRequests());

  describe('assignmentQueue', () => {
    it('counts pending and in-progress over every page, not the first one (seed defect)', async () => {
      // Every project: one alone holds fewer than a page of either status.
      const expected = expectedQueue(all, 10);
      expect(expected.pendingCount).toBeGreaterThan(PAGE_SIZE);
      expect(expected.inProgressCount).toBeGreaterThan(PAGE_SIZE);
      const { body } = await stack.gql(QUEUE, {});
      expect(body.errors).toBeUndefined();
      expect(body.data!.assignmentQueue).toEqual(expected);
    });

    it('reads the pending count in one page-size-1 request and the workload page by page, with status filters upstream', async () => {
      const expected = expectedQueue(all, 25);
      const { body } = await stack.gql(QUEUE, { max: 25 });
      expect(body.data!.assignmentQueue).toEqual(expected);
      const pending = lists().filter((r) => r.query['status'] === 'pending');
      const inProgress = lists().filter((r) => r.query['status'] === 'in_progress');
      expect(pending.map((r) => r.query['page_size'])).toEqual(['1']);
      expect(inProgress).toHaveLength(Math.ceil(expected.inProgressCount / PAGE_SIZE));
      expect(stack.backend.requests).toHaveLength(1 + inProgress.length);
    });

    it('counts reviewers given in assigneeIds with no in-progress work as available; without them the SDK semantics stay', async () => {
      const rows = project(2);
      const busy = [...new Set(rows.filter((row) => row.status === 'in_progress' && row.assignee !== null).map((row) => row.assignee!))];
      const idle = [990, 991]; // new reviewers: no assignment at all yet
      expect(busy.length).toBeGreaterThan(1);
      const sdk = (await stack.gql(QUEUE, { filter: { project: '2' } })).body.data!.assignmentQueue;
      expect(sdk).toEqual(expectedQueue(rows, 10));
      expect(sdk.availableAssigneeIds).not.toContain('990');
      stack.backend.resetRequests();
      const given = (await stack.gql(QUEUE, { filter: { project: '2' }, assigneeIds: ['991', String(busy[0]), '990', '990'] })).body.data!.assignmentQueue;
      expect(given).toEqual(expectedQueue(rows, 10, idle));
      expect(given.availableAssigneeIds).toEqual(expect.arrayContaining(['990', '991']));
      expect(given.userWorkload).toContainEqual({ assigneeId: '990', inProgress: 0 });
      // Nothing more is read for them.
      expect(stack.backend.requests).toHaveLength(1 + Math.ceil(given.inProgressCount / PAGE_SIZE));
      const bad = await stack.gql(QUEUE, { assigneeIds: ['x'] });
      expect(bad.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'assigneeIds[0]' });
    });

    it('answers with the caller’s own visibility', async () => {
      const bobRows = await restAll(stack.backend.url, '', TOKENS.bob);
      expect(new Set(bobRows.map((row) => row.project))).toEqual(new Set([3]));
      const { body } = await stack.gql(QUEUE, {}, { token: TOKENS.bob });
      expect(body.data!.assignmentQueue).toEqual(expectedQueue(bobRows, 10));
    });

    it('refuses a status in the filter and a capacity below 1, before any upstream call', async () => {
      for (const variables of [{ filter: { project: '1', status: 'PENDING' } }, { max: 0 }, { filter: { project: 'x' } }]) {
        const { body } = await stack.gql(QUEUE, variables);
        expect(body.data).toEqual({ assignmentQueue: null });
        expect(body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      }
      expect(stack.backend.requests).toHaveLength(0);
    });
  });

  describe('assignmentAnalytics', () => {
    it('matches the oracle for one project over the default 30 days, rejected ones counted per assignee (seed defect)', async () => {
      const expected = expectedAnalytics(project(1), SEED_NOW, 30);
      expect(expected.statusBreakdown[3]!.count).toBeGreaterThan(0);
      expect(expected.assigneePerformance.filter((a) => a.rejected > 0).length).toBeGreaterThan(1);
      const { body } = await stack.gql(ANALYTICS, { filter: { project: '1' } });
      expect(body.errors).toBeUndefined();
      expect(roundFloats(body.data!.assignmentAnalytics)).toEqual(roundFloats(expected));
    });

    it('reads more than 50 pages in exactly ceil(count / pageSize) requests, at most SYNAPSE_CONCURRENCY in flight', async () => {
      stack.backend.setFaults({ latencyMs: 5 });
      stack.backend.resetPeak();
      try {
        const expected = expectedAnalytics(all, SEED_NOW, 60);
        expect(expected.totalAssignments).toBe(6000);
        const { body } = await stack.gql(ANALYTICS, { days: 60 });
        expect(roundFloats(body.data!.assignmentAnalytics)).toEqual(roundFloats(expected));
        expect(lists()).toHaveLength(Math.ceil(6000 / PAGE_SIZE));
        expect(new Set(lists().map((r) => r.query['page']))).toHaveLength(60);
        // assigneePerformance lists who completed something in the window too: the read reaches by updated_at.
        expect(lists().every((r) => r.query['updated_after'] === '2026-09-21T12:00:00.000000Z')).toBe(true);
        expect(stack.backend.peakInFlight).toBeLessThanOrEqual(CONCURRENCY);
        expect(stack.backend.peakInFlight).toBeGreaterThan(1);
      } finally {
        stack.backend.setFaults({ latencyMs: 0 });
      }
    });

    it('ends the window at asOf: rows created after it are left out', async () => {
      const asOf = new Date(SEED_NOW.getTime() - 10 * 86_400_000);
      const expected = expectedAnalytics(all, asOf, 20);
      expect(all.filter((row) => Date.parse(row.created_at) > asOf.getTime()).length).toBeGreaterThan(1000);
      const { body } = await stack.gql(ANALYTICS, { days: 20, asOf: asOf.toISOString() });
      expect(roundFloats(body.data!.assignmentAnalytics)).toEqual(roundFloats(expected));
    });

    it('combines the window with any of the filters (a later createdAfter wins, strictly after: 1 µs later upstream)', async () => {
      const createdAfter = new Date(SEED_NOW.getTime() - 5 * 86_400_000);
      const scoped = all.filter((row) => row.project === 2 && row.priority === 3 && row.created_at > createdAfter.toISOString().replace('Z', '000Z'));
      const { body } = await stack.gql(ANALYTICS, { filter: { project: '2', priority: 3, createdAfter: createdAfter.toISOString() } });
      expect(roundFloats(body.data!.assignmentAnalytics)).toEqual(roundFloats(expectedAnalytics(scoped, SEED_NOW, 30)));
      expect(lists()[0]!.query).toMatchObject({ project: '2', priority: '3', created_after: createdAfter.toISOString().replace('Z', '001Z') });
    });

    it('refuses days outside 1 to 3650 before any upstream call', async () => {
      for (const days of [0, 3651]) {
        const { body } = await stack.gql(ANALYTICS, { days });
        expect(body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      }
      expect(stack.backend.requests).toHaveLength(0);
    });
  });
});
