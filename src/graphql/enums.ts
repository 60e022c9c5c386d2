import type {
  AssignmentOrderField,
  AssignmentReviewStatus,
  AssignmentStatus,
  ReviewScope,
  ReviewVerdict,
  SetTagsMode,
  TagCategory,
} from '../__generated__/resolvers-types.ts';
import type { ReviewDecision } from '../workflows/review-plan.ts';
import type { SetTagsMode as WireSetTagsMode } from '../upstream/client.ts';
import type { WireOrderingField, WireReviewScope, WireStatus, WireStatusReview, WireTagCategory } from '../contract/index.ts';

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

/** v2's `status_review`; `stand_by` (not reviewed yet) is PENDING, as v1's `pending` is. */
export const REVIEW_STATUS_FROM_WIRE: Record<WireStatusReview, AssignmentReviewStatus> = {
  stand_by: 'PENDING',
  in_progress: 'IN_PROGRESS',
  completed: 'COMPLETED',
  skipped: 'SKIPPED',
  rejected: 'REJECTED',
};

export const REVIEW_SCOPE_FROM_WIRE: Record<WireReviewScope, ReviewScope> = {
  project: 'PROJECT',
  group: 'GROUP',
  assignment: 'ASSIGNMENT',
  annotation: 'ANNOTATION',
};

/** A verdict as the review plan decides it: the seed's verdict names, or a comment. */
export const VERDICT_TO_DECISION: Record<ReviewVerdict, ReviewDecision> = {
  APPROVE: 'approved',
  REJECT: 'rejected',
  NEEDS_REVIEW: 'needsReview',
  COMMENT: 'comment',
};

export const TAG_CATEGORY_TO_WIRE: Record<TagCategory, WireTagCategory> = { PROJECT: 'project', EXPORT: 'export' };
