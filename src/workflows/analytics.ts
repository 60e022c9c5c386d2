import { Instant, WIRE_STATUSES, type WireAssignment, type WireAssignmentFilter, type WireStatus } from '../contract/index.ts';
import { createDistributionPool, type Distribution, type DistributionPool, type PercentilesModel } from './percentiles.ts';
import { bucketIndex, bucketsCovering, type BucketSize, type TimeBucket } from './time-buckets.ts';
import { epochMicros } from './timestamps.ts';

export const DEFAULT_ANALYTICS_DAYS = 30;
/** Ten years: enough for any report, and keeps `asOf - days` a valid date. */
export const MAX_ANALYTICS_DAYS = 3650;

const DAY_MICROS = 86_400_000_000;
const HOUR_MS = 3_600_000;
const HOUR_MICROS = 3_600_000_000;

/**
 * The window of a report, `from` and `to` both included (by creation time or completion
 * time, per figure), to the microsecond.
 */
export interface AnalyticsWindow {
  from: Instant;
  to: Instant;
}

export function analyticsWindow(asOf: Instant, days: number): AnalyticsWindow {
  return { from: asOf.plusMicros(-days * DAY_MICROS), to: asOf };
}

/**
 * The upstream filter of a report. Figures over the window's *created* assignments
 * need the caller's filter with `created_after` moved up to the window start (unless
 * the caller's is later). Figures over what was *completed or rejected* in the
 * window (`series`, `completedPerDay`) also need rows created before it: since
 * `updated_at >= created_at`, `updated_after = from` covers both populations in one
 * read, and the caller's own `created_after` stays a scope. The upstream has no
 * "before" filter, so the window's end is applied in memory by the accumulator.
 */
export function analyticsFilter(
  filter: WireAssignmentFilter,
  window: AnalyticsWindow,
  reach: AnalyticsReach = 'created',
): WireAssignmentFilter {
  const key = reach === 'created' ? 'created_after' : 'updated_after';
  const callerAfter = filter[key];
  const keepCaller = callerAfter !== undefined && epochMicros(callerAfter) > window.from.epochMicros;
  return { ...filter, [key]: keepCaller ? callerAfter : window.from.toString() };
}

/**
 * What a report reads: assignments created in the window, or also those completed
 * or rejected in it (see analyticsFilter).
 */
export type AnalyticsReach = 'created' | 'updated';

/** One entry of `statusBreakdown`; the GraphQL layer names the status (codegen mapper of StatusCount). */
export interface StatusCountModel {
  status: WireStatus;
  count: number;
}

/** One series a report is asked for; `key` is how the GraphQL layer finds it again. */
export interface SeriesRequest {
  key: string;
  bucket: BucketSize;
  /** Canonical IANA name (see canonicalTimeZone). */
  timeZone: string;
}

export interface AnalyticsOptions {
  /** Series to build in the same pass, one per distinct (bucket, zone). */
  series?: readonly SeriesRequest[];
  /** Percentiles stay exact while the report holds at most this many completion times (see percentiles.ts). */
  exactLimit?: number;
}

/** Default of ANALYTICS_EXACT_LIMIT: exact percentiles for reports of up to 100,000 completions. */
export const DEFAULT_EXACT_LIMIT = 100_000;

/** One bucket of a series, as the GraphQL layer shows it. */
export interface SeriesPointModel {
  date: string;
  start: Date;
  end: Date;
  hours: number;
  created: number;
  completed: number;
  rejected: number;
  medianHoursToComplete: number | null;
}

/** Figures of one assignee (codegen mapper of AssigneePerformance). */
export interface AssigneePerformanceModel {
  assigneeId: number;
  total: number;
  pending: number;
  inProgress: number;
  completed: number;
  rejected: number;
  completionRate: number;
  averageHoursToComplete: number | null;
  completedPerDay: number;
  hoursToComplete: PercentilesModel | null;
}

/** A report before the GraphQL layer adds what needs reads of its own (the backlog). */
export interface AnalyticsResult {
  from: Instant;
  to: Instant;
  totalAssignments: number;
  statusBreakdown: StatusCountModel[];
  assigneePerformance: AssigneePerformanceModel[];
  completionRate: number;
  averageHoursToComplete: number | null;
  hoursToComplete: PercentilesModel | null;
  /** Each requested series by its key. */
  series: Map<string, SeriesPointModel[]>;
}

/** Counts of one population (everyone, or one assignee) over the assignments created in the window. */
interface Tally {
  total: number;
  byStatus: Record<WireStatus, number>;
  /** Sum of creation-to-completion hours over completed rows. */
  completedHours: number;
  hours: Distribution;
}

/** One assignee: the window's created assignments, and what they completed in the window. */
interface AssigneeTally extends Tally {
  completedInWindow: number;
}

/** A series under construction: bucket bounds plus one counter (and one distribution) per bucket. */
interface SeriesState {
  request: SeriesRequest;
  buckets: TimeBucket[];
  /** Bucket starts in ms, for the binary search of each timestamp. */
  starts: Float64Array;
  lastEnd: number;
  created: Uint32Array;
  completed: Uint32Array;
  rejected: Uint32Array;
  hours: Distribution[];
}

export interface AnalyticsAccumulator {
  /** Counts one page of rows; rows outside the window are ignored. */
  add(rows: readonly WireAssignment[]): void;
  /** Entries retained: one per distinct assignee, whatever the number of rows added. */
  size(): number;
  result(): AnalyticsResult;
}

/**
 * The seed's analytics and the dashboard's figures as one streaming fold: pages go in
 * as they arrive and are dropped, so memory is bounded by the pages in flight, one
 * tally per assignee and one counter per bucket (plus the completion times kept for
 * exact percentiles, at most `exactLimit` of them, then sketches), never by the
 * number of assignments. Every status has a counter up front, so a `rejected` row is
 * counted like any other (the seed's dict lacked that key).
 *
 * Two populations, each with its own clock:
 * - created in the window (`from` ≤ createdAt ≤ `to`): totals, breakdown, rates,
 *   average and percentiles of hours to complete, per assignee too, and `created`
 *   per bucket;
 * - completed or rejected in the window, by `updatedAt` (the SDK's completion time):
 *   `completed`, `rejected` and the median per bucket, and `completedPerDay`. These
 *   need the wider read of analyticsFilter(…, 'updated').
 */
export function createAnalyticsAccumulator(window: AnalyticsWindow, options: AnalyticsOptions = {}): AnalyticsAccumulator {
  const fromMicros = window.from.epochMicros;
  const toMicros = window.to.epochMicros;
  const pool = createDistributionPool(options.exactLimit ?? DEFAULT_EXACT_LIMIT);
  const overall = emptyTally(pool);
  const perAssignee = new Map<number, AssigneeTally>();
  const series = (options.series ?? []).map((request) => seriesState(request, window, pool));
  const assignee = (id: number) => {
    let tally = perAssignee.get(id);
    if (!tally) perAssignee.set(id, (tally = { ...emptyTally(pool), completedInWindow: 0 }));
    return tally;
  };
  return {
    add(rows) {
      for (const row of rows) {
        const created = epochMicros(row.created_at);
        const finished = row.status === 'completed' || row.status === 'rejected';
        const updated = finished ? epochMicros(row.updated_at) : created;
        const hours = row.status === 'completed' ? (updated - created) / HOUR_MICROS : 0;
        if (created >= fromMicros && created <= toMicros) {
          count(overall, row.status, hours);
          // Unassigned rows count in the totals only, as in the seed.
          if (row.assignee !== null) count(assignee(row.assignee), row.status, hours);
          for (const state of series) {
            const i = bucketIndex(state.starts, state.lastEnd, created / 1000);
            if (i >= 0) state.created[i]!++;
          }
        }
        if (!finished || updated < fromMicros || updated > toMicros) continue;
        if (row.status === 'completed' && row.assignee !== null) assignee(row.assignee).completedInWindow++;
        for (const state of series) {
          const i = bucketIndex(state.starts, state.lastEnd, updated / 1000);
          if (i < 0) continue;
          if (row.status === 'rejected') state.rejected[i]!++;
          else {
            state.completed[i]!++;
            state.hours[i]!.add(hours);
          }
        }
      }
    },
    size: () => perAssignee.size,
    result() {
      const days = (toMicros - fromMicros) / DAY_MICROS;
      return {
        from: window.from,
        to: window.to,
        totalAssignments: overall.total,
        statusBreakdown: WIRE_STATUSES.map((status): StatusCountModel => ({ status, count: overall.byStatus[status] })),
        assigneePerformance: [...perAssignee]
          .sort(([a], [b]) => a - b)
          .map(([assigneeId, tally]): AssigneePerformanceModel => ({
            assigneeId,
            total: tally.total,
            pending: tally.byStatus.pending,
            inProgress: tally.byStatus.in_progress,
            completed: tally.byStatus.completed,
            rejected: tally.byStatus.rejected,
            completionRate: completionRate(tally),
            averageHoursToComplete: averageHours(tally),
            completedPerDay: tally.completedInWindow / days,
            hoursToComplete: tally.hours.percentiles(),
          })),
        completionRate: completionRate(overall),
        averageHoursToComplete: averageHours(overall),
        hoursToComplete: overall.hours.percentiles(),
        series: new Map(series.map((state) => [state.request.key, seriesPoints(state)])),
      };
    },
  };
}

function seriesState(request: SeriesRequest, window: AnalyticsWindow, pool: DistributionPool): SeriesState {
  const buckets = bucketsCovering(window.from.toDate(), window.to.toDate(), request.bucket, request.timeZone);
  const n = buckets.length;
  return {
    request,
    buckets,
    starts: Float64Array.from(buckets, (bucket) => bucket.startMs),
    lastEnd: buckets.at(-1)?.endMs ?? 0,
    created: new Uint32Array(n),
    completed: new Uint32Array(n),
    rejected: new Uint32Array(n),
    hours: Array.from({ length: n }, () => pool.create()),
  };
}

function seriesPoints(state: SeriesState): SeriesPointModel[] {
  return state.buckets.map((bucket, i) => ({
    date: bucket.date,
    start: new Date(bucket.startMs),
    end: new Date(bucket.endMs),
    hours: (bucket.endMs - bucket.startMs) / HOUR_MS,
    created: state.created[i]!,
    completed: state.completed[i]!,
    rejected: state.rejected[i]!,
    medianHoursToComplete: state.hours[i]!.quantile(0.5),
  }));
}

function emptyTally(pool: DistributionPool): Tally {
  return { total: 0, byStatus: { pending: 0, in_progress: 0, completed: 0, rejected: 0 }, completedHours: 0, hours: pool.create() };
}

function count(tally: Tally, status: WireStatus, completedHours: number): void {
  tally.total++;
  tally.byStatus[status]++;
  if (status !== 'completed') return;
  tally.completedHours += completedHours;
  tally.hours.add(completedHours);
}

function completionRate(tally: Tally): number {
  return tally.total === 0 ? 0 : tally.byStatus.completed / tally.total;
}

function averageHours(tally: Tally): number | null {
  return tally.byStatus.completed === 0 ? null : tally.completedHours / tally.byStatus.completed;
}

/** The queue now (codegen mapper of AnalyticsBacklog). */
export interface BacklogModel {
  pending: number;
  inProgress: number;
  oldestPendingAgeHours: number | null;
}

/**
 * The backlog from two one-row reads: the oldest pending assignment (its page's count
 * is the pending count) and the in-progress count. A status the caller's filter
 * excludes counts 0 and is not read (`null` here).
 */
export function summarizeBacklog(
  pending: { count: number; oldest: WireAssignment | undefined } | null,
  inProgressCount: number | null,
  now: Date,
): BacklogModel {
  const oldest = pending?.oldest;
  return {
    pending: pending?.count ?? 0,
    inProgress: inProgressCount ?? 0,
    oldestPendingAgeHours: oldest ? (now.getTime() * 1000 - epochMicros(oldest.created_at)) / HOUR_MICROS : null,
  };
}
