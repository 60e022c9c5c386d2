import type { WirePage } from '../contract/index.ts';
import type { RequestContext } from './context.ts';
import { notFound } from './errors.ts';
import { JsonText } from './http.ts';
import type { Slice } from './store.ts';

interface PageLinks {
  count: number;
  next: string | null;
  previous: string | null;
  slice: Slice;
}

/**
 * DRF page-number pagination over a counted result. Page 1 of an empty result is a
 * valid, empty page; any other page outside 1..last (or not an integer) is 404
 * `Invalid page.`. `next`/`previous` are absolute and keep every other parameter;
 * both always carry `page`, page 1 included.
 */
function pageOf(context: RequestContext, pageSize: number, count: number): PageLinks {
  const lastPage = Math.max(1, Math.ceil(count / pageSize));
  const raw = context.query.page;
  const page = raw === undefined || raw === '' ? 1 : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(page >= 1 && page <= lastPage)) throw notFound('Invalid page.');
  return {
    count,
    next: page < lastPage ? pageUrl(context.url, page + 1) : null,
    previous: page > 1 ? pageUrl(context.url, page - 1) : null,
    slice: { limit: pageSize, offset: (page - 1) * pageSize },
  };
}

/** One page of objects. */
export function paginate<T>(context: RequestContext, pageSize: number, count: number, load: (slice: Slice) => T[]): WirePage<T> {
  const { slice, ...links } = pageOf(context, pageSize, count);
  return { ...links, results: load(slice) };
}

/** The same page written around rows that already are JSON text. */
export function paginateJson(context: RequestContext, pageSize: number, count: number, load: (slice: Slice) => string[]): JsonText {
  const { slice, next, previous } = pageOf(context, pageSize, count);
  return new JsonText(
    `{"count":${count},"next":${JSON.stringify(next)},"previous":${JSON.stringify(previous)},"results":[${load(slice).join(',')}]}`,
  );
}

function pageUrl(url: URL, page: number): string {
  const target = new URL(url);
  target.searchParams.set('page', String(page));
  return target.href;
}
