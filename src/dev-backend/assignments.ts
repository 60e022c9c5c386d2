import type { RequestContext } from './context.ts';
import { FieldErrors, forbidden, notFound } from './errors.ts';
import { JsonText } from './http.ts';
import { paginateJson } from './pagination.ts';
import { parseAssignmentFilter, parseOrdering, parsePageSize } from './params.ts';

/** `GET assignments/{id}/` */
export function getAssignment(context: RequestContext): JsonText {
  const assignment = context.store.getAssignmentJson(context.pathId!, context.url.origin);
  if (!assignment) throw notFound();
  if (!context.principal.canRead(assignment.project)) throw forbidden();
  return new JsonText(assignment.json);
}

/**
 * `GET sdk/assignments/`: validation (400) first, then asking for a project the
 * caller cannot see (403), then the page (404). Without a project filter a member
 * silently sees only rows of their projects, as a DRF queryset scoped to the user.
 */
export function listAssignments(context: RequestContext): JsonText {
  const errors = new FieldErrors();
  const filter = parseAssignmentFilter(context.query, errors);
  const ordering = parseOrdering(context.query.ordering, errors);
  const pageSize = parsePageSize(context.query.page_size, context.maxPageSize);
  errors.throwIfAny();
  if (filter.project !== undefined && !context.principal.canRead(filter.project)) throw forbidden();
  const listing = context.store.assignmentListing({ filter, visibleProjects: context.principal.visibleProjects }, ordering, context.url.origin);
  return paginateJson(context, pageSize, listing.count, listing.page);
}
