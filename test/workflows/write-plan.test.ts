import { describe, expect, it } from 'vitest';
import { parseTagName } from '../../src/workflows/input.ts';
import { planTagWrites, type TagAssignment } from '../../src/workflows/write-plan.ts';
import { tagTable } from './rows.ts';

describe('planTagWrites', () => {
  const tags = tagTable({ 1: ['urgent', 'archived'], 2: ['urgent'] });

  it('makes one write per (project, tag), whatever the number of assignments', () => {
    const items: TagAssignment[] = [
      { projectId: 1, assignmentId: 5, tagName: 'urgent' },
      { projectId: 2, assignmentId: 6, tagName: 'urgent' },
      { projectId: 1, assignmentId: 1, tagName: 'urgent' },
      { projectId: 1, assignmentId: 9, tagName: 'archived' },
      { projectId: 1, assignmentId: 5, tagName: 'urgent' },
    ];
    expect(planTagWrites(items, tags)).toEqual([
      { projectId: 1, tagIds: [100], assignmentIds: [1, 5] },
      { projectId: 1, tagIds: [101], assignmentIds: [9] },
      { projectId: 2, tagIds: [200], assignmentIds: [6] },
    ]);
  });

  it('splits a tag of 2,500 assignments into writes of at most 1,000 ids', () => {
    const items = Array.from({ length: 2500 }, (_, i) => ({ projectId: 1, assignmentId: 2500 - i, tagName: 'urgent' }));
    const writes = planTagWrites(items, tags);
    expect(writes.map((w) => w.assignmentIds.length)).toEqual([1000, 1000, 500]);
    expect(writes.flatMap((w) => w.assignmentIds)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
  });

  it('refuses a tag that was not resolved (workflows must refuse unknown names before planning)', () => {
    expect(() => planTagWrites([{ projectId: 2, assignmentId: 1, tagName: 'archived' }], tags)).toThrow(/archived/);
  });
});

describe('parseTagName', () => {
  it('trims, and refuses empty or over-long names at the given field', () => {
    expect(parseTagName('  urgent ', ['x'])).toEqual({ name: 'urgent' });
    for (const bad of ['   ', 'x'.repeat(101)]) {
      const parsed = parseTagName(bad, ['input', 'tiers', 0, 'tagName']);
      expect(parsed).toMatchObject({ error: { code: 'INVALID', field: ['input', 'tiers', '0', 'tagName'] } });
    }
  });
});
