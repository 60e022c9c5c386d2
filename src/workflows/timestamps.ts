import type { WireAssignment } from '../contract/index.ts';

const HOUR_MS = 3_600_000;

/** Age in hours at `asOf`, computed from `created_at` as the SDK's automation does. */
export function ageHours(row: WireAssignment, asOf: Date): number {
  return (asOf.getTime() - Date.parse(row.created_at)) / HOUR_MS;
}
