import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireAssignment } from '../../src/contract/index.ts';
import { DevStore } from '../../src/dev-backend/store.ts';
import { expectedDashboard } from '../workflows/oracle.ts';
import { everyAssignment } from './helpers.ts';

/**
 * The seeded history should read like a real team's work on the dashboard: arrivals every day
 * on a weekly rhythm, completions lagging creation, a steady backlog, and no day (today
 * included) that stands out as a spike. Figures come from the dashboard's own definitions
 * (the oracle), per project, for the windows and zones a viewer would pick.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PROJECTS = [1, 2, 3, 4];
const NOWS = [
  { label: 'a Friday morning', now: new Date('2026-11-20T10:00:00Z') },
  // 15:00 UTC is midnight in Seoul: there "today" has just begun.
  { label: 'a Sunday afternoon', now: new Date('2026-11-22T15:00:00Z') },
];
const ZONES = ['UTC', 'Asia/Seoul'];

const isFinished = (row: WireAssignment) => row.status === 'completed' || row.status === 'rejected';

/** The dashboard's daily series of the last 30 days and today (the first, cut day left off). */
function lastDays(rows: WireAssignment[], now: Date, timeZone: string) {
  const series = expectedDashboard(rows, now, 31, [{ bucket: 'DAY', timeZone }]).series[0]!;
  return series.slice(-31).map((day) => ({ date: day.date, created: day.created, finished: day.completed + day.rejected }));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2;
}

/** Open at `at`: created by then and not finished by then (rows finished later were open). */
function backlogAt(rows: WireAssignment[], at: number): number {
  return rows.filter((row) => Date.parse(row.created_at) <= at && !(isFinished(row) && Date.parse(row.updated_at) <= at)).length;
}

describe.each([2000, 20_000])('the seeded history of %i assignments over 4 projects', (size) => {
  describe.each(NOWS)('anchored on $label', ({ now }) => {
    let store: DevStore;
    let rows: WireAssignment[];
    const own = (project: number) => rows.filter((row) => row.project === project);
    const series = new Map<string, ReturnType<typeof lastDays>>();
    /** A project's last days in a zone, computed once for the tests that share it. */
    const daysOf = (project: number, timeZone: string) => {
      const key = `${project} ${timeZone}`;
      if (!series.has(key)) series.set(key, lastDays(own(project), now, timeZone));
      return series.get(key)!;
    };

    beforeAll(() => {
      store = DevStore.open(':memory:', { assignments: size, now });
      rows = everyAssignment(store);
    });

    afterAll(() => store.close());

    it.each(ZONES)('has no day of the last 30, nor today, above 3x the median day + 4, in %s', (timeZone) => {
      for (const project of PROJECTS) {
        const days = daysOf(project, timeZone);
        expect(days).toHaveLength(31);
        for (const key of ['created', 'finished'] as const) {
          const counts = days.map((day) => day[key]);
          const bound = 3 * median(counts.slice(0, 30)) + 4;
          const over = days.filter((day) => day[key] > bound).map((day) => `${day.date}: ${day[key]}`);
          expect(over, `project ${project}, ${key} per day ${counts.join(' ')}; bound ${bound}`).toEqual([]);
        }
      }
    });

    it.each(ZONES)('has arrivals every day, fewer on weekends, in %s', (timeZone) => {
      for (const project of PROJECTS) {
        const full = daysOf(project, timeZone).slice(0, 30);
        const isWeekend = (date: string) => [0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay());
        const mean = (days: typeof full) => days.reduce((sum, day) => sum + day.created, 0) / days.length;
        const [weekend, weekdays] = [full.filter((day) => isWeekend(day.date)), full.filter((day) => !isWeekend(day.date))];
        expect(weekend.length).toBeGreaterThanOrEqual(8);
        expect(full.filter((day) => day.created === 0), `project ${project}`).toEqual([]);
        expect(mean(weekend), `project ${project}`).toBeLessThan(0.75 * mean(weekdays));
      }
    });

    it('finishes work at least an hour after it arrived, hours to days in the median, never after now', () => {
      const finished = rows.filter(isFinished);
      const lags = finished.map((row) => (Date.parse(row.updated_at) - Date.parse(row.created_at)) / HOUR);
      expect(finished.length).toBeGreaterThan(size / 2);
      expect(Math.min(...lags)).toBeGreaterThanOrEqual(1);
      expect(median(lags)).toBeGreaterThan(6);
      expect(median(lags)).toBeLessThan(7 * 24);
      expect(rows.every((row) => Date.parse(row.updated_at) <= now.getTime())).toBe(true);
      for (const row of rows.filter((row) => row.status === 'in_progress')) expect(row.updated_at > row.created_at).toBe(true);
      for (const row of rows.filter((row) => row.status === 'pending')) expect(row.updated_at).toBe(row.created_at);
    });

    it('keeps a backlog of one day to two weeks of arrivals, steady over the last month', () => {
      for (const project of PROJECTS) {
        const rowsOf = own(project);
        const perDay = rowsOf.filter((row) => Date.parse(row.created_at) > now.getTime() - 30 * DAY).length / 30;
        const open = rowsOf.filter((row) => row.status === 'pending' || row.status === 'in_progress').length;
        expect(backlogAt(rowsOf, now.getTime())).toBe(open);
        expect(open, `project ${project}`).toBeGreaterThan(perDay);
        expect(open, `project ${project}`).toBeLessThan(14 * perDay);
        for (const daysAgo of [7, 14, 21, 28]) {
          const then = backlogAt(rowsOf, now.getTime() - daysAgo * DAY);
          expect(open / then, `project ${project}, ${daysAgo} days ago: ${then}`).toBeGreaterThan(0.5);
          expect(open / then, `project ${project}, ${daysAgo} days ago: ${then}`).toBeLessThan(2);
        }
      }
    });
  });
});
