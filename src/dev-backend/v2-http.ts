import {
  V2_DEFAULT_PER_PAGE,
  V2_ERROR_STATUS,
  V2_MAX_PER_PAGE,
  type WireDryRun,
  type WireV2Detail,
  type WireV2Error,
  type WireV2List,
} from '../contract/index.ts';
import type { RequestContext } from './context.ts';
import { type FieldErrors, HttpError } from './errors.ts';
import { parseBoolean, parsePageSize } from './params.ts';
import type { Keyset, KeysetOrder, KeysetPage } from './v2-store.ts';

/**
 * The v2 API's conventions as the runtime (policy page, Go client) describes them: every
 * answer in a `{data, meta}` envelope carrying a request id, lists paged by opaque
 * cursors, errors in `{error: {code, message, details}, meta}`.
 */

/** Whether a path belongs to the v2 API, whose errors take the v2 body. */
export function isV2Path(pathname: string): boolean {
  return pathname.startsWith('/v2/');
}

/** A detail in the envelope. */
export function detail<T>(context: RequestContext, data: T): WireV2Detail<T> {
  return { data, meta: { request_id: context.requestId } };
}

/** A list page in the envelope; no total count, as in the contract. */
export function list<T>(context: RequestContext, data: T[], cursors: { next: string | null; previous: string | null }, perPage: number): WireV2List<T> {
  return {
    data,
    meta: { request_id: context.requestId, pagination: { next_cursor: cursors.next, previous_cursor: cursors.previous, per_page: perPage } },
  };
}

/** What `?dry_run=true` answers after every check passed, having written nothing. */
export function dryRun(context: RequestContext, action: WireDryRun['action'], fields: string[]): WireV2Detail<WireDryRun> {
  return detail(context, { dry_run: true, action, validated_fields: fields });
}

/** `?dry_run=`, a boolean like any other query flag. */
export function isDryRun(context: RequestContext, errors: FieldErrors): boolean {
  return parseBoolean(context.query, 'dry_run', false, errors);
}

/** `per_page`: default 50, capped silently at 200, and (as DRF's page size) never an error. */
export function parsePerPage(raw: string | undefined): number {
  return parsePageSize(raw, V2_MAX_PER_PAGE, V2_DEFAULT_PER_PAGE);
}

interface CursorBody {
  /** The sort column the cursor was made for. */
  s: KeysetOrder['column'];
  k: (string | number)[];
  b?: 1;
}

/** An opaque cursor: where the next (or previous) page starts, for one sort. */
function encodeCursor(order: KeysetOrder, keyset: Keyset): string {
  const body: CursorBody = { s: order.column, k: keyset.key as (string | number)[], ...(keyset.backwards ? { b: 1 } : {}) };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The position a `cursor` parameter names; a cursor this server did not make (or made for another sort) is a 400. */
export function decodeCursor(raw: string | undefined, order: KeysetOrder, errors: FieldErrors): Keyset | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const body = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as CursorBody;
    const arity = order.column === 'id' ? 1 : 2;
    if (body.s === order.column && Array.isArray(body.k) && body.k.length === arity && body.k.every((v) => ['string', 'number'].includes(typeof v))) {
      return { key: body.k, backwards: body.b === 1 };
    }
  } catch {
    // Not base64 JSON: reported below, like any other foreign cursor.
  }
  errors.add('cursor', 'Invalid cursor');
  return undefined;
}

/**
 * The cursors of a page read from `from`: on to the rows after its last one, back to
 * those before its first. A first page has no previous cursor; a page read backwards
 * always has a next one (the rows it was read back from).
 */
export function pageCursors<T>(
  page: KeysetPage<T>,
  from: Keyset | undefined,
  order: KeysetOrder,
  keyOf: (row: T) => (string | number)[],
): { next: string | null; previous: string | null } {
  const first = page.rows[0];
  const last = page.rows.at(-1);
  const at = (row: T | undefined, backwards: boolean) => encodeCursor(order, { key: row ? keyOf(row) : from!.key, backwards });
  if (from?.backwards) return { next: at(last, false), previous: page.more ? at(first, true) : null };
  return { next: page.more ? at(last, false) : null, previous: from ? at(first, true) : null };
}

/** Codes for statuses the contract's list leaves out (405, 413, 415, 503). */
const EXTRA_CODES: Readonly<Record<number, string>> = {
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'SERVICE_UNAVAILABLE',
};
const CODE_OF_STATUS = new Map<number, string>(Object.entries(V2_ERROR_STATUS).map(([code, status]) => [status, code]));

/**
 * The v2 body of an error the handlers raise in DRF's form: `{"detail"}` becomes the
 * message, a field map becomes `details` (one entry per message; a lone one is also the message).
 */
export function v2ErrorBody(error: HttpError, requestId: string): WireV2Error {
  const code = CODE_OF_STATUS.get(error.status) ?? EXTRA_CODES[error.status] ?? (error.status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR');
  const body = error.body as Record<string, unknown>;
  if (typeof body['detail'] === 'string') {
    return { error: { code, message: body['detail'], details: null }, meta: { request_id: requestId } };
  }
  const details = Object.entries(body).flatMap(([field, messages]) =>
    (Array.isArray(messages) ? messages : [messages]).map((message) => ({ field, message: String(message) })),
  );
  const message = details.length === 1 ? details[0]!.message : 'Invalid input.';
  return { error: { code, message, details }, meta: { request_id: requestId } };
}
