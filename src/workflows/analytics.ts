import type { AssigneePerformance, ResolversParentTypes } from '../__generated__/resolvers-types.ts';
import { Instant, WIRE_STATUSES, type WireAssignment, type WireAssignmentFilter, type WireStatus } from '../contract/index.ts';
import { epochMicros } from './timestamps.ts';

export const DEFAULT_ANALYTICS_DAYS = 30;
/** Ten years: enough for any report, and keeps `asOf - days` a valid date. */
export const MAX_ANALYTICS_DAYS = 3650;

const DAY_MICROS = 86_400_000_000;
const HOUR_MICROS = 3_600_000_000;

/** The creation-time window of a report: `from` and `to` both included, to the microsecond. */
export interface AnalyticsWindow {
  from: Instant;
  to: Instant;
}

export function analyticsWindow(asOf: Instant, days: number): AnalyticsWindow {
  return { from: asOf.plusMicros(-days * DAY_MICROS), to: asOf };
}

/**
 * The upstream filter of a report: the caller's, with `created_after` moved up to the
 * window start unless the caller's is later. The upstream has no "created before", so
 * the window's end is applied in memory by the accumulator.
 */
export function analyticsFilter(filter: WireAssignmentFilter, window: AnalyticsWindow): WireAssignmentFilter {
  const callerAfter = filter.created_after;
  const keepCaller = callerAfter !== undefined && epochMicros(callerAfter) > window.from.epochMicros;
  return { ...filter, created_after: keepCaller ? callerAfter : window.from.toString() };
}

/** One entry of `statusBreakdown`; the GraphQL layer names the status (codegen mapper of StatusCount). */
export interface StatusCountModel {
  status: WireStatus;
  count: number;
}

/** Counts of one population (everyone, or one assignee). */
interface Tally {
  total: number;
  byStatus: Record<WireStatus, number>;
  /** Sum of creation-to-completion hours over completed rows. */
  completedHours: number;
}

export interface AnalyticsAccumulator {
  /** Counts one page of rows; rows created outside the window are ignored. */
  add(rows: readonly WireAssignment[]): void;
  /** Entries retained: one per distinct assignee, whatever the number of rows added. */
  size(): number;
  result(): ResolversParentTypes['AssignmentAnalytics'];
}

/**
 * The seed's analytics as a streaming fold: pages go in as they arrive and are
 * dropped, so memory is bounded by the pages in flight plus one tally per assignee,
 * not by the number of assignments. Every status has a counter up front, so a
 * `rejected` row is counted like any other (the seed's dict lacked that key).
 */
export function createAnalyticsAccumulator(window: AnalyticsWindow): AnalyticsAccumulator {
  const fromMicros = window.from.epochMicros;
  const toMicros = window.to.epochMicros;
  const overall = emptyTally();
  const perAssignee = new Map<number, Tally>();
  return {
    add(rows) {
      for (const row of rows) {
        const created = epochMicros(row.created_at);
        if (created < fromMicros || created > toMicros) continue;
        const hours = row.status === 'completed' ? (epochMicros(row.updated_at) - created) / HOUR_MICROS : 0;
        count(overall, row.status, hours);
        // Unassigned rows count in the totals only, as in the seed.
        if (row.assignee === null) continue;
        let tally = perAssignee.get(row.assignee);
        if (!tally) perAssignee.set(row.assignee, (tally = emptyTally()));
        count(tally, row.status, hours);
      }
    },
    size: () => perAssignee.size,
    result() {
      return {
        from: window.from,
        to: window.to,
        totalAssignments: overall.total,
        statusBreakdown: WIRE_STATUSES.map((status): StatusCountModel => ({ status, count: overall.byStatus[status] })),
        assigneePerformance: [...perAssignee]
          .sort(([a], [b]) => a - b)
          .map(([assigneeId, tally]): AssigneePerformance => ({
            assigneeId,
            total: tally.total,
            pending: tally.byStatus.pending,
            inProgress: tally.byStatus.in_progress,
            completed: tally.byStatus.completed,
            rejected: tally.byStatus.rejected,
            completionRate: completionRate(tally),
            averageHoursToComplete: averageHours(tally),
          })),
        completionRate: completionRate(overall),
        averageHoursToComplete: averageHours(overall),
      };
    },
  };
}

function emptyTally(): Tally {
  return { total: 0, byStatus: { pending: 0, in_progress: 0, completed: 0, rejected: 0 }, completedHours: 0 };
}

function count(tally: Tally, status: WireStatus, completedHours: number): void {
  tally.total++;
  tally.byStatus[status]++;
  tally.completedHours += completedHours;
}

function completionRate(tally: Tally): number {
  return tally.total === 0 ? 0 : tally.byStatus.completed / tally.total;
}

function averageHours(tally: Tally): number | null {
  return tally.byStatus.completed === 0 ? null : tally.completedHours / tally.byStatus.completed;
}
