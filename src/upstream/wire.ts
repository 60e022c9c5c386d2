/**
 * Wire types of the Synapse HITL REST API, exactly as they travel over HTTP.
 * See ../shared/synapse-contract.md; both the upstream client and the embedded
 * development backend speak these shapes.
 */

/** Assignment status as the REST API spells it. */
export type WireStatus = 'pending' | 'in_progress' | 'completed' | 'rejected';

export const WIRE_STATUSES: readonly WireStatus[] = ['pending', 'in_progress', 'completed', 'rejected'];

/** A file entry: either a URL string or an object holding at least `url`. */
export type WireFile = string | { url: string; [key: string]: unknown };

export interface WireAssignment {
  id: number;
  project: number;
  status: WireStatus;
  assignee: number | null;
  data: Record<string, unknown> | null;
  files: Record<string, WireFile>;
  created_at: string;
  updated_at: string;
  metadata: Record<string, unknown>;
  priority: number | null;
  tags: number[];
}

/** DRF page-number pagination envelope. */
export interface WirePage<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** A tag of one project (`GET projects/{id}/tags/`). */
export interface WireTag {
  id: number;
  name: string;
  color: string;
  description: string;
}

/** Ordering keys accepted by `GET sdk/assignments/`, optionally prefixed with `-`. */
export type WireOrderingField = 'id' | 'created_at' | 'updated_at' | 'priority';
export type WireOrdering = WireOrderingField | `-${WireOrderingField}`;

/** Filters of `GET sdk/assignments/` (all optional, combined with AND). */
export interface WireAssignmentFilter {
  project?: number;
  status?: WireStatus;
  assignee?: number;
  created_after?: string;
  updated_after?: string;
  priority?: number;
  search?: string;
  /** Non-standard: restricts to these ids (only where the backend supports it). */
  ids?: number[];
}

/** Body of `POST assignments/set_tags/` in the seed's form. */
export interface WireSetTagsBody {
  assignment_ids: number[];
  tag_ids: number[];
}

/** Body of `POST assignments/set_tags/` in the newer SDK generation's form. */
export interface WireSetTagsActionBody {
  ids: number[];
  tags: number[];
  action: 'add' | 'remove';
}

/** The operation result object `set_tags` answers with. */
export interface WireSetTagsResult {
  updated: number;
  assignment_ids: number[];
  tag_ids: number[];
  action: 'add' | 'replace' | 'remove';
  notified: number;
}

/** DRF error body: `{"detail": "..."}` or `{"field": ["message", ...]}`. */
export type WireDrfError = { detail: string } | Record<string, string[] | string>;

/** Error body of the newer API generation. */
export interface WireV2Error {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
  meta?: { request_id?: string };
}
