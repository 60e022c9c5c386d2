/**
 * The assignment resource of the Synapse HITL REST API, exactly as it travels over
 * HTTP (see ../shared/synapse-contract.md). The upstream client and the embedded
 * development backend both speak these shapes; neither defines its own.
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

/** Ordering keys accepted by `GET sdk/assignments/`, optionally prefixed with `-`. */
export type WireOrderingField = 'id' | 'created_at' | 'updated_at' | 'priority';
export type WireOrdering = WireOrderingField | `-${WireOrderingField}`;

export const WIRE_ORDERING_FIELDS: readonly WireOrderingField[] = ['id', 'created_at', 'updated_at', 'priority'];

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
