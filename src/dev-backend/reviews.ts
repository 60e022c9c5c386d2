import {
  REVIEW_DETAIL_FIELDS,
  REVIEW_LIST_FIELDS,
  REVIEW_OBJECT_ID_MAX,
  WIRE_REVIEW_SCOPES,
  type WireAssignmentV2,
  type WireReview,
  type WireReviewScope,
  type WireV2Detail,
  type WireV2List,
} from '../contract/index.ts';
import type { RequestContext } from './context.ts';
import { FieldErrors, HttpError, forbidden, notFound } from './errors.ts';
import { Reply } from './http.ts';
import { INTEGER_REQUIRED, parseInteger } from './params.ts';
import { parseJsonObject, pythonType } from './set-tags.ts';
import { formatDate } from './timestamps.ts';
import { decodeCursor, detail, dryRun, isDryRun, list, pageCursors, parsePerPage } from './v2-http.ts';
import type { KeysetOrder } from './v2-store.ts';

/** `sort` values the review list takes (the policy page: whitelisted, others ignored). */
const SORTS: Readonly<Record<string, KeysetOrder>> = {
  '-created': { column: 'created', descending: true },
  created: { column: 'created', descending: false },
  '-id': { column: 'id', descending: true },
  id: { column: 'id', descending: false },
};
const ALL_FIELDS: ReadonlySet<string> = new Set([...REVIEW_LIST_FIELDS, ...REVIEW_DETAIL_FIELDS]);

/** `GET v2/assignments/{id}/`: 404, then 403 for a project the caller cannot read. */
export function getAssignmentV2(context: RequestContext): WireV2Detail<WireAssignmentV2> {
  const found = context.store.v2.assignment(context.pathId!);
  if (!found) throw notFound();
  if (!context.principal.canRead(found.project)) throw forbidden();
  return detail(context, found.detail);
}

/**
 * `GET v2/reviews/`: the caller's visible reviews, newest first unless `sort` says
 * otherwise, filtered by `assignment` and `scope`. Items are lean unless `fields` names
 * detail fields (the policy page's field selection; `id` always comes).
 */
export function listReviews(context: RequestContext): WireV2List<Partial<WireReview>> {
  const errors = new FieldErrors();
  const { query } = context;
  const order = SORTS[query.sort ?? ''] ?? SORTS['-created']!;
  const from = decodeCursor(query.cursor, order, errors);
  const perPage = parsePerPage(query.per_page);
  let assignment: number | undefined;
  if (query.assignment !== undefined && query.assignment !== '') {
    assignment = parseInteger(query.assignment);
    if (assignment === undefined) errors.add('assignment', INTEGER_REQUIRED);
  }
  const scope = query.scope === undefined || query.scope === '' ? undefined : parseScope(query.scope, errors);
  errors.throwIfAny();
  if (assignment !== undefined) {
    const [ref] = context.store.assignmentRefs([assignment]);
    if (!ref) throw new HttpError(400, { assignment: [`Select a valid choice. ${assignment} is not one of the available choices.`] });
    if (!context.principal.canRead(ref.project)) throw forbidden();
  }
  const page = context.store.v2.listReviews({
    visibleProjects: context.principal.visibleProjects,
    ...(assignment === undefined ? {} : { assignment }),
    ...(scope === undefined ? {} : { scope }),
    order,
    ...(from ? { from } : {}),
    limit: perPage,
  });
  const fields = selectedFields(context);
  const cursors = pageCursors(page, from, order, (review) => (order.column === 'id' ? [review.id] : [review.created, review.id]));
  return list(context, page.rows.map((review) => pick(review, fields)), cursors, perPage);
}

/** `GET v2/reviews/{id}/`: 404, then 403 when the caller cannot read its assignment. */
export function getReview(context: RequestContext): WireV2Detail<WireReview> {
  const found = context.store.v2.review(context.pathId!);
  if (!found) throw notFound();
  if (!context.principal.canRead(found.project)) throw forbidden();
  return detail(context, found.review);
}

/**
 * `POST v2/reviews/` (and `?dry_run=true`): body 400s first, then the assignment (an
 * unknown one is a 400, as DRF's related field says it), then 403 for a viewer or a
 * stranger, then the tags (each of the assignment's project). The author is the caller.
 * Creates the review and moves the assignment's `updated_at`, in one transaction.
 */
export function createReview(context: RequestContext): Reply {
  const body = parseJsonObject(context);
  const errors = new FieldErrors();
  const dry = isDryRun(context, errors);
  const assignment = parseRequiredId(body.assignment, 'assignment', errors);
  const scope = body.scope === undefined ? 'assignment' : parseScope(body.scope, errors);
  const tags = body.tags === undefined || body.tags === null ? [] : parseIds(body.tags, 'tags', errors);
  const objectId = parseOptionalString(body.object_id, 'object_id', REVIEW_OBJECT_ID_MAX, errors);
  const description = parseOptionalString(body.description, 'description', Number.POSITIVE_INFINITY, errors) ?? '';
  errors.throwIfAny();
  const [ref] = context.store.assignmentRefs([assignment!]);
  if (!ref) throw new HttpError(400, { assignment: [`Invalid pk "${assignment}" - object does not exist.`] });
  if (!context.principal.canWrite(ref.project)) throw forbidden();
  const known = new Map(context.store.tagRefs(tags!).map((tag) => [tag.id, tag.project]));
  for (const id of tags!) {
    if (known.get(id) !== ref.project) errors.add('tags', `Invalid pk "${id}" - object does not exist in project ${ref.project}.`);
  }
  errors.throwIfAny();
  if (context.faults.failsReviewFor(ref.id)) throw new HttpError(500, { detail: 'A server error occurred.' });
  if (dry) return new Reply(200, dryRun(context, 'create', Object.keys(body).filter((key) => ALL_FIELDS.has(key) || key === 'assignment')));
  const review = context.store.v2.createReview({
    assignment: ref.id,
    user: context.principal.user.id,
    scope: scope!,
    tags: tags!,
    objectId: objectId ?? null,
    description,
    position: body.position ?? null,
    now: formatDate(new Date()),
  });
  return new Reply(201, detail(context, review));
}

/** The fields `fields=` selects (lean list fields without it; `id` always), unless the backend is told to ignore it. */
function selectedFields(context: RequestContext): readonly string[] {
  const raw = context.query.fields;
  if (raw === undefined || raw.trim() === '' || context.faults.ignoresFields) return REVIEW_LIST_FIELDS;
  return ['id', ...raw.split(',').map((field) => field.trim()).filter((field) => field !== 'id' && ALL_FIELDS.has(field))];
}

function pick(review: WireReview, fields: readonly string[]): Partial<WireReview> {
  return Object.fromEntries(fields.map((field) => [field, review[field as keyof WireReview]]));
}

function parseScope(value: unknown, errors: FieldErrors): WireReviewScope | undefined {
  if ((WIRE_REVIEW_SCOPES as readonly unknown[]).includes(value)) return value as WireReviewScope;
  errors.add('scope', `"${String(value)}" is not a valid choice.`);
  return undefined;
}

function parseRequiredId(value: unknown, field: string, errors: FieldErrors): number | undefined {
  if (value === undefined || value === null) errors.add(field, 'This field is required.');
  else if (!Number.isSafeInteger(value)) errors.add(field, `Incorrect type. Expected pk value, received ${pythonType(value)}.`);
  else return value as number;
  return undefined;
}

function parseIds(value: unknown, field: string, errors: FieldErrors): number[] | undefined {
  if (!Array.isArray(value)) errors.add(field, `Expected a list of items but got type "${pythonType(value)}".`);
  else if (!value.every((id) => Number.isSafeInteger(id))) errors.add(field, INTEGER_REQUIRED);
  else return [...new Set(value as number[])];
  return undefined;
}

/** An optional string field, at most `max` characters (DRF CharField: null allowed here, trimmed). */
export function parseOptionalString(value: unknown, field: string, max: number, errors: FieldErrors): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.add(field, 'Not a valid string.');
    return undefined;
  }
  const text = value.trim();
  if (text.length > max) errors.add(field, `Ensure this field has no more than ${max} characters.`);
  return text;
}
