import { ROUTES, routePattern } from '../contract/index.ts';
import { getAssignment, listAssignments } from './assignments.ts';
import type { Handler } from './context.ts';
import { listNotifications } from './notifications.ts';
import { createReview, getAssignmentV2, getReview, listReviews } from './reviews.ts';
import { setTags } from './set-tags.ts';
import { createProjectTagV2, deleteProjectTagV2, getProjectTagV2, listProjectTags, listProjectTagsV2 } from './tags.ts';

interface Route {
  /** Matched against the pathname; capture groups are the path ids. */
  pattern: RegExp;
  methods: Readonly<Record<string, Handler>>;
}

// `set_tags` cannot be taken for an id: ids are digits only (a non-integer id is 404).
const V1_ROUTES: readonly Route[] = [
  { pattern: routePattern(ROUTES.assignment), methods: { GET: getAssignment } },
  { pattern: routePattern(ROUTES.setTags), methods: { POST: setTags } },
  { pattern: routePattern(ROUTES.assignments), methods: { GET: listAssignments } },
  { pattern: routePattern(ROUTES.projectTags), methods: { GET: listProjectTags } },
  // Not part of the contract: lets tests see what `notify` recorded.
  { pattern: routePattern('_dev/notifications/'), methods: { GET: listNotifications } },
];

const V2_ROUTES: readonly Route[] = [
  { pattern: routePattern(ROUTES.v2Assignment), methods: { GET: getAssignmentV2 } },
  { pattern: routePattern(ROUTES.v2Reviews), methods: { GET: listReviews, POST: createReview } },
  { pattern: routePattern(ROUTES.v2Review), methods: { GET: getReview } },
  { pattern: routePattern(ROUTES.v2ProjectTags), methods: { GET: listProjectTagsV2, POST: createProjectTagV2 } },
  { pattern: routePattern(ROUTES.v2ProjectTag), methods: { GET: getProjectTagV2, DELETE: deleteProjectTagV2 } },
];

export interface RouteMatch {
  methods: Readonly<Record<string, Handler>>;
  pathIds: number[];
}

/**
 * The route for a pathname, or undefined (404). An id too large to be exact is 404 too.
 * Without `v2`, the v2 routes are absent, as on a backend older than them.
 */
export function matchRoute(pathname: string, options: { v2: boolean }): RouteMatch | undefined {
  for (const route of options.v2 ? [...V1_ROUTES, ...V2_ROUTES] : V1_ROUTES) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const pathIds = match.slice(1).map(Number);
    if (!pathIds.every(Number.isSafeInteger)) return undefined;
    return { methods: route.methods, pathIds };
  }
  return undefined;
}
