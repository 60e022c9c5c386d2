/**
 * Synapse's v2 HITL endpoints (reviews, project tags, assignment detail) as they travel
 * over HTTP (../shared/synapse-contract.md, section "v2"). The spec (OpenAPI) and the
 * runtime description (the policy page, the Go client) disagree on the list and detail
 * bodies; both shapes are typed here, and the upstream client reads either.
 */

/** `per_page` a v2 list answers with when none is given. */
export const V2_DEFAULT_PER_PAGE = 50;
/** Largest `per_page` a v2 list honours; above it the embedded backend caps silently, as DRF does. */
export const V2_MAX_PER_PAGE = 200;

/** A review's `scope`. */
export type WireReviewScope = 'project' | 'group' | 'assignment' | 'annotation';
export const WIRE_REVIEW_SCOPES: readonly WireReviewScope[] = ['project', 'group', 'assignment', 'annotation'];

/** Longest `object_id` of a review. */
export const REVIEW_OBJECT_ID_MAX = 30;

/** A review as `GET v2/reviews/` lists it: lean, without author, text, tags or position. */
export interface WireReviewItem {
  id: number;
  assignment_id: number;
  scope: WireReviewScope;
  is_active: boolean;
  created: string;
}

/** A review as `GET v2/reviews/{id}/` (and a create) answers it. */
export interface WireReview extends WireReviewItem {
  /** The author: the caller who created it. */
  user_id: number;
  /** Tag ids (of the assignment's project). */
  tags: number[];
  object_id: string | null;
  /** The text ("Content" in the spec). */
  description: string;
  /** Free JSON ("Location"). */
  position: unknown;
}

/** The fields only a review's detail has; a list asked for them with `fields` answers them too. */
export const REVIEW_DETAIL_FIELDS = ['user_id', 'tags', 'object_id', 'description', 'position'] as const;
export const REVIEW_LIST_FIELDS = ['id', 'assignment_id', 'scope', 'is_active', 'created'] as const;

/** Body of `POST v2/reviews/`; the author is set server-side. */
export interface WireReviewCreate {
  assignment: number;
  scope?: WireReviewScope;
  tags?: number[];
  object_id?: string;
  description?: string;
  position?: unknown;
}

/** v2's `status_label` of an assignment. */
export type WireStatusLabel = 'stand_by' | 'in_progress' | 'completed' | 'skipped';
/** v2's `status_review`: the labels plus `rejected`. */
export type WireStatusReview = WireStatusLabel | 'rejected';

/** `GET v2/assignments/{id}/`. */
export interface WireAssignmentV2 {
  id: number;
  /** The assignee. */
  user_id: number | null;
  task_id: number | null;
  reviewer_id: number | null;
  status_label: WireStatusLabel;
  status_review: WireStatusReview;
  is_confirmed: boolean;
  is_discarded: boolean;
  data: Record<string, unknown> | null;
  tags: number[];
  created: string;
}

/** A project tag's `category`. */
export type WireTagCategory = 'project' | 'export';
export const WIRE_TAG_CATEGORIES: readonly WireTagCategory[] = ['project', 'export'];

/** Length bounds of a v2 tag name. */
export const TAG_NAME_MAX = 100;

/** `GET v2/projects/{project_pk}/tags/{id}/`. */
export interface WireTagV2 {
  id: number;
  project_id: number;
  name: string;
  category: WireTagCategory;
  description: string;
  meta: Record<string, unknown>;
}

/** Body of `POST v2/projects/{project_pk}/tags/`. */
export interface WireTagCreate {
  name: string;
  category: WireTagCategory;
  description?: string;
  meta?: Record<string, unknown>;
}

/** `meta` of every v2 answer; lists add their pagination. */
export interface WireV2Meta {
  request_id?: string;
  pagination?: { next_cursor: string | null; previous_cursor: string | null; per_page: number };
}

/** A list in the runtime's envelope (policy page, Go client). */
export interface WireV2List<T> {
  data: T[];
  meta: WireV2Meta;
}

/** A list as the OpenAPI spec declares it: DRF cursor pagination, the cursor inside `next`'s URL. */
export interface WireCursorPage<T> {
  next: string | null;
  previous: string | null;
  results: T[];
}

/** A detail in the runtime's envelope; the spec answers the bare object. */
export interface WireV2Detail<T> {
  data: T;
  meta: WireV2Meta;
}

/** What a write with `?dry_run=true` answers, having written nothing. */
export interface WireDryRun {
  dry_run: true;
  action: 'create' | 'delete';
  validated_fields: string[];
}

/** v2 error codes and the status each comes with. */
export const V2_ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  AUTHENTICATION_REQUIRED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNPROCESSABLE_ENTITY: 422,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
} as const;

export type V2ErrorCode = keyof typeof V2_ERROR_STATUS;
