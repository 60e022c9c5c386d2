import { shuffle, type Random } from './prng.ts';

/**
 * When the seed's work happens, so that its history reads like a real team's on a
 * dashboard. Arrivals follow a weekly rhythm (weekends quieter), a slow growth and some
 * day-to-day variation. Waiting and working are measured in working hours, which pass
 * slower on weekends, so completions keep the same rhythm. Work whose finish would fall
 * after `now` is simply not finished yet: nothing piles up on the last day.
 */

/** An hour in microseconds, the unit of every seeded timestamp. */
export const HOUR = 3_600_000_000;
/** Where the seed's PRNG streams start; each part of the seed draws from its own offset of it. */
export const SEED = 0x5eed_2026;
const DAY = 24 * HOUR;
/** created_at spreads over the 60 days before `now`. */
const WINDOW_HOURS = 60 * 24;
/** A Saturday's or Sunday's (UTC) activity against a weekday's. */
const WEEKEND_PACE = 0.35;
/** Arrivals per day at the end of the window against its start: the project is growing. */
const GROWTH = 1.3;
/** Log-normal spread of a day's arrivals around the rhythm's expectation. */
const DAY_SPREAD = 0.15;

export interface Timeline {
  /**
   * Creation times of `count` arrivals, one per call: one in each of `count` equal shares
   * of the expected arrivals, so every day gets its share, in random order, so ids do
   * not follow creation time.
   */
  arrivals(count: number): () => number;
  /** The time `workHours` of working time after `from`, or null when that is after now. */
  after(from: number, workHours: number): number | null;
}

/** Times are microseconds since the epoch, hour by hour over the window ending at `now`. */
export function createTimeline(now: number, random: Random): Timeline {
  const start = now - WINDOW_HOURS * HOUR;
  const firstDay = Math.floor(start / DAY);
  const dayFactors = Array.from({ length: Math.floor(now / DAY) - firstDay + 1 }, () => Math.exp(DAY_SPREAD * normal(random)));
  // Cumulative working hours and expected arrivals at the start of each hour of the window.
  const work = new Float64Array(WINDOW_HOURS + 1);
  const expected = new Float64Array(WINDOW_HOURS + 1);
  for (let hour = 0; hour < WINDOW_HOURS; hour++) {
    const day = Math.floor((start + hour * HOUR) / DAY);
    // Day 0 of the epoch was a Thursday: weekday 0 is Sunday, 6 Saturday, as getUTCDay counts.
    const weekday = (((day + 4) % 7) + 7) % 7;
    const pace = weekday === 0 || weekday === 6 ? WEEKEND_PACE : 1;
    const growth = 1 + ((GROWTH - 1) * hour) / WINDOW_HOURS;
    work[hour + 1] = work[hour]! + pace;
    expected[hour + 1] = expected[hour]! + pace * growth * dayFactors[day - firstDay]!;
  }

  /** The instant at which a cumulative table reaches `target` (at most its total). */
  const reach = (table: Float64Array, target: number): number => {
    let [low, high] = [0, WINDOW_HOURS - 1];
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (table[middle]! <= target) low = middle;
      else high = middle - 1;
    }
    const fraction = (target - table[low]!) / (table[low + 1]! - table[low]!);
    return start + Math.floor((low + fraction) * HOUR);
  };

  return {
    arrivals(count) {
      const shares = shuffle(Array.from({ length: count }, (_, share) => share), random);
      let next = 0;
      return () => reach(expected, ((shares[next++]! + random()) / count) * expected[WINDOW_HOURS]!);
    },
    after(from, workHours) {
      const position = (from - start) / HOUR;
      const hour = Math.min(Math.floor(position), WINDOW_HOURS - 1);
      const target = work[hour]! + (position - hour) * (work[hour + 1]! - work[hour]!) + workHours;
      return target > work[WINDOW_HOURS]! ? null : reach(work, target);
    },
  };
}

/** A log-normal draw: most values near `median`, a long tail above it. */
export function logNormal(median: number, spread: number, random: Random): number {
  return median * Math.exp(spread * normal(random));
}

/** A standard normal draw (Box-Muller); 1 - u keeps the logarithm finite. */
function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
