/**
 * Timestamps as the API sends them: ISO 8601 with microseconds (Django's default),
 * `2026-11-20T10:00:00.123456Z`. JavaScript's Date holds milliseconds only, so
 * comparisons and arithmetic that must not lose the last three digits use
 * microseconds since the epoch.
 */

/** Microseconds since the epoch of an API timestamp; Date.parse would drop the last three digits. */
export function epochMicros(timestamp: string): number {
  const extra = /\.\d{3}(\d{1,3})/.exec(timestamp)?.[1] ?? '';
  return Date.parse(timestamp) * 1000 + Number(extra.padEnd(3, '0'));
}

/** The API's form (UTC, six fraction digits) of microseconds since the epoch. */
export function formatMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micros - ms * 1000).padStart(3, '0')}Z`;
}
