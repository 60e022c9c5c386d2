import { Instant, type WireAssignment } from '../contract/index.ts';

const HOUR_MS = 3_600_000;

/**
 * Microseconds since the epoch of a DRF timestamp (`...:00.123456Z`); NaN when it is
 * not one. Date.parse drops the last three digits, which would put a row created
 * 0.5 ms after a moment at that moment; window bounds and `createdAfter` checks
 * compare in microseconds.
 */
export function epochMicros(timestamp: string): number {
  return Instant.parse(timestamp, 'utc-if-missing')?.epochMicros ?? Number.NaN;
}

/** Age in hours at `asOf`, computed from `created_at` as the SDK's automation does. */
export function ageHours(row: WireAssignment, asOf: Date): number {
  return (asOf.getTime() - Date.parse(row.created_at)) / HOUR_MS;
}
