import type { AssignmentFilter } from '../../__generated__/resolvers-types.ts';
import { toSynapseId, type Instant, type WireAssignmentFilter } from '../../contract/index.ts';
import { STATUS_TO_WIRE } from '../enums.ts';
import { gatewayError } from '../errors.ts';

const MAX_SEARCH_LENGTH = 200;

/** Like toSynapseId, but a bad id is a BAD_USER_INPUT error naming the argument. */
export function parseId(value: string | number, argument: string): number {
  const id = toSynapseId(value);
  if (id === null) {
    throw gatewayError('BAD_USER_INPUT', `${argument} must be a positive integer id, got ${JSON.stringify(String(value).slice(0, 40))}.`, {
      argument,
    });
  }
  return id;
}

/**
 * `createdAfter`/`updatedAfter` are strictly after; Synapse's `created_after`/`updated_after`
 * include the moment itself. Its timestamps have microsecond resolution, so "at or after
 * t + 1 µs" is exactly "after t": a client polling with the newest `updatedAt` it has never
 * gets that row again unless it changed. The value travels with all six fraction digits.
 */
function strictlyAfter(instant: Instant): string {
  return instant.plusMicros(1).toString();
}

/** The GraphQL filter as the REST query parameters of `GET sdk/assignments/`. */
export function toWireFilter(filter: AssignmentFilter | null | undefined, argument = 'filter'): WireAssignmentFilter {
  const out: WireAssignmentFilter = {};
  if (!filter) return out;
  if (filter.project != null) out.project = parseId(filter.project, `${argument}.project`);
  if (filter.status != null) out.status = STATUS_TO_WIRE[filter.status];
  if (filter.assignee != null) out.assignee = parseId(filter.assignee, `${argument}.assignee`);
  if (filter.createdAfter != null) out.created_after = strictlyAfter(filter.createdAfter);
  if (filter.updatedAfter != null) out.updated_after = strictlyAfter(filter.updatedAfter);
  if (filter.priority != null) out.priority = filter.priority;
  if (filter.search != null) {
    const search = filter.search.trim();
    if (search.length > MAX_SEARCH_LENGTH) {
      throw gatewayError('BAD_USER_INPUT', `${argument}.search must be at most ${MAX_SEARCH_LENGTH} characters.`, {
        argument: `${argument}.search`,
      });
    }
    if (search !== '') out.search = search;
  }
  return out;
}
