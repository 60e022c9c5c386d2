import type { Principal } from './auth.ts';
import type { Query } from './params.ts';
import type { DevStore } from './store.ts';

/** Everything a route handler needs; handlers return the 200 body or throw HttpError. */
export interface RequestContext {
  store: DevStore;
  principal: Principal;
  /** Absolute request URL, built from the Host header (for `next`/`previous`). */
  url: URL;
  query: Query;
  /** The integer captured from the path (`assignments/{id}/`, `projects/{id}/tags/`). */
  pathId: number | undefined;
  contentType: string | undefined;
  /** DEV_BACKEND_MAX_PAGE_SIZE: the largest `page_size` honoured. */
  maxPageSize: number;
  /** Raw body of a POST (already size-checked); undefined otherwise. */
  body: Buffer | undefined;
}

export type Handler = (context: RequestContext) => unknown;
