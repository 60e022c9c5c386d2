import {
  TAG_NAME_MAX,
  WIRE_TAG_CATEGORIES,
  type WirePage,
  type WireTagCategory,
  type WireTagV2,
  type WireV2Detail,
  type WireV2List,
} from '../contract/index.ts';
import type { RequestContext } from './context.ts';
import { FieldErrors, HttpError, forbidden, notFound } from './errors.ts';
import { Reply } from './http.ts';
import { paginate } from './pagination.ts';
import { parsePageSize } from './params.ts';
import { parseOptionalString } from './reviews.ts';
import { parseJsonObject } from './set-tags.ts';
import type { ProjectTag } from './store.ts';
import { formatDate } from './timestamps.ts';
import { decodeCursor, detail, dryRun, isDryRun, list, pageCursors, parsePerPage } from './v2-http.ts';
import type { KeysetOrder } from './v2-store.ts';

/** `GET projects/{id}/tags/`: 404 for an unknown project before 403 for someone else's. */
export function listProjectTags(context: RequestContext): WirePage<ProjectTag> {
  const pageSize = parsePageSize(context.query.page_size, context.maxPageSize);
  const project = readableProject(context);
  return paginate(context, pageSize, context.store.countTags(project), (slice) => context.store.listTags(project, slice));
}

/** `GET v2/projects/{project_pk}/tags/`: 404 for an unknown project, then 403; `category` filters; id order. */
export function listProjectTagsV2(context: RequestContext): WireV2List<WireTagV2> {
  const errors = new FieldErrors();
  const from = decodeCursor(context.query.cursor, BY_ID, errors);
  const perPage = parsePerPage(context.query.per_page);
  const category = context.query.category ? parseCategory(context.query.category, errors) : undefined;
  errors.throwIfAny();
  const project = readableProject(context);
  const page = context.store.v2.listTags(project, category, from, perPage);
  return list(context, page.rows, pageCursors(page, from, BY_ID, (tag) => [tag.id]), perPage);
}

/** `GET v2/projects/{project_pk}/tags/{id}/`: a tag of another project is not found here. */
export function getProjectTagV2(context: RequestContext): WireV2Detail<WireTagV2> {
  const project = readableProject(context);
  const tag = context.store.v2.tag(project, context.pathIds[1]!);
  if (!tag) throw notFound();
  return detail(context, tag);
}

/**
 * `POST v2/projects/{project_pk}/tags/` (and `?dry_run=true`): 404, 403 (a viewer may not
 * manage tags), 400 for the body (name 1 to 100 characters after trimming, category
 * `project` or `export`), 409 CONFLICT for a name the project already has.
 */
export function createProjectTagV2(context: RequestContext): Reply {
  const body = parseJsonObject(context);
  const errors = new FieldErrors();
  const dry = isDryRun(context, errors);
  const project = readableProject(context);
  if (!context.principal.canWrite(project)) throw forbidden();
  const name = parseOptionalString(body.name, 'name', TAG_NAME_MAX, errors);
  if (name === undefined || name === '') errors.add('name', name === '' ? 'This field may not be blank.' : 'This field is required.');
  const category = parseCategory(body.category, errors);
  const description = parseOptionalString(body.description, 'description', 1000, errors) ?? '';
  const meta = body.meta ?? {};
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) errors.add('meta', 'Expected a dictionary of items.');
  errors.throwIfAny();
  if (context.store.v2.tagNamed(project, name!)) {
    throw new HttpError(409, { name: [`A tag named "${name}" already exists in project ${project}.`] });
  }
  if (dry) return new Reply(200, dryRun(context, 'create', Object.keys(body)));
  const tag = context.store.v2.createTag({ project, name: name!, category: category!, description, meta: meta as Record<string, unknown> });
  return new Reply(201, detail(context, tag));
}

/** `DELETE v2/projects/{project_pk}/tags/{id}/` (and `?dry_run=true`): 404, 403, then 204 with no body. */
export function deleteProjectTagV2(context: RequestContext): Reply {
  const errors = new FieldErrors();
  const dry = isDryRun(context, errors);
  errors.throwIfAny();
  const project = readableProject(context);
  const tag = context.store.v2.tag(project, context.pathIds[1]!);
  if (!tag) throw notFound();
  if (!context.principal.canWrite(project)) throw forbidden();
  if (dry) return new Reply(200, dryRun(context, 'delete', []));
  context.store.v2.deleteTag(tag.id, formatDate(new Date()));
  return new Reply(204);
}

const BY_ID: KeysetOrder = { column: 'id', descending: false };

/** The path's project, after 404 (unknown) and 403 (not the caller's). */
function readableProject(context: RequestContext): number {
  const project = context.pathId!;
  if (!context.store.projectExists(project)) throw notFound();
  if (!context.principal.canRead(project)) throw forbidden();
  return project;
}

function parseCategory(value: unknown, errors: FieldErrors): WireTagCategory | undefined {
  if ((WIRE_TAG_CATEGORIES as readonly unknown[]).includes(value)) return value as WireTagCategory;
  errors.add('category', value === undefined ? 'This field is required.' : `"${String(value)}" is not a valid choice.`);
  return undefined;
}
