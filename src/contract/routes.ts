/**
 * The API's routes as shapes (`:id` stands for an integer path id, in order), relative
 * to the base URL. Metrics and logs label calls with these shapes, never with a real path.
 */
export const ROUTES = {
  assignment: 'assignments/:id/',
  assignments: 'sdk/assignments/',
  setTags: 'assignments/set_tags/',
  projectTags: 'projects/:id/tags/',
  v2Assignment: 'v2/assignments/:id/',
  v2Reviews: 'v2/reviews/',
  v2Review: 'v2/reviews/:id/',
  v2ProjectTags: 'v2/projects/:id/tags/',
  v2ProjectTag: 'v2/projects/:id/tags/:id/',
} as const;

export type RouteShape = (typeof ROUTES)[keyof typeof ROUTES];

/** The path of a route, its `:id`s filled in order. */
export function routePath(shape: RouteShape, ...ids: number[]): string {
  if (ids.length === 0) return shape;
  // Sliced rather than String.replace: this runs for every upstream call.
  let path = '';
  let from = 0;
  for (const id of ids) {
    const at = shape.indexOf(':id', from);
    path += `${shape.slice(from, at)}${id}`;
    from = at + 3;
  }
  return path + shape.slice(from);
}

/** A pathname matcher for a route shape (leading `/` included); each `:id` becomes a digits capture group. */
export function routePattern(shape: string): RegExp {
  const escaped = shape.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll(':id', '(\\d+)');
  return new RegExp(`^/${escaped}$`);
}
