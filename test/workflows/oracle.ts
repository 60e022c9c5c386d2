import type { WireAssignment } from '../../src/contract/index.ts';

/**
 * The seed's workflows written out plainly over raw REST rows, as the expected answers
 * of the e2e tests. Deliberately naive: every row in memory, no streaming, no sharing
 * of code with src/workflows/.
 */

const HOUR_MS = 3_600_000;

export function expectedQueue(rows: WireAssignment[], max: number, knownAssignees: number[] = []) {
  const workload = new Map<number, number>(knownAssignees.map((id) => [id, 0]));
  for (const row of rows) {
    if (row.status === 'in_progress' && row.assignee !== null) workload.set(row.assignee, (workload.get(row.assignee) ?? 0) + 1);
  }
  const ids = [...workload.keys()].sort((a, b) => a - b);
  return {
    pendingCount: rows.filter((row) => row.status === 'pending').length,
    inProgressCount: rows.filter((row) => row.status === 'in_progress').length,
    userWorkload: ids.map((id) => ({ assigneeId: String(id), inProgress: workload.get(id)! })),
    availableAssigneeIds: ids.filter((id) => workload.get(id)! < max).map(String),
    maxAssignmentsPerUser: max,
  };
}

export function expectedAnalytics(rows: WireAssignment[], asOf: Date, days: number) {
  const from = asOf.getTime() - days * 24 * HOUR_MS;
  const inWindow = rows.filter((row) => Date.parse(row.created_at) >= from && Date.parse(row.created_at) <= asOf.getTime());
  const hours = (row: WireAssignment) => (Date.parse(row.updated_at) - Date.parse(row.created_at)) / HOUR_MS;
  const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);
  const figures = (subset: WireAssignment[]) => {
    const completed = subset.filter((row) => row.status === 'completed');
    return {
      total: subset.length,
      pending: subset.filter((row) => row.status === 'pending').length,
      inProgress: subset.filter((row) => row.status === 'in_progress').length,
      completed: completed.length,
      rejected: subset.filter((row) => row.status === 'rejected').length,
      completionRate: subset.length === 0 ? 0 : completed.length / subset.length,
      averageHoursToComplete: mean(completed.map(hours)),
    };
  };
  const all = figures(inWindow);
  // Listed: whoever has an assignment created in the window or completed in it.
  const completedInWindow = rows.filter(
    (row) => row.status === 'completed' && Date.parse(row.updated_at) >= from && Date.parse(row.updated_at) <= asOf.getTime(),
  );
  const assignees = [...new Set([...inWindow, ...completedInWindow].map((row) => row.assignee).filter((a) => a !== null))].sort(
    (a, b) => a! - b!,
  );
  return {
    // The gateway answers DateTimes as Synapse sends them: UTC with six fraction digits.
    from: new Date(from).toISOString().replace('Z', '000Z'),
    to: asOf.toISOString().replace('Z', '000Z'),
    totalAssignments: all.total,
    statusBreakdown: [
      { status: 'PENDING', count: all.pending },
      { status: 'IN_PROGRESS', count: all.inProgress },
      { status: 'COMPLETED', count: all.completed },
      { status: 'REJECTED', count: all.rejected },
    ],
    completionRate: all.completionRate,
    averageHoursToComplete: all.averageHoursToComplete,
    assigneePerformance: assignees.map((assignee) => ({
      assigneeId: String(assignee),
      ...figures(inWindow.filter((row) => row.assignee === assignee)),
    })),
  };
}

/** The value at rank ⌊q · (n − 1)⌋ of the sorted values; null when there are none. */
function rankQuantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function percentiles(values: number[]) {
  if (values.length === 0) return null;
  return {
    count: values.length,
    p50: rankQuantile(values, 0.5),
    p90: rankQuantile(values, 0.9),
    p99: rankQuantile(values, 0.99),
    max: Math.max(...values),
  };
}

/** The local calendar date of an instant in a zone, as Intl spells it (en-CA: YYYY-MM-DD). */
export function localDate(ms: number, timeZone: string): string {
  let format = dateFormats.get(timeZone);
  if (!format) dateFormats.set(timeZone, (format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  return format.format(ms);
}
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 24 * HOUR_MS).toISOString().slice(0, 10);
}

function mondayOf(date: string): string {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((weekday + 6) % 7));
}

/** Microseconds since the epoch of a DRF timestamp (`…:00.123456Z`), so hours compare exactly. */
function micros(timestamp: string): number {
  const digits = /\.(\d{1,6})/.exec(timestamp)?.[1] ?? '';
  return Date.parse(timestamp.replace(/\.\d+/, '')) * 1000 + Number(digits.padEnd(6, '0'));
}

/**
 * The dashboard figures from raw rows: each row goes to the bucket named by its local
 * date (or that date's Monday), so no bucket boundary is ever computed here.
 */
export function expectedDashboard(
  rows: WireAssignment[],
  asOf: Date,
  days: number,
  series: { bucket: 'DAY' | 'WEEK'; timeZone: string }[],
) {
  const from = asOf.getTime() - days * 24 * HOUR_MS;
  const to = asOf.getTime();
  const within = (timestamp: string) => micros(timestamp) >= from * 1000 && micros(timestamp) <= to * 1000;
  const hours = (row: WireAssignment) => (micros(row.updated_at) - micros(row.created_at)) / (HOUR_MS * 1000);
  const created = rows.filter((row) => within(row.created_at));
  const finished = rows.filter((row) => (row.status === 'completed' || row.status === 'rejected') && within(row.updated_at));
  const cohortCompleted = created.filter((row) => row.status === 'completed');
  const assignees = [...new Set([...created, ...finished.filter((row) => row.status === 'completed')].map((row) => row.assignee))]
    .filter((a): a is number => a !== null)
    .sort((a, b) => a - b);
  return {
    hoursToComplete: percentiles(cohortCompleted.map(hours)),
    assigneePerformance: assignees.map((assignee) => ({
      assigneeId: String(assignee),
      completedPerDay: finished.filter((row) => row.status === 'completed' && row.assignee === assignee).length / days,
      hoursToComplete: percentiles(cohortCompleted.filter((row) => row.assignee === assignee).map(hours)),
    })),
    series: series.map(({ bucket, timeZone }) => {
      const labels = new Map<string, string>();
      const label = (timestamp: string) => {
        let date = labels.get(timestamp);
        if (date === undefined) {
          date = localDate(Date.parse(timestamp), timeZone);
          labels.set(timestamp, (date = bucket === 'DAY' ? date : mondayOf(date)));
        }
        return date;
      };
      const dates: string[] = [];
      const last = label(new Date(to).toISOString());
      for (let date = label(new Date(from).toISOString()); date <= last; date = addDays(date, bucket === 'DAY' ? 1 : 7)) dates.push(date);
      return dates.map((date) => {
        const completedHere = finished.filter((row) => row.status === 'completed' && label(row.updated_at) === date);
        return {
          date,
          created: created.filter((row) => label(row.created_at) === date).length,
          completed: completedHere.length,
          rejected: finished.filter((row) => row.status === 'rejected' && label(row.updated_at) === date).length,
          medianHoursToComplete: rankQuantile(completedHere.map(hours), 0.5),
        };
      });
    }),
  };
}

/** The queue now, from every row of the scope. */
export function expectedBacklog(rows: WireAssignment[], now: Date) {
  const pending = rows.filter((row) => row.status === 'pending');
  const oldest = Math.min(...pending.map((row) => micros(row.created_at)));
  return {
    pending: pending.length,
    inProgress: rows.filter((row) => row.status === 'in_progress').length,
    oldestPendingAgeHours: pending.length === 0 ? null : (now.getTime() * 1000 - oldest) / (HOUR_MS * 1000),
  };
}

/** Float fields compared to 5 decimals (the gateway keeps microseconds, Date.parse milliseconds). */
export function roundFloats<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
    typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e5) / 1e5 : v,
  ) as T;
}

/** Every analytics field, with the window and scope as variables; compared with expectedAnalytics. */
export const ANALYTICS = /* GraphQL */ `
  query Analytics($filter: AssignmentFilter, $days: Int, $asOf: DateTime) {
    assignmentAnalytics(filter: $filter, days: $days, asOf: $asOf) {
      from
      to
      totalAssignments
      statusBreakdown { status count }
      completionRate
      averageHoursToComplete
      assigneePerformance { assigneeId total pending inProgress completed rejected completionRate averageHoursToComplete }
    }
  }
`;
