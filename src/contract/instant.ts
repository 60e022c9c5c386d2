/**
 * An instant at the upstream's resolution, the microsecond. Synapse (Django) sends
 * `2026-11-20T10:00:00.123456Z`; a `Date` keeps milliseconds only, so a timestamp that
 * went through one comes back as an earlier instant, and a client filtering with it
 * (`updated_after`) gets the row it already has again. Kept as milliseconds plus the
 * microseconds within that millisecond, so every year from 0000 to 9999 is exact.
 */
export class Instant {
  private constructor(
    private readonly ms: number,
    /** 0 to 999. */
    private readonly microsOfMs: number,
  ) {}

  /** Years 0000 to 9999: the range a four-digit year can spell. */
  private static readonly MIN_MS = -62_167_219_200_000;
  private static readonly MAX_MS = 253_402_300_800_000;

  /**
   * Parses an ISO 8601 / RFC 3339 date-time. `offset: 'required'` (client input) wants
   * `Z` or `±hh:mm`; `'utc-if-missing'` (upstream rows) reads a naive time as UTC, the
   * time zone Django stores. Digits past the sixth are below the upstream's resolution
   * and dropped (rounded toward the past). Null when it is not a valid date-time.
   */
  static parse(text: string, offset: 'required' | 'utc-if-missing' = 'required'): Instant | null {
    const match = DATE_TIME.exec(text);
    if (!match) return null;
    const [, year, month, day, hour, minute, second, fraction = '', zone] = match;
    if (zone === undefined && offset === 'required') return null;
    const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
    if (h > 23 || mi > 59 || s > 59) return null;
    // setUTCFullYear, not Date.UTC: Date.UTC maps years 0 to 99 onto 1900 to 1999.
    const date = new Date(0);
    date.setUTCFullYear(y, mo - 1, d);
    date.setUTCHours(h, mi, s, 0);
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
    const offsetMinutes = parseOffset(zone ?? 'Z');
    if (offsetMinutes === null) return null;
    const micros = Number(fraction.slice(0, 6).padEnd(6, '0'));
    return Instant.of(date.getTime() - offsetMinutes * 60_000 + Math.floor(micros / 1000), micros % 1000);
  }

  static fromDate(date: Date): Instant {
    const instant = Instant.of(date.getTime(), 0);
    if (!instant) throw new RangeError(`${date.toISOString()} is outside years 0000 to 9999`);
    return instant;
  }

  private static of(ms: number, microsOfMs: number): Instant | null {
    return Number.isFinite(ms) && ms >= Instant.MIN_MS && ms < Instant.MAX_MS ? new Instant(ms, microsOfMs) : null;
  }

  /** Microseconds since the epoch (exact up to the year 2255, far past any row). */
  get epochMicros(): number {
    return this.ms * 1000 + this.microsOfMs;
  }

  /** The instant to the millisecond, for arithmetic in hours and days. */
  toDate(): Date {
    return new Date(this.ms);
  }

  /** This instant moved by whole microseconds (negative: earlier). */
  plusMicros(micros: number): Instant {
    const total = this.microsOfMs + micros;
    const ms = this.ms + Math.floor(total / 1000);
    const instant = Instant.of(ms, total - Math.floor(total / 1000) * 1000);
    if (!instant) throw new RangeError('the instant would leave years 0000 to 9999');
    return instant;
  }

  /** Negative, zero or positive as this instant is before, at or after `other`. */
  compare(other: Instant): number {
    return this.ms - other.ms || this.microsOfMs - other.microsOfMs;
  }

  /** The upstream's own form: UTC, always six fraction digits (`2026-11-20T10:00:00.123456Z`). */
  toString(): string {
    return `${new Date(this.ms).toISOString().slice(0, 23)}${String(this.microsOfMs).padStart(3, '0')}Z`;
  }

  toJSON(): string {
    return this.toString();
  }
}

// RFC 3339 (and Django's output): date, `T` or space, time with seconds, optional
// fraction, optional zone. Lower-case `t`/`z` are allowed, as RFC 3339 allows them.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})?$/;

function parseOffset(zone: string): number | null {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  return hours > 23 || minutes > 59 ? null : sign * (hours * 60 + minutes);
}
