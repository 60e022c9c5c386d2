import { describe, expect, it } from 'vitest';
import { matchRules, parseRules, planAutomation, statusesToRead, type AutomationRule } from '../../src/workflows/automation.ts';
import { row, tagTable } from './rows.ts';

const AS_OF = new Date('2026-11-20T12:00:00.000Z');
const hoursBefore = (hours: number) => new Date(AS_OF.getTime() - hours * 3_600_000).toISOString();

describe('parseRules', () => {
  it('defaults to the seed rules', () => {
    const { rules, userErrors } = parseRules(null);
    expect(userErrors).toEqual([]);
    expect(rules).toEqual([
      { name: 'pending older than 24 h', status: 'pending', olderThanHours: 24, tagName: 'urgent' },
      { name: 'in progress older than 72 h', status: 'in_progress', olderThanHours: 72, tagName: 'escalated' },
      { name: 'completed older than 168 h', status: 'completed', olderThanHours: 168, tagName: 'archived' },
    ]);
  });

  it('refuses empty, too many, negative ages, long or duplicate names and bad tags', () => {
    const codes = (rules: AutomationRule[]) => parseRules(rules).userErrors.map((e) => `${e.code} ${e.field?.join('.')}`);
    expect(codes([])).toEqual(['INVALID input.rules']);
    expect(codes(Array.from({ length: 21 }, (_, i) => ({ name: `r${i}`, status: 'pending' as const, olderThanHours: i, tagName: 't' })))).toEqual(['TOO_MANY input.rules']);
    expect(codes([{ name: 'a', status: 'pending', olderThanHours: -1, tagName: 'x' }])).toEqual(['INVALID input.rules.0.olderThanHours']);
    expect(codes([{ name: 'a', status: 'pending', olderThanHours: Number.POSITIVE_INFINITY, tagName: 'x' }])).toEqual(['INVALID input.rules.0.olderThanHours']);
    expect(codes([{ name: 'n'.repeat(101), status: 'pending', olderThanHours: 1, tagName: 'x' }])).toEqual(['INVALID input.rules.0.name']);
    expect(
      codes([
        { name: 'a', status: 'pending', olderThanHours: 1, tagName: 'x' },
        { name: ' a ', status: 'completed', olderThanHours: 1, tagName: 'y' },
      ]),
    ).toEqual(['INVALID input.rules.1.name']);
    expect(codes([{ name: 'a', status: 'pending', olderThanHours: 1, tagName: '' }])).toEqual(['INVALID input.rules.0.tagName']);
  });
});

describe('statusesToRead', () => {
  const { rules } = parseRules([
    { name: 'a', status: 'pending', olderThanHours: 1, tagName: 'x' },
    { name: 'b', status: 'completed', olderThanHours: 1, tagName: 'y' },
    { name: 'c', status: 'pending', olderThanHours: 9, tagName: 'z' },
  ]);
  it('lists each status once, and only the filter status when one is given', () => {
    expect(statusesToRead(rules, undefined)).toEqual(['pending', 'completed']);
    expect(statusesToRead(rules, 'completed')).toEqual(['completed']);
    expect(statusesToRead(rules, 'rejected')).toEqual([]);
  });
});

describe('matchRules and planAutomation', () => {
  const { rules } = parseRules(null);
  const tags = tagTable({ 1: ['urgent', 'escalated', 'archived'], 2: ['archived', 'urgent', 'escalated'] });

  it('fires on status and an age strictly above the rule, measured from createdAt', () => {
    const rows = [
      row({ id: 1, status: 'pending', created_at: hoursBefore(24) }),
      row({ id: 2, status: 'pending', created_at: hoursBefore(24.01) }),
      row({ id: 3, status: 'in_progress', created_at: hoursBefore(100) }),
      row({ id: 4, status: 'completed', created_at: hoursBefore(100) }),
      row({ id: 5, status: 'rejected', created_at: hoursBefore(1000) }),
      row({ id: 6, status: 'completed', created_at: hoursBefore(169), updated_at: AS_OF.toISOString() }),
    ];
    const matches = matchRules(rows, rules, AS_OF);
    expect(matches.map((m) => [m.row.id, rules[m.ruleIndex]!.tagName, m.ageHours])).toEqual([
      [2, 'urgent', 24.01],
      [3, 'escalated', 100],
      [6, 'archived', 169],
    ]);
  });

  it('reports rows that already have the tag and plans writes only for the others, sorted by assignment', () => {
    const matches = matchRules(
      [
        row({ id: 9, status: 'completed', project: 2, created_at: hoursBefore(200), tags: [200] }),
        row({ id: 4, status: 'completed', project: 1, created_at: hoursBefore(200), tags: [200] }),
        row({ id: 7, status: 'pending', project: 1, created_at: hoursBefore(30), tags: [100] }),
      ],
      rules,
      AS_OF,
    );
    const plan = planAutomation(matches, rules, tags);
    expect(plan.actions.map((a) => [a.assignment.id, a.tagName, a.alreadyTagged])).toEqual([
      [4, 'archived', false],
      [7, 'urgent', true],
      [9, 'archived', true],
    ]);
    expect(plan.items).toEqual([{ projectId: 1, assignmentId: 4, tagName: 'archived' }]);
    expect(plan.summary).toEqual([
      { rule: 'pending older than 24 h', tagName: 'urgent', matched: 1, alreadyTagged: 1, newlyTagged: 0 },
      { rule: 'in progress older than 72 h', tagName: 'escalated', matched: 0, alreadyTagged: 0, newlyTagged: 0 },
      { rule: 'completed older than 168 h', tagName: 'archived', matched: 2, alreadyTagged: 1, newlyTagged: 1 },
    ]);
  });

  it('orders two rules firing on one row by rule order', () => {
    const { rules: two } = parseRules([
      { name: 'late', status: 'pending', olderThanHours: 10, tagName: 'archived' },
      { name: 'early', status: 'pending', olderThanHours: 1, tagName: 'urgent' },
    ]);
    const plan = planAutomation(matchRules([row({ id: 1, created_at: hoursBefore(20) })], two, AS_OF), two, tags);
    expect(plan.actions.map((a) => a.rule)).toEqual(['late', 'early']);
  });
});
