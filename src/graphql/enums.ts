import type { AssignmentOrderField, AssignmentStatus, SetTagsMode } from '../__generated__/resolvers-types.ts';
import type { SetTagsMode as WireSetTagsMode } from '../upstream/client.ts';
import type { WireOrderingField, WireStatus } from '../contract/index.ts';

/** GraphQL enum values onto the REST strings: the one place where IN_PROGRESS becomes in_progress. */
export const STATUS_TO_WIRE: Record<AssignmentStatus, WireStatus> = {
  PENDING: 'pending',
  IN_PROGRESS: 'in_progress',
  COMPLETED: 'completed',
  REJECTED: 'rejected',
};

export const STATUS_FROM_WIRE = Object.fromEntries(
  Object.entries(STATUS_TO_WIRE).map(([graphql, wire]) => [wire, graphql]),
) as Record<WireStatus, AssignmentStatus>;

export const MODE_TO_WIRE: Record<SetTagsMode, WireSetTagsMode> = { ADD: 'add', REPLACE: 'replace', REMOVE: 'remove' };

export const ORDER_FIELD_TO_WIRE: Record<AssignmentOrderField, WireOrderingField> = {
  ID: 'id',
  CREATED_AT: 'created_at',
  UPDATED_AT: 'updated_at',
  PRIORITY: 'priority',
};
