import { describe, expect, it } from 'vitest';
import { createAssigneeGrouper, parseTiers, pickTier, planAssigneeTiers } from '../../src/workflows/assignee-tiers.ts';
import { row } from './rows.ts';

describe('parseTiers', () => {
  it('defaults to the seed tiers, highest first', () => {
    const { tiers, tags, userErrors } = parseTiers({});
    expect(userErrors).toEqual([]);
    expect(tiers).toEqual([
      { minAssignments: 50, tagName: 'high_performer' },
      { minAssignments: 20, tagName: 'regular_performer' },
      { minAssignments: 0, tagName: 'new_contributor' },
    ]);
    expect(tags.map((t) => t.field.join('.'))).toEqual(['input.tiers.0.tagName', 'input.tiers.1.tagName', 'input.tiers.2.tagName']);
  });

  it('sorts given tiers and refuses empty, too many, duplicate thresholds and bad names', () => {
    expect(parseTiers({ tiers: [{ minAssignments: 1, tagName: 'a' }, { minAssignments: 9, tagName: 'b' }] }).tiers.map((t) => t.tagName)).toEqual(['b', 'a']);
    const codes = (tiers: { minAssignments: number; tagName: string }[]) =>
      parseTiers({ tiers }).userErrors.map((e) => `${e.code} ${e.field?.join('.')}`);
    expect(codes([])).toEqual(['INVALID input.tiers']);
    expect(codes(Array.from({ length: 21 }, (_, i) => ({ minAssignments: i, tagName: 't' })))).toEqual(['TOO_MANY input.tiers']);
    expect(codes([{ minAssignments: 5, tagName: 'a' }, { minAssignments: 5, tagName: 'b' }])).toEqual(['INVALID input.tiers.1.minAssignments']);
    expect(codes([{ minAssignments: 5, tagName: '' }])).toEqual(['INVALID input.tiers.0.tagName']);
  });
});

describe('pickTier', () => {
  const { tiers } = parseTiers({});
  it('gives the highest tier reached, boundaries included', () => {
    expect(pickTier(50, tiers)!.tagName).toBe('high_performer');
    expect(pickTier(49, tiers)!.tagName).toBe('regular_performer');
    expect(pickTier(20, tiers)!.tagName).toBe('regular_performer');
    expect(pickTier(19, tiers)!.tagName).toBe('new_contributor');
    expect(pickTier(1, tiers)!.tagName).toBe('new_contributor');
  });
  it('gives none when no tier is reached', () => {
    expect(pickTier(3, parseTiers({ tiers: [{ minAssignments: 5, tagName: 'x' }] }).tiers)).toBeNull();
  });
});

describe('createAssigneeGrouper and planAssigneeTiers', () => {
  it('groups across pages and projects, leaves unassigned rows out, and tags each group with its tier', () => {
    const grouper = createAssigneeGrouper();
    grouper.add([row({ id: 3, assignee: 8 }), row({ id: 1, assignee: 8, project: 2 }), row({ id: 2, assignee: null })]);
    grouper.add([row({ id: 4, assignee: 5 }), row({ id: 5, assignee: 8 })]);
    const { tiers } = parseTiers({ tiers: [{ minAssignments: 3, tagName: 'many' }, { minAssignments: 2, tagName: 'some' }] });
    const plan = planAssigneeTiers(grouper.groups(), tiers);
    expect(plan.groups).toEqual([
      { assigneeId: 5, assignmentCount: 1, tagName: null, assignmentIds: [4] },
      { assigneeId: 8, assignmentCount: 3, tagName: 'many', assignmentIds: [1, 3, 5] },
    ]);
    expect(plan.items).toEqual([
      { projectId: 1, assignmentId: 3, tagName: 'many' },
      { projectId: 2, assignmentId: 1, tagName: 'many' },
      { projectId: 1, assignmentId: 5, tagName: 'many' },
    ]);
    expect(plan.summary).toEqual([
      { tagName: 'many', count: 3 },
      { tagName: 'some', count: 0 },
    ]);
  });
});
