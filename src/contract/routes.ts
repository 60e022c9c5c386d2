/**
 * The API's routes as shapes (`:id` stands for an integer path id), relative to the
 * base URL. Metrics and logs label calls with these shapes, never with a real path.
 */
export const ROUTES = {
  assignment: 'assignments/:id/',
  assignments: 'sdk/assignments/',
  setTags: 'assignments/set_tags/',
  projectTags: 'projects/:id/tags/',
} as const;

export type RouteShape = (typeof ROUTES)[keyof typeof ROUTES];

/** The path of a route, its `:id` filled in. */
export function routePath(shape: RouteShape, id?: number): string {
  if (id === undefined) return shape;
  // Sliced rather than String.replace: this runs for every upstream call.
  const at = shape.indexOf(':id');
  return `${shape.slice(0, at)}${id}${shape.slice(at + 3)}`;
}

/** A pathname matcher for a route shape (leading `/` included); an `:id` becomes a digits capture group. */
export function routePattern(shape: string): RegExp {
  const escaped = shape.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(':id', '(\\d+)');
  return new RegExp(`^/${escaped}$`);
}
