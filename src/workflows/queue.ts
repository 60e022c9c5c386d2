import type { WireAssignment } from '../contract/index.ts';

/** The seed's default capacity per assignee. */
export const DEFAULT_MAX_ASSIGNMENTS_PER_USER = 10;
/** Upper bound of `maxAssignmentsPerUser`: beyond it every assignee "has capacity" anyway. */
export const MAX_ASSIGNMENTS_PER_USER_LIMIT = 100_000;
/** Most reviewers `assigneeIds` may name. */
export const MAX_QUEUE_ASSIGNEE_IDS = 1000;

/** The queue figures derived from in-progress rows; `pendingCount` comes from the upstream count. */
export interface QueueWorkload {
  inProgressCount: number;
  /** In-progress assignments per known assignee, by assignee id. */
  userWorkload: { assigneeId: number; inProgress: number }[];
  availableAssigneeIds: number[];
}

/**
 * Counts in-progress assignments per assignee, fed page by page: it keeps one counter
 * per assignee, never the rows, so the whole in-progress list is never in memory.
 * Rows without an assignee count in the total but belong to nobody's workload.
 * `knownAssignees` (the caller's reviewers) start at 0, so an idle one is in the
 * workload and, under capacity, available; without it only assignees with in-progress
 * rows are known, as in the SDK.
 */
export function createWorkloadAccumulator(knownAssignees: Iterable<number> = []): {
  add(rows: readonly WireAssignment[]): void;
  result(maxAssignmentsPerUser: number): QueueWorkload;
} {
  const perAssignee = new Map<number, number>([...knownAssignees].map((id) => [id, 0]));
  let inProgressCount = 0;
  return {
    add(rows) {
      for (const row of rows) {
        inProgressCount++;
        if (row.assignee !== null) perAssignee.set(row.assignee, (perAssignee.get(row.assignee) ?? 0) + 1);
      }
    },
    result(maxAssignmentsPerUser) {
      const sorted = [...perAssignee].sort(([a], [b]) => a - b);
      return {
        inProgressCount,
        userWorkload: sorted.map(([assigneeId, inProgress]) => ({ assigneeId, inProgress })),
        availableAssigneeIds: sorted.filter(([, count]) => count < maxAssignmentsPerUser).map(([assigneeId]) => assigneeId),
      };
    },
  };
}
