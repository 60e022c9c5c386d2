import type { WireSetTagsAction, WireSetTagsResult } from '../contract/index.ts';
import type { RequestContext } from './context.ts';
import { FieldErrors, HttpError, forbidden, notFound } from './errors.ts';
import { INTEGER_REQUIRED, parseBoolean } from './params.ts';
import type { AssignmentRef, DevStore } from './store.ts';
import { formatDate } from './timestamps.ts';

interface SetTagsRequest {
  /** Sorted, without duplicates. */
  assignmentIds: number[];
  tagIds: number[];
  action: WireSetTagsAction;
  notify: boolean;
  /** Field name errors about tags are reported under, per body form. */
  tagField: 'tag_ids' | 'tags';
}

/**
 * `POST assignments/set_tags/`, in the seed's form (`assignment_ids`, `tag_ids`,
 * `?replace=`) or the newer one (`ids`, `tags`, `action`); both honour `?notify=`.
 * Checks run in the order 400 (body) → 404 (unknown assignments) → 403 → 400 (tags),
 * all before the single write transaction, so a rejected call changes nothing.
 */
export function setTags(context: RequestContext): WireSetTagsResult {
  const request = parseRequest(context);
  const refs = context.store.assignmentRefs(request.assignmentIds);
  if (refs.length < request.assignmentIds.length) {
    const found = new Set(refs.map((ref) => ref.id));
    const missing = request.assignmentIds.filter((id) => !found.has(id));
    throw notFound(`Assignment(s) not found: ${missing.join(', ')}`);
  }
  if (refs.some((ref) => !context.principal.canWrite(ref.project))) throw forbidden();
  validateTags(context.store, request, refs);
  const notified = context.store.setTags({ ...request, now: formatDate(new Date()) });
  return {
    updated: request.assignmentIds.length,
    assignment_ids: request.assignmentIds,
    tag_ids: request.tagIds,
    action: request.action,
    notified,
  };
}

function parseRequest(context: RequestContext): SetTagsRequest {
  const body = parseJsonObject(context);
  const errors = new FieldErrors();
  const newerForm = !('assignment_ids' in body || 'tag_ids' in body) && ('ids' in body || 'tags' in body || 'action' in body);
  const idsField = newerForm ? 'ids' : 'assignment_ids';
  const tagField = newerForm ? 'tags' : 'tag_ids';
  const assignmentIds = parseIdList(body[idsField], idsField, errors);
  const tagIds = parseIdList(body[tagField], tagField, errors);
  // The newer form says what to do in the body; `replace` belongs to the seed's form only.
  const action = newerForm
    ? parseAction(body.action, errors)
    : parseBoolean(context.query, 'replace', false, errors)
      ? 'replace'
      : 'add';
  const notify = parseBoolean(context.query, 'notify', false, errors);
  errors.throwIfAny();
  return { assignmentIds: assignmentIds!, tagIds: tagIds!, action: action!, notify, tagField };
}

/** DRF's JSONParser: 415 for another media type, 400 for bad JSON; an empty body is `{}`. */
export function parseJsonObject(context: RequestContext): Record<string, unknown> {
  const mediaType = context.contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== undefined && mediaType !== '' && mediaType !== 'application/json') {
    throw new HttpError(415, { detail: `Unsupported media type "${context.contentType}" in request.` });
  }
  const text = context.body?.toString('utf8') ?? '';
  let body: unknown = {};
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new HttpError(400, { detail: `JSON parse error - ${(error as Error).message}` });
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, { non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonType(body)}.`] });
  }
  return body as Record<string, unknown>;
}

function parseIdList(value: unknown, field: string, errors: FieldErrors): number[] | undefined {
  if (value === undefined) errors.add(field, 'This field is required.');
  else if (value === null) errors.add(field, 'This field may not be null.');
  else if (!Array.isArray(value)) errors.add(field, `Expected a list of items but got type "${pythonType(value)}".`);
  else if (value.length === 0) errors.add(field, 'This list may not be empty.');
  else if (!value.every((id) => Number.isSafeInteger(id))) errors.add(field, INTEGER_REQUIRED);
  else return [...new Set(value as number[])].sort((a, b) => a - b);
  return undefined;
}

function parseAction(value: unknown, errors: FieldErrors): WireSetTagsAction | undefined {
  if (value === 'add' || value === 'remove') return value;
  errors.add('action', value === undefined ? 'This field is required.' : `"${String(value)}" is not a valid choice.`);
  return undefined;
}

/**
 * Tags must exist and belong to the project of every listed assignment (tags are
 * per project). One message per foreign tag and project, naming that project's
 * lowest listed assignment, keeps the body small for large batches.
 */
function validateTags(store: DevStore, request: SetTagsRequest, refs: readonly AssignmentRef[]): void {
  const errors = new FieldErrors();
  const tags = store.tagRefs(request.tagIds);
  const known = new Set(tags.map((tag) => tag.id));
  for (const id of request.tagIds) {
    if (!known.has(id)) errors.add(request.tagField, `Invalid pk "${id}" - object does not exist.`);
  }
  const firstOfProject = new Map<number, number>();
  for (const ref of refs) if (!firstOfProject.has(ref.project)) firstOfProject.set(ref.project, ref.id);
  for (const tag of tags) {
    for (const [project, assignment] of firstOfProject) {
      if (tag.project !== project) {
        errors.add(request.tagField, `Tag ${tag.id} does not belong to project ${project} of assignment ${assignment}.`);
      }
    }
  }
  errors.throwIfAny();
}

/** The type names DRF's messages use for JSON values. */
export function pythonType(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return 'dict';
}
