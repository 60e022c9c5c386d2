/** Calendar buckets of a dashboard series: days or ISO weeks in an IANA time zone. */
export type BucketSize = 'DAY' | 'WEEK';

/** One calendar bucket, as instants: [startMs, endMs). */
export interface TimeBucket {
  /** Local calendar date (YYYY-MM-DD) the bucket starts on. */
  date: string;
  startMs: number;
  endMs: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** UTC offsets on Earth stay within −12 h and +14 h; the search for a local midnight spans a bit more. */
const OFFSET_SPAN_MS = 18 * HOUR_MS;

/** One formatter per zone: building an Intl.DateTimeFormat costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/**
 * The zone's canonical IANA name (`asia/seoul` → `Asia/Seoul`, `US/Eastern` →
 * `America/New_York`), or null when the runtime's time-zone data does not know it.
 * Offsets such as `+09:00` are refused: they have no daylight-saving rules, and a
 * caller who means Seoul should say so. (Node 24's Intl accepts them as zones, as
 * ECMA-402 now allows, so they are refused here by their sign.)
 */
export function canonicalTimeZone(name: string): string | null {
  if (name.length === 0 || name.length > 64 || name.startsWith('+') || name.startsWith('-')) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** Wall-clock fields of an instant in a zone. */
interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function civilAt(ms: number, timeZone: string): Civil {
  const civil: Civil = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type in civil) civil[part.type as keyof Civil] = Number(part.value);
  }
  return civil;
}

/** The zone's offset from UTC at an instant, in ms (whole seconds, as tz data has them). */
function offsetAt(ms: number, timeZone: string): number {
  const c = civilAt(ms, timeZone);
  return Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second) - (ms - (((ms % 1000) + 1000) % 1000));
}

/** Days since the epoch of a calendar date (proleptic Gregorian), so dates step by plain arithmetic. */
function dayNumber(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

function dateOfDayNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** The local calendar day (as a day number) an instant falls on in a zone. */
function localDayNumber(ms: number, timeZone: string): number {
  const c = civilAt(ms, timeZone);
  return dayNumber(c.year, c.month, c.day);
}

/**
 * The first instant of a local calendar day: local midnight, or, where a
 * daylight-saving change skips midnight (Chile, and formerly Brazil, spring forward
 * at 00:00), the first instant that exists on that date.
 */
function startOfLocalDay(n: number, timeZone: string): number {
  const wall = n * DAY_MS;
  // Two rounds settle the offset on either side of a change a few hours from midnight.
  let guess = wall - offsetAt(wall, timeZone);
  guess = wall - offsetAt(guess, timeZone);
  if (localDayNumber(guess, timeZone) === n && localDayNumber(guess - 1, timeZone) === n - 1) return guess;
  // Midnight does not exist that day: search for the instant the date begins.
  let lo = wall - OFFSET_SPAN_MS;
  let hi = wall + OFFSET_SPAN_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDayNumber(mid, timeZone) >= n) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Every bucket that overlaps [from, to], in order, each one whole calendar day, or
 * whole ISO week (Monday to Monday), in the zone. A day is 23 or 25 hours long on a
 * daylight-saving change, so buckets are found from local dates, never by adding
 * 24 hours. `timeZone` must be canonical (see canonicalTimeZone).
 */
export function bucketsCovering(from: Date, to: Date, size: BucketSize, timeZone: string): TimeBucket[] {
  const step = size === 'DAY' ? 1 : 7;
  let day = localDayNumber(from.getTime(), timeZone);
  // Day 0 (1970-01-01) was a Thursday, so (day + 3) mod 7 counts the days since Monday.
  if (size === 'WEEK') day -= (((day + 3) % 7) + 7) % 7;
  const buckets: TimeBucket[] = [];
  let start = startOfLocalDay(day, timeZone);
  while (start <= to.getTime()) {
    const end = startOfLocalDay(day + step, timeZone);
    buckets.push({ date: dateOfDayNumber(day), startMs: start, endMs: end });
    day += step;
    start = end;
  }
  return buckets;
}

/** Index of the bucket holding an instant (ms, possibly fractional), or -1 when none does. */
export function bucketIndex(starts: Float64Array, lastEnd: number, ms: number): number {
  if (starts.length === 0 || ms < starts[0]! || ms >= lastEnd) return -1;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= ms) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
