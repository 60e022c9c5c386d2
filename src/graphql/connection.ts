import { gatewayError } from './errors.ts';

/** Upper bound of `page_size` the Synapse list endpoint accepts. */
export const MAX_UPSTREAM_PAGE_SIZE = 1000;

const PREFIX = 'assignment-offset:';

/** Opaque cursor for the item at `offset` (0-based) in the filtered, ordered list. */
export function encodeCursor(offset: number): string {
  return Buffer.from(`${PREFIX}${offset}`, 'utf8').toString('base64url');
}

/** The offset inside a cursor; a cursor we did not make is a BAD_USER_INPUT error. */
export function decodeCursor(cursor: string, argument: 'after' | 'before'): number {
  const text = cursor.length <= 64 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^assignment-offset:(\d{1,9})$/.exec(text);
  if (!match) throw gatewayError('BAD_USER_INPUT', `${argument} is not a cursor returned by this API.`, { argument });
  return Number(match[1]);
}

/** Which upstream pages to read for the items [start, start + size). */
export interface PagePlan {
  pageSize: number;
  /** 1-based page numbers, in order. */
  pages: number[];
  /** Index of item `start` in the concatenation of those pages. */
  skip: number;
}

/**
 * The cheapest upstream read of a window: the smallest page size for which the whole
 * window falls in one page (so forward pagination with a constant `first` maps to
 * exactly one request per page), else two pages of `size`.
 */
export function planPages(start: number, size: number, maxPageSize = MAX_UPSTREAM_PAGE_SIZE): PagePlan {
  const last = start + size - 1;
  for (let pageSize = size; pageSize <= maxPageSize; pageSize++) {
    const page = Math.floor(start / pageSize);
    if (page === Math.floor(last / pageSize)) return { pageSize, pages: [page + 1], skip: start - page * pageSize };
  }
  const page = Math.floor(start / size);
  return { pageSize: size, pages: [page + 1, page + 2], skip: start - page * size };
}

export interface ConnectionArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}

/** The window a connection page asks for; `end` is null when it depends on the count. */
export interface Window {
  /** First offset, or null for "the last `size` items before `end`". */
  start: number | null;
  size: number;
  /** Exclusive end bound from `before`, if any. */
  before: number | null;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Validates Relay arguments (first/last in 1..100, not both) into a window. */
export function toWindow(args: ConnectionArgs): Window {
  if (args.first != null && args.last != null) {
    throw gatewayError('BAD_USER_INPUT', 'Pass either first or last, not both.', { argument: 'first' });
  }
  for (const name of ['first', 'last'] as const) {
    const value = args[name];
    if (value != null && (value < 1 || value > MAX_PAGE_SIZE)) {
      throw gatewayError('BAD_USER_INPUT', `${name} must be between 1 and ${MAX_PAGE_SIZE}.`, { argument: name });
    }
  }
  const after = args.after != null ? decodeCursor(args.after, 'after') : null;
  const before = args.before != null ? decodeCursor(args.before, 'before') : null;
  const lo = after === null ? 0 : after + 1;
  if (args.last != null) {
    return before === null
      ? { start: null, size: args.last, before: null }
      : { start: Math.max(lo, before - args.last), size: Math.max(0, before - Math.max(lo, before - args.last)), before };
  }
  const size = args.first ?? DEFAULT_PAGE_SIZE;
  return { start: lo, size: before === null ? size : Math.max(0, Math.min(size, before - lo)), before };
}

/**
 * Where a page of an assignment's reviews starts: Synapse's own cursor of the page (null:
 * the first), the `per_page` that page was read with, and how many of its reviews come
 * before. `skip` is 0 when an edge was the last of its page: the next page's cursor
 * then says it all, and any page size reads on from it.
 */
export interface ReviewPosition {
  cursor: string | null;
  perPage: number;
  skip: number;
}

const REVIEW_PREFIX = 'review-position:';
/** Longer than any cursor Synapse makes; a longer one is not ours. */
const MAX_REVIEW_CURSOR_LENGTH = 2048;

/** Opaque cursor for a review position. */
export function encodeReviewCursor(position: ReviewPosition): string {
  return Buffer.from(`${REVIEW_PREFIX}${JSON.stringify([position.cursor, position.perPage, position.skip])}`, 'utf8').toString('base64url');
}

/** The position inside a review cursor; a cursor we did not make is a BAD_USER_INPUT error. */
export function decodeReviewCursor(cursor: string): ReviewPosition {
  const text = cursor.length <= MAX_REVIEW_CURSOR_LENGTH ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (text.startsWith(REVIEW_PREFIX)) {
    try {
      const [upstream, perPage, skip] = JSON.parse(text.slice(REVIEW_PREFIX.length)) as unknown[];
      if ((upstream === null || typeof upstream === 'string') && isIndex(perPage) && perPage >= 1 && isIndex(skip) && skip < perPage) {
        return { cursor: upstream, perPage, skip };
      }
    } catch {
      // Not JSON: refused below, as any foreign cursor.
    }
  }
  throw gatewayError('BAD_USER_INPUT', 'after is not a cursor returned by this API.', { argument: 'after' });
}

function isIndex(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= 1000;
}
