import { ROUTES, routePattern } from '../contract/index.ts';
import { getAssignment, listAssignments } from './assignments.ts';
import type { Handler } from './context.ts';
import { listNotifications } from './notifications.ts';
import { createReview, getAssignmentV2, getReview, listReviews } from './reviews.ts';
import { setTags } from './set-tags.ts';
import { createProjectTagV2, deleteProjectTagV2, getProjectTagV2, listProjectTags, listProjectTagsV2 } from './tags.ts';

interface Route {
  /** The route's shape (`assignments/:id/`): what its spans are named by. */
  shape: string;
  /** Matched against the pathname; capture groups are the path ids. */
  pattern: RegExp;
  methods: Readonly<Record<string, Handler>>;
}

// `set_tags` cannot be taken for an id: ids are digits only (a non-integer id is 404).
const routeOf = (shape: string, methods: Route['methods']): Route => ({ shape, pattern: routePattern(shape), methods });

const V1_ROUTES: readonly Route[] = [
  routeOf(ROUTES.assignment, { GET: getAssignment }),
  routeOf(ROUTES.setTags, { POST: setTags }),
  routeOf(ROUTES.assignments, { GET: listAssignments }),
  routeOf(ROUTES.projectTags, { GET: listProjectTags }),
  // Not part of the contract: lets tests see what `notify` recorded.
  routeOf('_dev/notifications/', { GET: listNotifications }),
];

const V2_ROUTES: readonly Route[] = [
  routeOf(ROUTES.v2Assignment, { GET: getAssignmentV2 }),
  routeOf(ROUTES.v2Reviews, { GET: listReviews, POST: createReview }),
  routeOf(ROUTES.v2Review, { GET: getReview }),
  routeOf(ROUTES.v2ProjectTags, { GET: listProjectTagsV2, POST: createProjectTagV2 }),
  routeOf(ROUTES.v2ProjectTag, { GET: getProjectTagV2, DELETE: deleteProjectTagV2 }),
];

const V1_AND_V2_ROUTES: readonly Route[] = [...V1_ROUTES, ...V2_ROUTES];

export interface RouteMatch {
  shape: string;
  methods: Readonly<Record<string, Handler>>;
  pathIds: number[];
}

/**
 * The route for a pathname, or undefined (404). An id too large to be exact is 404 too.
 * Without `v2`, the v2 routes are absent, as on a backend older than them.
 */
export function matchRoute(pathname: string, options: { v2: boolean }): RouteMatch | undefined {
  for (const route of options.v2 ? V1_AND_V2_ROUTES : V1_ROUTES) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const pathIds = match.slice(1).map(Number);
    if (!pathIds.every(Number.isSafeInteger)) return undefined;
    return { shape: route.shape, methods: route.methods, pathIds };
  }
  return undefined;
}
