import { describe, expect, it } from 'vitest';
import { createWorkloadAccumulator } from '../../src/workflows/queue.ts';
import { row } from './rows.ts';

describe('createWorkloadAccumulator', () => {
  it('counts every page, per assignee, sorted; capacity is strictly below the limit', () => {
    const workload = createWorkloadAccumulator();
    workload.add([row({ id: 1, assignee: 7 }), row({ id: 2, assignee: 3 }), row({ id: 3, assignee: 7 })]);
    workload.add([row({ id: 4, assignee: 7 }), row({ id: 5, assignee: null })]);
    expect(workload.result(3)).toEqual({
      inProgressCount: 5,
      userWorkload: [
        { assigneeId: 3, inProgress: 1 },
        { assigneeId: 7, inProgress: 3 },
      ],
      availableAssigneeIds: [3],
    });
    expect(workload.result(4).availableAssigneeIds).toEqual([3, 7]);
  });

  it('knows the given reviewers from the start: an idle one is in the workload with 0 and available', () => {
    const workload = createWorkloadAccumulator([9, 7]);
    workload.add([row({ id: 1, assignee: 7 }), row({ id: 2, assignee: 3 }), row({ id: 3, assignee: 7 })]);
    expect(workload.result(2)).toEqual({
      inProgressCount: 3,
      userWorkload: [
        { assigneeId: 3, inProgress: 1 },
        { assigneeId: 7, inProgress: 2 },
        { assigneeId: 9, inProgress: 0 },
      ],
      availableAssigneeIds: [3, 9],
    });
  });

  it('answers an empty queue', () => {
    expect(createWorkloadAccumulator().result(10)).toEqual({ inProgressCount: 0, userWorkload: [], availableAssigneeIds: [] });
  });
});
