import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Instant, type WireAssignment } from '../../src/contract/index.ts';
import { createGateway } from '../../src/gateway.ts';
import type { PercentilesModel } from '../../src/workflows/percentiles.ts';
import { restAll } from '../helpers/rest.ts';
import { SEED_NOW, startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { expectedBacklog, expectedDashboard, localDate } from './oracle.ts';

const PAGE_SIZE = 100;
const DAYS = 30;
const HOUR_MS = 3_600_000;
/** DDSketch's relative accuracy, as HoursPercentiles documents it. */
const SKETCH_BOUND = 0.01;

const POINT = 'date start end hours created completed rejected medianHoursToComplete';
const PERCENTILES = 'count p50 p90 p99 max exact';
const DASHBOARD = /* GraphQL */ `
  query Dashboard($filter: AssignmentFilter, $days: Int, $asOf: DateTime, $zone: String!) {
    assignmentAnalytics(filter: $filter, days: $days, asOf: $asOf) {
      from
      to
      totalAssignments
      hoursToComplete { ${PERCENTILES} }
      assigneePerformance { assigneeId completedPerDay hoursToComplete { ${PERCENTILES} } }
      daily: series(bucket: DAY, timeZone: $zone) { ${POINT} }
      weekly: series(bucket: WEEK, timeZone: $zone) { ${POINT} }
      backlog { pending inProgress oldestPendingAgeHours }
    }
  }
`;

interface Point {
  date: string;
  start: string;
  end: string;
  hours: number;
  created: number;
  completed: number;
  rejected: number;
  medianHoursToComplete: number | null;
}
/** HoursPercentiles as it comes over the wire. */
type Percentiles = PercentilesModel;
interface Dashboard {
  from: string;
  to: string;
  totalAssignments: number;
  hoursToComplete: Percentiles | null;
  assigneePerformance: { assigneeId: string; completedPerDay: number; hoursToComplete: Percentiles | null }[];
  daily: Point[];
  weekly: Point[];
  backlog: { pending: number; inProgress: number; oldestPendingAgeHours: number | null };
}

/** The figures the oracle computes, out of an answer (bucket bounds and `exact` are checked apart). */
function figures(answer: Dashboard) {
  const strip = (p: Percentiles | null) => p && { count: p.count, p50: p.p50, p90: p.p90, p99: p.p99, max: p.max };
  const points = (series: Point[]) =>
    series.map(({ date, created, completed, rejected, medianHoursToComplete }) => ({ date, created, completed, rejected, medianHoursToComplete }));
  return {
    hoursToComplete: strip(answer.hoursToComplete),
    assigneePerformance: answer.assigneePerformance.map((a) => ({ ...a, hoursToComplete: strip(a.hoursToComplete) })),
    series: [points(answer.daily), points(answer.weekly)],
  };
}

/** Every bucket is one whole local day (or Monday-to-Monday week) in the zone, and the buckets tile time. */
function expectCalendarBuckets(series: Point[], timeZone: string, bucket: 'DAY' | 'WEEK') {
  series.forEach((point, i) => {
    const start = Date.parse(point.start);
    const end = Date.parse(point.end);
    expect(localDate(start, timeZone), `${point.date} start`).toBe(point.date);
    expect(localDate(start - 1, timeZone), `${point.date} starts at its first instant`).not.toBe(point.date);
    expect(localDate(end - 1, timeZone) < localDate(end, timeZone), `${point.date} ends where a date begins`).toBe(true);
    expect(point.hours).toBe((end - start) / HOUR_MS);
    if (bucket === 'WEEK') expect(new Date(`${point.date}T00:00:00Z`).getUTCDay(), point.date).toBe(1);
    if (i > 0) expect(point.start).toBe(series[i - 1]!.end);
  });
}

describe('assignmentAnalytics dashboard figures over 6,000 seeded assignments, asOf fixed', () => {
  let stack: Stack;
  let all: WireAssignment[];
  const lists = () => stack.backend.requests.filter((r) => r.path === '/sdk/assignments/');
  const from = new Date(SEED_NOW.getTime() - DAYS * 24 * HOUR_MS);

  beforeAll(async () => {
    // The reads of each report are counted: a response cache answering a repeated one would hide them.
    stack = await startStack({ assignments: 6000, upstream: { pageSize: PAGE_SIZE, streamPageSize: PAGE_SIZE }, env: { RESPONSE_CACHE_TTL_MS: '0' } });
    all = await restAll(stack.backend.url, '');
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.backend.resetRequests());

  const ask = (zone: string, variables: Record<string, unknown> = {}, token: string = TOKENS.admin) =>
    stack.gql<{ assignmentAnalytics: Dashboard }>(DASHBOARD, { days: DAYS, asOf: SEED_NOW.toISOString(), zone, ...variables }, { token });

  for (const zone of ['UTC', 'Asia/Seoul', 'America/New_York']) {
    it(`matches the oracle exactly in ${zone}, days and weeks`, async () => {
      const { body } = await ask(zone);
      expect(body.errors).toBeUndefined();
      const answer = body.data!.assignmentAnalytics;
      const expected = expectedDashboard(all, SEED_NOW, DAYS, [
        { bucket: 'DAY', timeZone: zone },
        { bucket: 'WEEK', timeZone: zone },
      ]);
      // Exact equality: both sides count in microseconds.
      expect(figures(answer)).toEqual(expected);
      // The series hold data, not just zeros, and every percentile is exact at this size.
      expect(answer.daily).toHaveLength(31);
      expect(answer.daily.every((p) => p.created > 0)).toBe(true);
      expect(answer.daily.reduce((n, p) => n + p.completed, 0)).toBeGreaterThan(500);
      expect(answer.hoursToComplete!.exact).toBe(true);
      expectCalendarBuckets(answer.daily, zone, 'DAY');
      expectCalendarBuckets(answer.weekly, zone, 'WEEK');
      expect(answer.backlog).toEqual(expectedBacklog(all, SEED_NOW));
    });
  }

  it('follows the zone: a Seoul day starts at 15:00 UTC; New York has its 25-hour day on 1 November 2026', async () => {
    const seoul = (await ask('Asia/Seoul')).body.data!.assignmentAnalytics;
    expect(seoul.daily.slice(1).every((p) => p.start.endsWith('T15:00:00.000000Z') && p.hours === 24)).toBe(true);
    const newYork = (await ask('america/new_york')).body.data!.assignmentAnalytics;
    const hours = Object.fromEntries(newYork.daily.map((p) => [p.date, p.hours]));
    expect(hours['2026-11-01']).toBe(25);
    expect(newYork.daily.filter((p) => p.hours !== 24).map((p) => p.date)).toEqual(['2026-11-01']);
    expect(newYork.weekly.find((p) => p.date === '2026-10-26')!.hours).toBe(169);
    // Before the change New York is 4 hours behind UTC, after it 5.
    expect(hours['2026-10-31']).toBe(24);
    expect(newYork.daily.find((p) => p.date === '2026-10-31')!.start).toBe('2026-10-31T04:00:00.000000Z');
    expect(newYork.daily.find((p) => p.date === '2026-11-02')!.start).toBe('2026-11-02T05:00:00.000000Z');
  });

  it('reads the window once (updated_after = from), plus two one-row reads for the backlog', async () => {
    const { body } = await ask('Asia/Seoul');
    expect(body.errors).toBeUndefined();
    const reach = all.filter((row) => Date.parse(row.updated_at) >= from.getTime()).length;
    expect(reach).toBeGreaterThan(all.filter((row) => Date.parse(row.created_at) >= from.getTime()).length);
    const window = lists().filter((r) => r.query['page_size'] === String(PAGE_SIZE));
    expect(window).toHaveLength(Math.ceil(reach / PAGE_SIZE));
    expect(window.every((r) => r.query['updated_after'] === Instant.fromDate(from).toString() && r.query['created_after'] === undefined)).toBe(true);
    const backlog = lists().filter((r) => r.query['page_size'] === '1');
    expect(backlog.map((r) => [r.query['status'], r.query['ordering']]).sort()).toEqual([
      ['in_progress', undefined],
      ['pending', 'created_at'],
    ]);
    expect(stack.backend.requests).toHaveLength(window.length + 2);
    expect(body.extensions!['upstream'].requests).toBe(window.length + 2);
  });

  it('scopes every figure by the filter, createdAfter included, and by the caller', async () => {
    const createdAfter = new Date(SEED_NOW.getTime() - 12 * 24 * HOUR_MS);
    const scope = all.filter((row) => row.project === 2 && Date.parse(row.created_at) >= createdAfter.getTime());
    const { body } = await ask('UTC', { filter: { project: '2', createdAfter: createdAfter.toISOString() } });
    const answer = body.data!.assignmentAnalytics;
    expect(figures(answer)).toEqual(
      expectedDashboard(scope, SEED_NOW, DAYS, [{ bucket: 'DAY', timeZone: 'UTC' }, { bucket: 'WEEK', timeZone: 'UTC' }]),
    );
    expect(answer.backlog).toEqual(expectedBacklog(scope, SEED_NOW));
    expect(lists().every((r) => r.query['project'] === '2' && r.query['created_after'] === Instant.fromDate(createdAfter).plusMicros(1).toString())).toBe(true);

    const bobRows = await restAll(stack.backend.url, '', TOKENS.bob);
    const bob = (await ask('UTC', {}, TOKENS.bob)).body.data!.assignmentAnalytics;
    expect(figures(bob)).toEqual(
      expectedDashboard(bobRows, SEED_NOW, DAYS, [{ bucket: 'DAY', timeZone: 'UTC' }, { bucket: 'WEEK', timeZone: 'UTC' }]),
    );
    expect(bob.backlog).toEqual(expectedBacklog(bobRows, SEED_NOW));
  });

  it('counts a backlog status the filter rules out as 0 without reading it', async () => {
    const { body } = await ask('UTC', { filter: { status: 'IN_PROGRESS' } });
    expect(body.data!.assignmentAnalytics.backlog).toEqual({
      pending: 0,
      inProgress: all.filter((row) => row.status === 'in_progress').length,
      oldestPendingAgeHours: null,
    });
    expect(lists().filter((r) => r.query['page_size'] === '1').map((r) => r.query['status'])).toEqual(['in_progress']);
  });

  it('lists every bucket with zeros when nothing matches', async () => {
    const { body } = await ask('Asia/Seoul', { filter: { search: 'no-such-word-anywhere' } });
    const answer = body.data!.assignmentAnalytics;
    expect(answer.daily).toHaveLength(31);
    expect(answer.weekly).toHaveLength(5);
    for (const point of [...answer.daily, ...answer.weekly]) {
      expect(point).toMatchObject({ created: 0, completed: 0, rejected: 0, medianHoursToComplete: null });
    }
    expect(answer.hoursToComplete).toBeNull();
    expect(answer.assigneePerformance).toEqual([]);
    expect(answer.backlog).toEqual({ pending: 0, inProgress: 0, oldestPendingAgeHours: null });
  });

  it('keeps the cheaper created_after read when no completion figure is asked for', async () => {
    const { body } = await stack.gql('query($asOf: DateTime) { assignmentAnalytics(days: 30, asOf: $asOf) { totalAssignments hoursToComplete { p50 } } }', {
      asOf: SEED_NOW.toISOString(),
    });
    expect(body.data!['assignmentAnalytics'].totalAssignments).toBe(all.filter((row) => Date.parse(row.created_at) >= from.getTime()).length);
    expect(lists().length).toBeGreaterThan(0);
    expect(lists().every((r) => r.query['created_after'] === Instant.fromDate(from).toString() && r.query['updated_after'] === undefined)).toBe(true);
  });

  it('refuses an unknown time zone or an offset with BAD_USER_INPUT, before any upstream call', async () => {
    for (const zone of ['Mars/Olympus', '+09:00', '', 'UTC; DROP']) {
      const { body } = await ask(zone);
      expect(body.data).toEqual({ assignmentAnalytics: null });
      expect(body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'series.timeZone' });
      expect(body.errors![0]!.message).toContain('IANA time zone');
    }
    expect(stack.backend.requests).toHaveLength(0);
  });

  it('from the sketch (ANALYTICS_EXACT_LIMIT=0), every percentile is within 1 % of the exact one', async () => {
    const sketching = createGateway({ ...stack.config, analytics: { exactLimit: 0 } }, { now: () => SEED_NOW });
    const errors: number[] = [];
    for (const zone of ['UTC', 'Asia/Seoul']) {
      const response = await sketching.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Token ${TOKENS.admin}` },
        body: JSON.stringify({ query: DASHBOARD, variables: { days: DAYS, asOf: SEED_NOW.toISOString(), zone } }),
      });
      const answer = ((await response.json()) as { data: { assignmentAnalytics: Dashboard } }).data.assignmentAnalytics;
      const expected = expectedDashboard(all, SEED_NOW, DAYS, [
        { bucket: 'DAY', timeZone: zone },
        { bucket: 'WEEK', timeZone: zone },
      ]);
      const close = (got: number | null, want: number | null, what: string) => {
        if (want === null) return expect(got, what).toBeNull();
        const error = want === 0 ? Math.abs(got!) : Math.abs(got! - want) / want;
        errors.push(error);
        expect(error, `${what}: ${got} vs exact ${want}`).toBeLessThanOrEqual(SKETCH_BOUND);
      };
      const percentiles = (got: Percentiles | null, want: ReturnType<typeof expectedDashboard>['hoursToComplete'], what: string) => {
        if (want === null) return expect(got).toBeNull();
        expect(got).toMatchObject({ count: want.count, max: want.max, exact: false });
        for (const q of ['p50', 'p90', 'p99'] as const) close(got![q], want[q], `${what} ${q}`);
      };
      percentiles(answer.hoursToComplete, expected.hoursToComplete, 'overall');
      answer.assigneePerformance.forEach((a, i) => {
        expect(a.completedPerDay).toBe(expected.assigneePerformance[i]!.completedPerDay);
        percentiles(a.hoursToComplete, expected.assigneePerformance[i]!.hoursToComplete, `assignee ${a.assigneeId}`);
      });
      [answer.daily, answer.weekly].forEach((series, s) =>
        series.forEach((point, i) => {
          expect(point.completed).toBe(expected.series[s]![i]!.completed);
          close(point.medianHoursToComplete, expected.series[s]![i]!.medianHoursToComplete, `${zone} ${point.date} median`);
        }),
      );
    }
    expect(errors.length).toBeGreaterThan(100);
    console.info(`DDSketch on seed data: ${errors.length} percentiles, max relative error ${(Math.max(...errors) * 100).toFixed(3)} % (bound 1 %)`);
  });
});
