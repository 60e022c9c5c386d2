/**
 * Timestamps travel and are stored in DRF's form, `2026-11-20T10:00:00.123456Z`:
 * always UTC, always microseconds. The fixed width makes string order equal time order,
 * so SQLite compares and sorts the TEXT columns correctly and indexes serve both.
 */

const MICROS_PER_MS = 1000;
/** Years 0000 to 9999: the range a four-digit year can spell. */
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_800_000;

/** Formats microseconds since the epoch. */
export function formatMicros(epochMicros: number): string {
  const ms = Math.floor(epochMicros / MICROS_PER_MS);
  const micros = epochMicros - ms * MICROS_PER_MS;
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/** Microseconds since the epoch of a stored timestamp (the form formatMicros writes). */
export function storedMicros(stored: string): number {
  return Date.parse(`${stored.slice(0, 23)}Z`) * MICROS_PER_MS + Number(stored.slice(23, 26));
}

export function formatDate(date: Date): string {
  return formatMicros(date.getTime() * MICROS_PER_MS);
}

// What Django's DateTimeField accepts: a date, optionally a time with optional seconds
// and fraction (digits past the sixth are dropped), optionally an offset. No offset
// means UTC, the server's time zone.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Parses a filter value into the stored form, or null when it is not a date/time.
 * Parsed by hand rather than with Date: Date drops microseconds (a filter at
 * `.123456` would match a row at `.123400`) and silently rolls over days like Feb 30.
 */
export function parseTimestamp(text: string): string | null {
  const match = ISO_8601.exec(text);
  if (!match) return null;
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone = 'Z'] = match;
  const parts = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = parts;
  if (h > 23 || mi > 59 || s > 59) return null;
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0 to 99 onto 1900 to 1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  const offsetMinutes = parseOffset(zone);
  if (offsetMinutes === null) return null;
  const ms = date.getTime() - offsetMinutes * 60_000;
  if (ms < MIN_MS || ms >= MAX_MS) return null;
  return formatMicros(ms * MICROS_PER_MS + Number(fraction.padEnd(6, '0')));
}

function parseOffset(zone: string): number | null {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  return hours > 23 || minutes > 59 ? null : sign * (hours * 60 + minutes);
}
