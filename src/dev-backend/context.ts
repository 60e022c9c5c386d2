import type { Principal } from './auth.ts';
import type { Faults } from './faults.ts';
import type { Query } from './params.ts';
import type { DevStore } from './store.ts';

/** Everything a route handler needs; handlers return the 200 body or throw HttpError. */
export interface RequestContext {
  store: DevStore;
  principal: Principal;
  /** Absolute request URL, built from the Host header (for `next`/`previous`). */
  url: URL;
  query: Query;
  /** The first integer captured from the path (`assignments/{id}/`, `projects/{id}/tags/`). */
  pathId: number | undefined;
  /** Every integer captured from the path, in order (`v2/projects/{project_pk}/tags/{id}/`). */
  pathIds: number[];
  contentType: string | undefined;
  /** DEV_BACKEND_MAX_PAGE_SIZE: the largest `page_size` honoured. */
  maxPageSize: number;
  /** Raw body of a POST (already size-checked); undefined otherwise. */
  body: Buffer | undefined;
  /** `meta.request_id` of a v2 answer (`req_…`), unique per request of this server. */
  requestId: string;
  /** The injected faults a handler applies itself (review-create failures, `fields` ignored). */
  faults: Faults;
}

export type Handler = (context: RequestContext) => unknown;
