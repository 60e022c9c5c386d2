import type { WireAssignment, WirePage } from '../contract/index.ts';
import type { RequestContext } from './context.ts';
import { FieldErrors, forbidden, notFound } from './errors.ts';
import { withRequestOrigin } from './media.ts';
import { paginate } from './pagination.ts';
import { parseAssignmentFilter, parseOrdering, parsePageSize } from './params.ts';

/** `GET assignments/{id}/` */
export function getAssignment(context: RequestContext): WireAssignment {
  const assignment = context.store.getAssignment(context.pathId!);
  if (!assignment) throw notFound();
  if (!context.principal.canRead(assignment.project)) throw forbidden();
  return withRequestOrigin(assignment, context.url.origin);
}

/**
 * `GET sdk/assignments/`: validation (400) first, then asking for a project the
 * caller cannot see (403), then the page (404). Without a project filter a member
 * silently sees only rows of their projects, as a DRF queryset scoped to the user.
 */
export function listAssignments(context: RequestContext): WirePage<WireAssignment> {
  const errors = new FieldErrors();
  const filter = parseAssignmentFilter(context.query, errors);
  const ordering = parseOrdering(context.query.ordering, errors);
  const pageSize = parsePageSize(context.query.page_size, errors);
  errors.throwIfAny();
  if (filter.project !== undefined && !context.principal.canRead(filter.project)) throw forbidden();
  const query = { filter, visibleProjects: context.principal.visibleProjects };
  return paginate(context, pageSize, context.store.countAssignments(query), (slice) =>
    context.store.listAssignments(query, ordering, slice).map((row) => withRequestOrigin(row, context.url.origin)),
  );
}
