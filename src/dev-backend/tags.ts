import type { WirePage } from '../contract/index.ts';
import type { RequestContext } from './context.ts';
import { forbidden, notFound } from './errors.ts';
import { paginate } from './pagination.ts';
import { parsePageSize } from './params.ts';
import type { ProjectTag } from './store.ts';

/** `GET projects/{id}/tags/`: 404 for an unknown project before 403 for someone else's. */
export function listProjectTags(context: RequestContext): WirePage<ProjectTag> {
  const pageSize = parsePageSize(context.query.page_size, context.maxPageSize);
  const project = context.pathId!;
  if (!context.store.projectExists(project)) throw notFound();
  if (!context.principal.canRead(project)) throw forbidden();
  return paginate(context, pageSize, context.store.countTags(project), (slice) => context.store.listTags(project, slice));
}
