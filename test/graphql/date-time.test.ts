import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Instant, type WireAssignment } from '../../src/contract/index.ts';
import { CANONICAL, DateTimeScalar } from '../../src/graphql/date-time.ts';
import { rest, restAll } from '../helpers/rest.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

describe('Instant and the DateTime scalar', () => {
  it('keeps all six fraction digits of an upstream timestamp, whatever its offset or digit count', () => {
    const cases: [string, string][] = [
      ['2026-11-20T10:00:00.123456Z', '2026-11-20T10:00:00.123456Z'],
      ['2026-11-20T12:00:00.123456+02:00', '2026-11-20T10:00:00.123456Z'],
      ['2026-11-20T10:00:00Z', '2026-11-20T10:00:00.000000Z'],
      ['2026-11-20T10:00:00.1Z', '2026-11-20T10:00:00.100000Z'],
      ['2026-11-20T10:00:00.123456789Z', '2026-11-20T10:00:00.123456Z'],
      ['2026-11-20 10:00:00.000001', '2026-11-20T10:00:00.000001Z'],
      ['0001-01-01T00:00:00.000001Z', '0001-01-01T00:00:00.000001Z'],
      ['9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59.999999Z'],
    ];
    for (const [wire, shown] of cases) expect(DateTimeScalar.serialize(wire), wire).toBe(shown);
    expect(DateTimeScalar.serialize(new Date('2026-11-20T10:00:00.123Z'))).toBe('2026-11-20T10:00:00.123000Z');
    expect(() => DateTimeScalar.serialize('not a date')).toThrow();
  });

  it('answers a string already in canonical form as it is, which is what the full parse and print give', () => {
    const fullPath = (value: string) => Instant.parse(value, 'utc-if-missing')?.toString() ?? null;
    const canonical = [
      '2026-11-20T10:00:00.123456Z',
      '0000-01-01T00:00:00.000000Z',
      '9999-12-28T23:59:59.999999Z',
      '2024-02-28T00:00:00.000001Z',
    ];
    for (const value of canonical) {
      expect(CANONICAL.test(value), value).toBe(true);
      expect(DateTimeScalar.serialize(value)).toBe(value);
      expect(fullPath(value)).toBe(value);
    }
    // Days 29 to 31, other offsets and digit counts take the full path, and invalid dates still fail.
    for (const value of ['2024-02-29T00:00:00.000000Z', '2026-01-31T10:00:00.000000Z', '2026-11-20T10:00:00.123Z', '2026-11-20T10:00:00.123456+00:00']) {
      expect(CANONICAL.test(value), value).toBe(false);
      expect(DateTimeScalar.serialize(value)).toBe(fullPath(value));
    }
    for (const bad of ['2026-02-30T00:00:00.000000Z', '2026-13-01T00:00:00.000000Z', '2026-11-20T24:00:00.000000Z', '2026-11-20T10:60:00.000000Z']) {
      expect(CANONICAL.test(bad), bad).toBe(false);
      expect(() => DateTimeScalar.serialize(bad), bad).toThrow();
    }
  });

  it('parses client input exactly and refuses what is not an RFC 3339 date-time with a zone', () => {
    expect(DateTimeScalar.parseValue('2026-11-20T10:00:00.123456Z').toString()).toBe('2026-11-20T10:00:00.123456Z');
    expect(DateTimeScalar.parseValue('2026-11-20T11:00:00.000001+01:00').toString()).toBe('2026-11-20T10:00:00.000001Z');
    for (const bad of ['2026-11-20T10:00:00', '2026-02-30T00:00:00Z', '2026-11-20T24:00:00Z', 'yesterday', '2026-11-20', 1_700_000_000_000]) {
      expect(() => DateTimeScalar.parseValue(bad), String(bad)).toThrow(/RFC 3339/);
    }
  });

  it('does microsecond arithmetic across millisecond, second and day boundaries', () => {
    const at = Instant.parse('2026-12-31T23:59:59.999999Z')!;
    expect(at.plusMicros(1).toString()).toBe('2027-01-01T00:00:00.000000Z');
    expect(at.plusMicros(1).plusMicros(-2).toString()).toBe('2026-12-31T23:59:59.999998Z');
    expect(Instant.parse('2026-11-20T10:00:00.000999Z')!.plusMicros(1).toString()).toBe('2026-11-20T10:00:00.001000Z');
    expect(at.compare(at.plusMicros(1))).toBeLessThan(0);
  });
});

describe('DateTime round trips through the gateway (embedded backend)', () => {
  let stack: Stack;
  let rows: WireAssignment[];

  beforeAll(async () => {
    stack = await startStack({ assignments: 200 });
    rows = await restAll(stack.backend.url, 'project=1');
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.backend.resetRequests());

  const POLL = /* GraphQL */ `
    query Poll($after: DateTime) {
      assignments(filter: { project: 1, updatedAfter: $after }, orderBy: { field: UPDATED_AT, direction: DESC }, first: 100) {
        totalCount
        nodes { id createdAt updatedAt tags { name } }
      }
    }
  `;

  it('answers createdAt and updatedAt as the exact instants the backend sent', async () => {
    const withMicros = rows.filter((row) => !/\.\d{3}000Z$/.test(row.created_at));
    expect(withMicros.length).toBeGreaterThan(10);
    const { body } = await stack.gql(`{ assignmentsByIds(ids: [${withMicros.slice(0, 20).map((row) => row.id)}]) { id createdAt updatedAt } }`);
    expect(body.data!.assignmentsByIds).toEqual(
      withMicros.slice(0, 20).map((row) => ({ id: String(row.id), createdAt: row.created_at, updatedAt: row.updated_at })),
    );
  });

  it('polling with updatedAfter = the newest updatedAt returns that row again only once it changed', async () => {
    const first = (await stack.gql(POLL, {})).body.data!.assignments;
    const newest = first.nodes[0];
    expect(newest.updatedAt).toBe([...rows].sort((a, b) => b.updated_at.localeCompare(a.updated_at))[0]!.updated_at);
    expect(newest.updatedAt).toMatch(/\.\d{6}Z$/);

    stack.backend.resetRequests();
    const again = (await stack.gql(POLL, { after: newest.updatedAt })).body.data!.assignments;
    expect(again).toEqual({ totalCount: 0, nodes: [] });
    // The value reached the upstream with every digit: strictly after, at Synapse's (inclusive) filter.
    const sent = stack.upstreamCalls('/sdk/assignments/').map((r) => r.query['updated_after']);
    expect(sent).toEqual([Instant.parse(newest.updatedAt)!.plusMicros(1).toString()]);

    // A change moves the row past the mark, once.
    const changed = first.nodes[5];
    const tagged = await stack.gql(`mutation { setAssignmentTags(input: { assignmentIds: [${changed.id}], tagNames: ["urgent"] }) { userErrors { code } } }`);
    expect(tagged.body.data!.setAssignmentTags.userErrors).toEqual([]);
    const next = (await stack.gql(POLL, { after: newest.updatedAt })).body.data!.assignments;
    expect(next.nodes.map((node: { id: string }) => node.id)).toEqual([changed.id]);
    const fresh = await rest<WireAssignment>(stack.backend.url, `assignments/${changed.id}/`);
    expect(next.nodes[0].updatedAt).toBe(fresh.updated_at);
    expect((await stack.gql(POLL, { after: next.nodes[0].updatedAt })).body.data!.assignments.totalCount).toBe(0);
  });

  it('createdAfter is strictly after as well: a row is not returned for its own createdAt', async () => {
    const row = rows[3]!;
    const { body } = await stack.gql(
      `query($after: DateTime) { assignments(filter: { project: 1, createdAfter: $after }, first: 100) { totalCount nodes { id } } }`,
      { after: row.created_at },
    );
    const expected = rows.filter((other) => other.created_at > row.created_at);
    expect(body.data!.assignments.totalCount).toBe(expected.length);
    expect(body.data!.assignments.nodes.map((node: { id: string }) => Number(node.id))).not.toContain(row.id);
  });

  it('workflows that take asOf keep its microseconds: analytics windows, automation, ageHours', async () => {
    // The newest row of project 1, to the microsecond: at asOf it is in the window, 1 µs earlier it is not.
    const newest = [...rows].sort((a, b) => b.created_at.localeCompare(a.created_at))[0]!;
    const analytics = `query($asOf: DateTime) { assignmentAnalytics(filter: { project: 1 }, days: 3650, asOf: $asOf) { from to totalAssignments } }`;
    const at = (await stack.gql(analytics, { asOf: newest.created_at })).body.data!.assignmentAnalytics;
    expect(at.to).toBe(newest.created_at);
    expect(at.totalAssignments).toBe(rows.length);
    const before = Instant.parse(newest.created_at)!.plusMicros(-1).toString();
    const earlier = (await stack.gql(analytics, { asOf: before })).body.data!.assignmentAnalytics;
    expect(earlier.to).toBe(before);
    expect(earlier.totalAssignments).toBe(rows.length - rows.filter((row) => row.created_at === newest.created_at).length);

    const asOf = '2026-11-27T12:00:00.654321Z';
    const automation = await stack.gql(
      `mutation($asOf: DateTime) { runAssignmentAutomation(input: { asOf: $asOf, dryRun: true, filter: { project: 1 } }) { asOf summary { matched } userErrors { code } } }`,
      { asOf },
    );
    expect(automation.body.data!.runAssignmentAutomation.asOf).toBe(asOf);
    expect(automation.body.data!.runAssignmentAutomation.summary.some((rule: { matched: number }) => rule.matched > 0)).toBe(true);

    const age = await stack.gql(`query($asOf: DateTime) { assignment(id: ${newest.id}) { ageHours(asOf: $asOf) } }`, { asOf });
    expect(age.body.data!.assignment.ageHours).toBeCloseTo((Date.parse(asOf) - Date.parse(newest.created_at)) / 3_600_000, 6);
  });

  it('a DateTime without a time zone is a BAD_USER_INPUT error naming the expected form, and calls nothing', async () => {
    const { body } = await stack.gql(POLL, { after: '2026-11-20T10:00:00' });
    expect(body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(body.errors![0]!.message).toContain('RFC 3339');
    expect(stack.backend.requests).toHaveLength(0);
  });
});
