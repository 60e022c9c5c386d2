import { ROUTES, routePattern } from '../contract/index.ts';
import { getAssignment, listAssignments } from './assignments.ts';
import type { Handler } from './context.ts';
import { listNotifications } from './notifications.ts';
import { setTags } from './set-tags.ts';
import { listProjectTags } from './tags.ts';

interface Route {
  /** The route's shape (`assignments/:id/`): what its spans are named by. */
  shape: string;
  /** Matched against the pathname; an optional capture group is the path id. */
  pattern: RegExp;
  methods: Readonly<Record<string, Handler>>;
}

// `set_tags` cannot be taken for an id: ids are digits only (a non-integer id is 404).
const routeOf = (shape: string, methods: Route['methods']): Route => ({ shape, pattern: routePattern(shape), methods });

const ROUTE_TABLE: readonly Route[] = [
  routeOf(ROUTES.assignment, { GET: getAssignment }),
  routeOf(ROUTES.setTags, { POST: setTags }),
  routeOf(ROUTES.assignments, { GET: listAssignments }),
  routeOf(ROUTES.projectTags, { GET: listProjectTags }),
  // Not part of the contract: lets tests see what `notify` recorded.
  routeOf('_dev/notifications/', { GET: listNotifications }),
];

export interface RouteMatch {
  shape: string;
  methods: Readonly<Record<string, Handler>>;
  pathId: number | undefined;
}

/** The route for a pathname, or undefined (404). An id too large to be exact is 404 too. */
export function matchRoute(pathname: string): RouteMatch | undefined {
  for (const route of ROUTE_TABLE) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const pathId = match[1] === undefined ? undefined : Number(match[1]);
    if (pathId !== undefined && !Number.isSafeInteger(pathId)) return undefined;
    return { shape: route.shape, methods: route.methods, pathId };
  }
  return undefined;
}
