import { describe, expect, it } from 'vitest';
import { Instant } from '../../src/contract/index.ts';
import { mulberry32 } from '../../src/dev-backend/prng.ts';
import { analyticsWindow, createAnalyticsAccumulator, summarizeBacklog } from '../../src/workflows/analytics.ts';
import { createDistributionPool, SKETCH_RELATIVE_ACCURACY } from '../../src/workflows/percentiles.ts';
import { bucketIndex, bucketsCovering, canonicalTimeZone } from '../../src/workflows/time-buckets.ts';
import { row } from './rows.ts';

const AS_OF = new Date('2026-11-20T12:00:00.000Z');
const HOUR_MS = 3_600_000;

const hoursOf = (buckets: { startMs: number; endMs: number }[]) => buckets.map((b) => (b.endMs - b.startMs) / HOUR_MS);
const iso = (ms: number) => new Date(ms).toISOString();

describe('canonicalTimeZone', () => {
  it('gives the IANA name for known zones and links, whatever the case', () => {
    expect(canonicalTimeZone('Asia/Seoul')).toBe('Asia/Seoul');
    expect(canonicalTimeZone('asia/seoul')).toBe('Asia/Seoul');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(canonicalTimeZone('Etc/UTC')).toBe('UTC');
    expect(canonicalTimeZone('US/Eastern')).toBe('America/New_York');
  });

  it('refuses unknown names, offsets and oversized input', () => {
    for (const name of ['Mars/Olympus', '+09:00', '-05:00', '+0900', 'GMT+3', '', 'x'.repeat(65), 'Asia/Seoul\n']) expect(canonicalTimeZone(name), name).toBeNull();
  });
});

describe('bucketsCovering', () => {
  it('starts a Seoul day at 15:00 UTC the day before', () => {
    const buckets = bucketsCovering(new Date('2026-11-01T00:00:00Z'), new Date('2026-11-03T00:00:00Z'), 'DAY', 'Asia/Seoul');
    expect(buckets.map((b) => [b.date, iso(b.startMs)])).toEqual([
      ['2026-11-01', '2026-10-31T15:00:00.000Z'],
      ['2026-11-02', '2026-11-01T15:00:00.000Z'],
      ['2026-11-03', '2026-11-02T15:00:00.000Z'],
    ]);
  });

  it('has New York days of 23 and 25 hours on the 2026 changes, and weeks of 167 and 169', () => {
    const spring = bucketsCovering(new Date('2026-03-07T12:00:00Z'), new Date('2026-03-09T12:00:00Z'), 'DAY', 'America/New_York');
    expect(spring.map((b) => b.date)).toEqual(['2026-03-07', '2026-03-08', '2026-03-09']);
    expect(hoursOf(spring)).toEqual([24, 23, 24]);
    const fall = bucketsCovering(new Date('2026-10-31T12:00:00Z'), new Date('2026-11-02T12:00:00Z'), 'DAY', 'America/New_York');
    expect(hoursOf(fall)).toEqual([24, 25, 24]);
    expect(hoursOf(bucketsCovering(new Date('2026-03-04T12:00:00Z'), new Date('2026-03-04T12:00:00Z'), 'WEEK', 'America/New_York'))).toEqual([167]);
    expect(hoursOf(bucketsCovering(new Date('2026-10-28T12:00:00Z'), new Date('2026-10-28T12:00:00Z'), 'WEEK', 'America/New_York'))).toEqual([169]);
  });

  it('begins the day where a change skips midnight (Santiago, 6 September 2026: 00:00 becomes 01:00)', () => {
    const buckets = bucketsCovering(new Date('2026-09-05T12:00:00Z'), new Date('2026-09-07T12:00:00Z'), 'DAY', 'America/Santiago');
    expect(buckets.map((b) => [b.date, iso(b.startMs)])).toEqual([
      ['2026-09-05', '2026-09-05T04:00:00.000Z'],
      ['2026-09-06', '2026-09-06T04:00:00.000Z'],
      ['2026-09-07', '2026-09-07T03:00:00.000Z'],
    ]);
    expect(hoursOf(buckets)).toEqual([24, 23, 24]);
  });

  it('handles quarter-hour offsets and half-hour daylight saving', () => {
    const kathmandu = bucketsCovering(new Date('2026-11-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z'), 'DAY', 'Asia/Kathmandu');
    expect(kathmandu.map((b) => iso(b.startMs))).toEqual(['2026-10-31T18:15:00.000Z']);
    // Lord Howe Island moves its clocks by 30 minutes (first Sunday of October, 2:00 → 2:30).
    const lordHowe = bucketsCovering(new Date('2026-10-03T12:00:00Z'), new Date('2026-10-05T12:00:00Z'), 'DAY', 'Australia/Lord_Howe');
    expect(hoursOf(lordHowe)).toContain(23.5);
  });

  it('makes ISO weeks: Monday to Monday, the first one holding `from`', () => {
    // 2026-11-20 is a Friday; 30 days before it is Wednesday 21 October.
    const weeks = bucketsCovering(new Date('2026-10-21T12:00:00Z'), AS_OF, 'WEEK', 'UTC');
    expect(weeks.map((w) => w.date)).toEqual(['2026-10-19', '2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16']);
    expect(new Set(hoursOf(weeks))).toEqual(new Set([168]));
  });

  it('tiles time without gaps, and bucketIndex finds each instant\'s bucket', () => {
    // The Berlin year 2026, from its first instant to its last.
    const buckets = bucketsCovering(new Date('2025-12-31T23:00:00Z'), new Date('2026-12-31T22:59:59.999Z'), 'DAY', 'Europe/Berlin');
    expect(buckets).toHaveLength(365);
    buckets.slice(1).forEach((b, i) => expect(b.startMs).toBe(buckets[i]!.endMs));
    const starts = Float64Array.from(buckets, (b) => b.startMs);
    const lastEnd = buckets.at(-1)!.endMs;
    const random = mulberry32(14);
    for (let i = 0; i < 1000; i++) {
      const ms = buckets[0]!.startMs + random() * (lastEnd - buckets[0]!.startMs);
      const found = buckets[bucketIndex(starts, lastEnd, ms)]!;
      expect(ms >= found.startMs && ms < found.endMs).toBe(true);
    }
    expect(bucketIndex(starts, lastEnd, buckets[0]!.startMs - 1)).toBe(-1);
    expect(bucketIndex(starts, lastEnd, lastEnd)).toBe(-1);
  });
});

describe('distribution pool: exact, then DDSketch', () => {
  /** Log-normal hours (median ~24 h, a long tail), like completion times. */
  const hours = (seed: number, n: number) => {
    const random = mulberry32(seed);
    return Array.from({ length: n }, () => Math.exp(Math.log(24) + 1.2 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())));
  };

  it('is exact up to the limit, counting every member, and moves all members to sketches past it', () => {
    const pool = createDistributionPool(10);
    const a = pool.create();
    const b = pool.create();
    for (let i = 1; i <= 5; i++) a.add(i);
    for (let i = 1; i <= 5; i++) b.add(i * 10);
    expect(pool.exact).toBe(true);
    expect(a.percentiles()).toEqual({ count: 5, p50: 3, p90: 4, p99: 4, max: 5, exact: true });
    b.add(60);
    expect(pool.exact).toBe(false);
    expect(a.percentiles()!.exact).toBe(false);
    expect(b.percentiles()).toMatchObject({ count: 6, max: 60, exact: false });
    // A member made after the switch starts as a sketch.
    const c = pool.create();
    c.add(1);
    expect(c.percentiles()!.exact).toBe(false);
  });

  it('keeps every sketched quantile within 1 % of the exact one (50,000 seeded log-normal values)', () => {
    const values = hours(7, 50_000);
    const sketched = createDistributionPool(0).create();
    for (const value of values) sketched.add(value);
    const sorted = [...values].sort((a, b) => a - b);
    let worst = 0;
    for (let percent = 0; percent <= 100; percent++) {
      const q = percent / 100;
      const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
      worst = Math.max(worst, Math.abs(sketched.quantile(q)! - exact) / exact);
    }
    expect(worst).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);
    expect(worst).toBeGreaterThan(0);
  });

  it('answers null for an empty population and exact zeros', () => {
    const pool = createDistributionPool(0);
    const empty = pool.create();
    expect(empty.percentiles()).toBeNull();
    expect(empty.quantile(0.5)).toBeNull();
    const zeros = pool.create();
    zeros.add(0);
    zeros.add(0);
    expect(zeros.percentiles()).toEqual({ count: 2, p50: 0, p90: 0, p99: 0, max: 0, exact: false });
  });
});

describe('the accumulator\'s dashboard figures', () => {
  const window = analyticsWindow(Instant.fromDate(AS_OF), 7);
  const series = [{ key: 'day', bucket: 'DAY' as const, timeZone: 'UTC' }];

  it('counts completions by updatedAt, also of rows created before the window, and lists their assignee', () => {
    const accumulator = createAnalyticsAccumulator(window, { series });
    accumulator.add([
      // Created before the window, completed inside it by assignee 9 (who has nothing created in it).
      row({ id: 1, assignee: 9, status: 'completed', created_at: '2026-11-10T00:00:00.000000Z', updated_at: '2026-11-14T06:00:00.000000Z' }),
      // Created and completed in the window.
      row({ id: 2, assignee: 3, status: 'completed', created_at: '2026-11-15T00:00:00.000000Z', updated_at: '2026-11-15T10:00:00.000000Z' }),
      // Created in the window, completed after asOf: created counts, the completion does not.
      row({ id: 3, assignee: 3, status: 'completed', created_at: '2026-11-20T11:00:00.000000Z', updated_at: '2026-11-20T12:00:00.000001Z' }),
      row({ id: 4, assignee: 3, status: 'rejected', created_at: '2026-11-16T00:00:00.000000Z', updated_at: '2026-11-17T00:00:00.000000Z' }),
      row({ id: 5, assignee: null, status: 'pending', created_at: '2026-11-13T12:00:00.000000Z', updated_at: '2026-11-13T12:00:00.000000Z' }),
    ]);
    const result = accumulator.result();
    const points = result.series.get('day')!;
    expect(points.map((p) => p.date)).toEqual(['2026-11-13', '2026-11-14', '2026-11-15', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20']);
    const at = (date: string) => points.find((p) => p.date === date)!;
    expect(at('2026-11-13')).toMatchObject({ created: 1, completed: 0, rejected: 0, medianHoursToComplete: null, hours: 24 });
    expect(at('2026-11-14')).toMatchObject({ created: 0, completed: 1, medianHoursToComplete: 102 });
    expect(at('2026-11-15')).toMatchObject({ created: 1, completed: 1, medianHoursToComplete: 10 });
    expect(at('2026-11-17')).toMatchObject({ rejected: 1 });
    expect(at('2026-11-20')).toMatchObject({ created: 1, completed: 0 });
    expect(result.totalAssignments).toBe(4);
    expect(result.assigneePerformance.map((a) => [a.assigneeId, a.total, a.completedPerDay])).toEqual([
      [3, 3, 1 / 7],
      [9, 0, 1 / 7],
    ]);
    // Percentiles are over the window's created assignments, like averageHoursToComplete.
    expect(result.hoursToComplete).toMatchObject({ count: 2, p50: 1 + 1 / 3_600_000_000, max: 10, exact: true });
  });

  it('keeps memory to buckets and assignees: 200,000 completions past the exact limit', () => {
    const accumulator = createAnalyticsAccumulator(analyticsWindow(Instant.fromDate(AS_OF), 30), { series, exactLimit: 1_000 });
    const random = mulberry32(3);
    for (let page = 0; page < 200; page++) {
      accumulator.add(
        Array.from({ length: 1000 }, (_, i) => {
          const created = AS_OF.getTime() - 29 * 24 * HOUR_MS + random() * 20 * 24 * HOUR_MS;
          return row({
            id: page * 1000 + i + 1,
            assignee: i % 40,
            status: 'completed',
            created_at: new Date(created).toISOString(),
            updated_at: new Date(created + (1 + random() * 100) * HOUR_MS).toISOString(),
          });
        }),
      );
      expect(accumulator.size()).toBeLessThanOrEqual(40);
    }
    const result = accumulator.result();
    expect(result.hoursToComplete).toMatchObject({ count: 200_000, exact: false });
    expect(result.hoursToComplete!.p50).toBeGreaterThan(45);
    expect(result.hoursToComplete!.p50).toBeLessThan(56);
    expect(result.series.get('day')).toHaveLength(31);
  });
});

describe('summarizeBacklog', () => {
  it('ages the oldest pending assignment from now, to the microsecond', () => {
    const oldest = row({ id: 1, created_at: '2026-11-19T12:00:00.000001Z' });
    expect(summarizeBacklog({ count: 4, oldest }, 7, AS_OF)).toEqual({ pending: 4, inProgress: 7, oldestPendingAgeHours: 24 - 1 / 3_600_000_000 });
    expect(summarizeBacklog(null, null, AS_OF)).toEqual({ pending: 0, inProgress: 0, oldestPendingAgeHours: null });
  });
});
