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
  const assignees = [...new Set(inWindow.map((row) => row.assignee).filter((a) => a !== null))].sort((a, b) => a! - b!);
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
