import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment, WireTag } from '../../src/contract/index.ts';
import { restAll, restTags } from '../helpers/rest.ts';
import { SEED_NOW, startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const TIERS = /* GraphQL */ `
  mutation Tiers($input: TagAssignmentsByAssigneeTierInput!) {
    tagAssignmentsByAssigneeTier(input: $input) {
      groups { assigneeId assignmentCount tagName assignmentIds }
      summary { tagName count }
      dryRun
      writeCalls
      userErrors { field message code }
    }
  }
`;

const AUTOMATION = /* GraphQL */ `
  mutation Automation($input: RunAssignmentAutomationInput!) {
    runAssignmentAutomation(input: $input) {
      actions { assignment { id status } rule tagName ageHours alreadyTagged }
      summary { rule tagName matched alreadyTagged newlyTagged }
      asOf
      dryRun
      writeCalls
      userErrors { field message code }
    }
  }
`;

const PAGE_SIZE = 100;
const HOUR_MS = 3_600_000;

const SEED_TIERS = [
  { minAssignments: 50, tagName: 'high_performer' },
  { minAssignments: 20, tagName: 'regular_performer' },
  { minAssignments: 0, tagName: 'new_contributor' },
];

/** The seed's grouping: rows with an assignee, grouped, each group tagged by the highest tier it reaches. */
function expectedTiers(rows: WireAssignment[], tiers = SEED_TIERS) {
  const groups = new Map<number, number[]>();
  for (const row of rows) {
    if (row.assignee === null) continue;
    groups.set(row.assignee, [...(groups.get(row.assignee) ?? []), row.id]);
  }
  const highestFirst = [...tiers].sort((a, b) => b.minAssignments - a.minAssignments);
  return [...groups.keys()]
    .sort((a, b) => a - b)
    .map((assignee) => {
      const ids = groups.get(assignee)!.sort((a, b) => a - b);
      const tagName = highestFirst.find((tier) => ids.length >= tier.minAssignments)?.tagName ?? null;
      return { assigneeId: String(assignee), assignmentCount: ids.length, tagName, assignmentIds: ids.map(String) };
    });
}

const countPerTag = (groups: ReturnType<typeof expectedTiers>, tagNames: string[]) =>
  tagNames.map((tagName) => groups.filter((g) => g.tagName === tagName).reduce((sum, g) => sum + g.assignmentCount, 0));

/** The seed's three rules over every row, with "already tagged" read from the row's tags. */
function expectedAutomation(rows: WireAssignment[], tags: WireTag[], asOf: Date) {
  const rules = [
    { rule: 'pending older than 24 h', status: 'pending', hours: 24, tagName: 'urgent' },
    { rule: 'in progress older than 72 h', status: 'in_progress', hours: 72, tagName: 'escalated' },
    { rule: 'completed older than 168 h', status: 'completed', hours: 168, tagName: 'archived' },
  ];
  const actions = [];
  for (const row of [...rows].sort((a, b) => a.id - b.id)) {
    const age = (asOf.getTime() - Date.parse(row.created_at)) / HOUR_MS;
    for (const rule of rules) {
      if (row.status === rule.status && age > rule.hours) {
        const tagId = tags.find((t) => t.name === rule.tagName)!.id;
        actions.push({ id: String(row.id), rule: rule.rule, tagName: rule.tagName, ageHours: age, alreadyTagged: row.tags.includes(tagId) });
      }
    }
  }
  return actions;
}

/** Writes a workflow should make: one per tag, in chunks of 1,000 ids. */
const writesFor = (countsPerTag: number[]) => countsPerTag.reduce((sum, n) => sum + Math.ceil(n / 1000), 0);

describe('tagAssignmentsByAssigneeTier and runAssignmentAutomation over 6,000 assignments of one project', () => {
  let stack: Stack;
  let tags: WireTag[];
  const posts = () => stack.backend.requests.filter((r) => r.method === 'POST');
  const lists = () => stack.backend.requests.filter((r) => r.path === '/sdk/assignments/');
  const allRows = () => restAll(stack.backend.url, '');
  const tagId = (name: string) => tags.find((t) => t.name === name)!.id;

  beforeAll(async () => {
    stack = await startStack({ assignments: 6000, projects: 1, upstream: { pageSize: PAGE_SIZE, streamPageSize: PAGE_SIZE } });
    tags = await restTags(stack.backend.url, 1);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.backend.resetRequests());

  describe('tagAssignmentsByAssigneeTier', () => {
    it('previews the seed grouping over every completed page, then tags with one set_tags call per tag chunk', async () => {
      const before = await allRows();
      const completedRows = before.filter((row) => row.status === 'completed');
      const expected = expectedTiers(completedRows);
      const perTag = countPerTag(expected, SEED_TIERS.map((t) => t.tagName));
      // With one project of 6,000, every assignee completes 50+: one tag, in chunks of 1,000.
      expect(perTag[0]).toBeGreaterThan(2000);
      stack.backend.resetRequests();

      const preview = (await stack.gql(TIERS, { input: { dryRun: true } })).body.data!.tagAssignmentsByAssigneeTier;
      expect(preview.groups).toEqual(expected);
      expect(preview.summary).toEqual(SEED_TIERS.map((tier, i) => ({ tagName: tier.tagName, count: perTag[i] })));
      expect(preview).toMatchObject({ dryRun: true, writeCalls: 0, userErrors: [] });
      expect(posts()).toHaveLength(0);
      expect(lists()).toHaveLength(Math.ceil(completedRows.length / PAGE_SIZE));
      expect(lists().every((r) => r.query['status'] === 'completed')).toBe(true);

      stack.backend.resetRequests();
      const { body } = await stack.gql(TIERS, { input: {} });
      const applied = body.data!.tagAssignmentsByAssigneeTier;
      expect({ ...applied, dryRun: true, writeCalls: 0 }).toEqual(preview);
      expect(applied.writeCalls).toBe(writesFor(perTag));
      expect(applied.writeCalls).toBe(5);
      expect(posts()).toHaveLength(applied.writeCalls);
      expect(body.extensions!.upstream.writes).toBe(applied.writeCalls);

      const after = new Map((await allRows()).map((row) => [row.id, row.tags]));
      for (const group of expected) {
        for (const id of group.assignmentIds) expect(after.get(Number(id))).toContain(tagId(group.tagName!));
      }
      for (const row of before) if (row.status !== 'completed' || row.assignee === null) expect(after.get(row.id)).toEqual(row.tags);
    });

    it('puts each assignee in its tier with custom tiers, one write per tag used', async () => {
      const tiers = [
        { minAssignments: 200, tagName: 'regular_performer' },
        { minAssignments: 1000, tagName: 'high_performer' },
        { minAssignments: 0, tagName: 'new_contributor' },
      ];
      const expected = expectedTiers((await allRows()).filter((row) => row.status === 'completed'), tiers);
      const perTag = countPerTag(expected, ['high_performer', 'regular_performer', 'new_contributor']);
      expect(perTag.every((n) => n > 0)).toBe(true);
      stack.backend.resetRequests();
      const { body } = await stack.gql(TIERS, { input: { tiers, dryRun: true } });
      const payload = body.data!.tagAssignmentsByAssigneeTier;
      expect(payload.groups).toEqual(expected);
      expect(payload.summary).toEqual(['high_performer', 'regular_performer', 'new_contributor'].map((tagName, i) => ({ tagName, count: perTag[i] })));
    });

    it('honours a caller status; an assignee below every tier gets no tag', async () => {
      const tiers = [{ minAssignments: 30, tagName: 'duplicate' }];
      const expected = expectedTiers((await allRows()).filter((row) => row.status === 'rejected'), tiers);
      expect(expected.some((g) => g.tagName === null)).toBe(true);
      expect(expected.some((g) => g.tagName === 'duplicate')).toBe(true);
      stack.backend.resetRequests();
      const { body } = await stack.gql(TIERS, { input: { filter: { status: 'REJECTED' }, tiers, dryRun: true } });
      expect(body.data!.tagAssignmentsByAssigneeTier.groups).toEqual(expected);
      expect(lists().length).toBeGreaterThan(0);
      expect(lists().every((r) => r.query['status'] === 'rejected')).toBe(true);
    });

    it('refuses an unknown tier tag by name, and invalid tiers, writing nothing', async () => {
      const { body } = await stack.gql(TIERS, {
        input: { tiers: [{ minAssignments: 10, tagName: 'star' }, { minAssignments: 0, tagName: 'new_contributor' }] },
      });
      expect(body.data!.tagAssignmentsByAssigneeTier).toMatchObject({
        groups: [],
        writeCalls: 0,
        userErrors: [{ code: 'UNKNOWN_TAG', message: 'Tag "star" does not exist in project 1.', field: ['input', 'tiers', '0', 'tagName'] }],
      });
      expect(posts()).toHaveLength(0);

      stack.backend.resetRequests();
      const invalid = await stack.gql(TIERS, {
        input: { tiers: [{ minAssignments: 5, tagName: 'a' }, { minAssignments: 5, tagName: 'b' }] },
      });
      expect(invalid.body.data!.tagAssignmentsByAssigneeTier.userErrors[0].field).toEqual(['input', 'tiers', '1', 'minAssignments']);
      expect(stack.backend.requests).toHaveLength(0);
    });
  });

  describe('runAssignmentAutomation', () => {
    it('previews the seed rules over every page, tags in one call per tag chunk, and a second run writes nothing', async () => {
      const before = await allRows();
      const expected = expectedAutomation(before, tags, SEED_NOW);
      const newly = ['urgent', 'escalated', 'archived'].map((name) => expected.filter((a) => a.tagName === name && !a.alreadyTagged).length);
      // Every rule fires, and one past a chunk of 1,000.
      expect(newly.every((n) => n > 0)).toBe(true);
      expect(newly[2]).toBeGreaterThan(1000);
      stack.backend.resetRequests();
      const pick = (actions: { assignment: { id: string }; rule: string; tagName: string; ageHours: number; alreadyTagged: boolean }[]) =>
        actions.map((a) => ({ id: a.assignment.id, rule: a.rule, tagName: a.tagName, ageHours: a.ageHours, alreadyTagged: a.alreadyTagged }));

      const preview = (await stack.gql(AUTOMATION, { input: { dryRun: true } })).body.data!.runAssignmentAutomation;
      expect(pick(preview.actions)).toEqual(expected);
      expect(preview).toMatchObject({ asOf: '2026-11-20T12:00:00.000000Z', dryRun: true, writeCalls: 0, userErrors: [] });
      expect(posts()).toHaveLength(0);
      for (const status of ['pending', 'in_progress', 'completed']) {
        const count = before.filter((row) => row.status === status).length;
        expect(lists().filter((r) => r.query['status'] === status), status).toHaveLength(Math.ceil(count / PAGE_SIZE));
      }
      expect(lists().every((r) => r.query['status'] !== undefined)).toBe(true);

      stack.backend.resetRequests();
      const { body } = await stack.gql(AUTOMATION, { input: { asOf: SEED_NOW.toISOString() } });
      const applied = body.data!.runAssignmentAutomation;
      expect({ ...applied, dryRun: true, writeCalls: 0 }).toEqual(preview);
      expect(applied.writeCalls).toBe(writesFor(newly));
      expect(posts()).toHaveLength(applied.writeCalls);
      expect(applied.summary.map((s: { newlyTagged: number }) => s.newlyTagged)).toEqual(newly);

      const after = new Map((await allRows()).map((row) => [row.id, row.tags]));
      for (const action of expected) expect(after.get(Number(action.id))).toContain(tagId(action.tagName));

      stack.backend.resetRequests();
      const again = (await stack.gql(AUTOMATION, { input: { asOf: SEED_NOW.toISOString() } })).body.data!.runAssignmentAutomation;
      expect(again.writeCalls).toBe(0);
      expect(posts()).toHaveLength(0);
      expect(pick(again.actions)).toEqual(expected.map((a) => ({ ...a, alreadyTagged: true })));
      expect(again.summary.map((s: { newlyTagged: number; alreadyTagged: number; matched: number }) => [s.newlyTagged, s.alreadyTagged === s.matched])).toEqual([
        [0, true],
        [0, true],
        [0, true],
      ]);
    });

    it('reads only the filter’s status when one is given; the other rules match nothing', async () => {
      const asOf = new Date(SEED_NOW.getTime() + 500 * HOUR_MS);
      const rows = await allRows();
      const expected = expectedAutomation(rows.filter((row) => row.status === 'in_progress'), tags, asOf);
      stack.backend.resetRequests();
      const { body } = await stack.gql(AUTOMATION, { input: { filter: { status: 'IN_PROGRESS' }, asOf: asOf.toISOString(), dryRun: true } });
      const payload = body.data!.runAssignmentAutomation;
      expect(payload.actions.map((a: { assignment: { id: string } }) => a.assignment.id)).toEqual(expected.map((a) => a.id));
      expect(payload.summary.map((s: { matched: number }) => s.matched)).toEqual([0, expected.length, 0]);
      expect(new Set(lists().map((r) => r.query['status']))).toEqual(new Set(['in_progress']));
    });

    it('runs custom rules and refuses an unknown tag by name before writing anything', async () => {
      const before = await allRows();
      stack.backend.resetRequests();
      const { body } = await stack.gql(AUTOMATION, {
        input: {
          rules: [
            { status: 'REJECTED', olderThanHours: 24, tagName: 'blurry' },
            { name: 'stale', status: 'PENDING', olderThanHours: 0, tagName: 'stale_tag' },
          ],
        },
      });
      expect(body.data!.runAssignmentAutomation).toMatchObject({
        actions: [],
        writeCalls: 0,
        userErrors: [{ code: 'UNKNOWN_TAG', message: 'Tag "stale_tag" does not exist in project 1.', field: ['input', 'rules', '1', 'tagName'] }],
      });
      expect(posts()).toHaveLength(0);
      expect(await allRows()).toEqual(before);
    });

    it('names an unnamed rule after its status and age (blank names too)', async () => {
      const { body } = await stack.gql(AUTOMATION, {
        input: {
          dryRun: true,
          rules: [
            { status: 'REJECTED', olderThanHours: 2.5, tagName: 'archived' },
            { name: '   ', status: 'IN_PROGRESS', olderThanHours: 72, tagName: 'escalated' },
          ],
        },
      });
      expect(body.data!.runAssignmentAutomation.userErrors).toEqual([]);
      expect(body.data!.runAssignmentAutomation.summary.map((s: { rule: string }) => s.rule)).toEqual([
        'REJECTED older than 2.5 h',
        'IN_PROGRESS older than 72 h',
      ]);
    });

    it('refuses invalid rules before any upstream call, and a viewer cannot write', async () => {
      const { body } = await stack.gql(AUTOMATION, { input: { rules: [{ status: 'PENDING', olderThanHours: -1, tagName: 'urgent' }] } });
      expect(body.data!.runAssignmentAutomation.userErrors[0]).toMatchObject({ code: 'INVALID', field: ['input', 'rules', '0', 'olderThanHours'] });
      expect(stack.backend.requests).toHaveLength(0);

      const later = new Date(SEED_NOW.getTime() + 1000 * HOUR_MS).toISOString();
      const denied = await stack.gql(AUTOMATION, { input: { asOf: later } }, { token: TOKENS.viewer });
      expect(denied.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    });
  });
});
