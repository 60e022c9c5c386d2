import { describe, expect, it } from 'vitest';
import { Instant, type WireAssignment, type WireStatus } from '../../src/contract/index.ts';
import { loadConfig } from '../../src/config.ts';
import { analyticsFilter, analyticsWindow, createAnalyticsAccumulator, DEFAULT_EXACT_LIMIT } from '../../src/workflows/analytics.ts';
import { epochMicros } from '../../src/workflows/timestamps.ts';
import { row } from './rows.ts';

const AS_OF = Instant.parse('2026-11-20T12:00:00.000Z')!;
const window = analyticsWindow(AS_OF, 30);

describe('analyticsWindow and analyticsFilter', () => {
  it('spans `days` before asOf', () => {
    expect(window.from.toString()).toBe('2026-10-21T12:00:00.000000Z');
    expect(window.to).toBe(AS_OF);
  });

  it('keeps the microseconds of asOf in both bounds', () => {
    const exact = analyticsWindow(Instant.parse('2026-11-20T12:00:00.123456Z')!, 1);
    expect([exact.from.toString(), exact.to.toString()]).toEqual(['2026-11-19T12:00:00.123456Z', '2026-11-20T12:00:00.123456Z']);
    const accumulator = createAnalyticsAccumulator(exact);
    accumulator.add([
      row({ id: 1, created_at: '2026-11-19T12:00:00.123455Z' }),
      row({ id: 2, created_at: '2026-11-19T12:00:00.123456Z' }),
      row({ id: 3, created_at: '2026-11-20T12:00:00.123456Z' }),
      row({ id: 4, created_at: '2026-11-20T12:00:00.123457Z' }),
    ]);
    expect(accumulator.result().totalAssignments).toBe(2);
  });

  it('reaches completions through updated_after when asked, leaving the caller\'s created_after as a scope', () => {
    expect(analyticsFilter({ project: 1, created_after: '2026-01-01T00:00:00.000Z' }, window, 'updated')).toEqual({
      project: 1,
      created_after: '2026-01-01T00:00:00.000Z',
      updated_after: '2026-10-21T12:00:00.000000Z',
    });
    expect(analyticsFilter({ updated_after: '2026-11-01T00:00:00.000Z' }, window, 'updated').updated_after).toBe('2026-11-01T00:00:00.000Z');
  });

  it('narrows created_after to the window start unless the caller asked for a later one', () => {
    expect(analyticsFilter({ project: 1 }, window)).toEqual({ project: 1, created_after: '2026-10-21T12:00:00.000000Z' });
    expect(analyticsFilter({ created_after: '2026-01-01T00:00:00.000Z' }, window).created_after).toBe('2026-10-21T12:00:00.000000Z');
    expect(analyticsFilter({ created_after: '2026-11-01T00:00:00.000Z' }, window).created_after).toBe('2026-11-01T00:00:00.000Z');
  });
});

describe('createAnalyticsAccumulator', () => {
  it('counts rejected assignments per assignee (the seed crashed with a KeyError on them)', () => {
    const accumulator = createAnalyticsAccumulator(window);
    accumulator.add([row({ id: 1, assignee: 5, status: 'rejected' })]);
    const result = accumulator.result();
    expect(result.assigneePerformance).toEqual([
      {
        assigneeId: 5,
        total: 1,
        pending: 0,
        inProgress: 0,
        completed: 0,
        rejected: 1,
        completionRate: 0,
        averageHoursToComplete: null,
        completedPerDay: 0,
        hoursToComplete: null,
      },
    ]);
    // In REST form: the GraphQL layer names the statuses (StatusCount.status).
    expect(result.statusBreakdown).toEqual([
      { status: 'pending', count: 0 },
      { status: 'in_progress', count: 0 },
      { status: 'completed', count: 0 },
      { status: 'rejected', count: 1 },
    ]);
  });

  it('computes the seed figures over pages; unassigned rows count in totals only', () => {
    const accumulator = createAnalyticsAccumulator(window);
    accumulator.add([
      row({ id: 1, assignee: 2, status: 'completed', created_at: '2026-11-10T00:00:00.000000Z', updated_at: '2026-11-10T10:00:00.000000Z' }),
      row({ id: 2, assignee: 2, status: 'in_progress' }),
    ]);
    accumulator.add([
      row({ id: 3, assignee: 1, status: 'completed', created_at: '2026-11-10T00:00:00.000000Z', updated_at: '2026-11-11T02:00:00.000000Z' }),
      row({ id: 4, assignee: null, status: 'completed', created_at: '2026-11-10T00:00:00.000000Z', updated_at: '2026-11-10T02:00:00.000000Z' }),
      row({ id: 5, assignee: null, status: 'pending' }),
    ]);
    const result = accumulator.result();
    expect(result.totalAssignments).toBe(5);
    expect(result.completionRate).toBe(3 / 5);
    expect(result.averageHoursToComplete).toBe((10 + 26 + 2) / 3);
    const one = (hours: number) => ({ count: 1, p50: hours, p90: hours, p99: hours, max: hours, exact: true });
    expect(result.assigneePerformance).toEqual([
      {
        assigneeId: 1,
        total: 1,
        pending: 0,
        inProgress: 0,
        completed: 1,
        rejected: 0,
        completionRate: 1,
        averageHoursToComplete: 26,
        completedPerDay: 1 / 30,
        hoursToComplete: one(26),
      },
      {
        assigneeId: 2,
        total: 2,
        pending: 0,
        inProgress: 1,
        completed: 1,
        rejected: 0,
        completionRate: 0.5,
        averageHoursToComplete: 10,
        completedPerDay: 1 / 30,
        hoursToComplete: one(10),
      },
    ]);
    expect(result.hoursToComplete).toEqual({ count: 3, p50: 10, p90: 10, p99: 10, max: 26, exact: true });
  });

  it('leaves out rows created before the window or after asOf, to the microsecond', () => {
    const accumulator = createAnalyticsAccumulator(window);
    accumulator.add([
      row({ id: 1, created_at: '2026-10-21T12:00:00.000000Z' }),
      row({ id: 2, created_at: '2026-11-20T12:00:00.000000Z' }),
      row({ id: 3, created_at: '2026-10-21T11:59:59.999999Z' }),
      row({ id: 4, created_at: '2026-11-20T12:00:00.000001Z' }),
    ]);
    expect(accumulator.result().totalAssignments).toBe(2);
  });

  it('answers an empty window with zeros and null averages', () => {
    const result = createAnalyticsAccumulator(window).result();
    expect(result).toMatchObject({ totalAssignments: 0, completionRate: 0, averageHoursToComplete: null, assigneePerformance: [] });
    expect(result.statusBreakdown.map((s) => s.count)).toEqual([0, 0, 0, 0]);
  });

  it('keeps one entry per assignee over 200,000 rows fed page by page', () => {
    const statuses: WireStatus[] = ['pending', 'in_progress', 'completed', 'rejected'];
    const assignees = 50;
    const pageSize = 1000;
    const accumulator = createAnalyticsAccumulator(window);
    let total = 0;
    const perStatus = [0, 0, 0, 0];
    for (let page = 0; page < 200; page++) {
      const rows: WireAssignment[] = Array.from({ length: pageSize }, (_, i) => {
        const n = page * pageSize + i;
        perStatus[n % 4]!++;
        return row({ id: n + 1, status: statuses[n % 4]!, assignee: n % 7 === 0 ? null : n % assignees, created_at: '2026-11-01T00:00:00.000000Z', updated_at: '2026-11-01T05:00:00.000000Z' });
      });
      accumulator.add(rows);
      total += rows.length;
      expect(accumulator.size()).toBeLessThanOrEqual(assignees);
    }
    const result = accumulator.result();
    expect(total).toBe(200_000);
    expect(result.totalAssignments).toBe(200_000);
    expect(result.statusBreakdown.map((s) => s.count)).toEqual(perStatus);
    expect(result.averageHoursToComplete).toBeCloseTo(5, 9);
    expect(result.assigneePerformance).toHaveLength(assignees);
    expect(result.assigneePerformance.reduce((sum, a) => sum + a.total, 0)).toBe(200_000 - Math.ceil(200_000 / 7));
  });
});

describe('epochMicros', () => {
  it('keeps the microseconds Date.parse drops, with or without them and with offsets', () => {
    expect(epochMicros('2026-11-20T12:00:00.000001Z') - epochMicros('2026-11-20T12:00:00Z')).toBe(1);
    expect(epochMicros('2026-11-20T12:00:00.5Z')).toBe(Date.parse('2026-11-20T12:00:00.500Z') * 1000);
    expect(epochMicros('2026-11-20T13:00:00.123456+01:00')).toBe(Date.parse('2026-11-20T12:00:00.123Z') * 1000 + 456);
  });
});

describe('ANALYTICS_EXACT_LIMIT', () => {
  it('defaults to the accumulator\'s own default, reads a value, and refuses a negative one', () => {
    expect(loadConfig({}).analytics.exactLimit).toBe(DEFAULT_EXACT_LIMIT);
    expect(loadConfig({ ANALYTICS_EXACT_LIMIT: '0' }).analytics.exactLimit).toBe(0);
    expect(() => loadConfig({ ANALYTICS_EXACT_LIMIT: '-1' })).toThrow(/ANALYTICS_EXACT_LIMIT="-1"/);
  });
});
