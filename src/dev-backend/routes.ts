import { ROUTES, routePattern } from '../contract/index.ts';
import { getAssignment, listAssignments } from './assignments.ts';
import type { Handler } from './context.ts';
import { listNotifications } from './notifications.ts';
import { setTags } from './set-tags.ts';
import { listProjectTags } from './tags.ts';

interface Route {
  /** Matched against the pathname; an optional capture group is the path id. */
  pattern: RegExp;
  methods: Readonly<Record<string, Handler>>;
}

// `set_tags` cannot be taken for an id: ids are digits only (a non-integer id is 404).
const ROUTE_TABLE: readonly Route[] = [
  { pattern: routePattern(ROUTES.assignment), methods: { GET: getAssignment } },
  { pattern: routePattern(ROUTES.setTags), methods: { POST: setTags } },
  { pattern: routePattern(ROUTES.assignments), methods: { GET: listAssignments } },
  { pattern: routePattern(ROUTES.projectTags), methods: { GET: listProjectTags } },
  // Not part of the contract: lets tests see what `notify` recorded.
  { pattern: routePattern('_dev/notifications/'), methods: { GET: listNotifications } },
];

export interface RouteMatch {
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
    return { methods: route.methods, pathId };
  }
  return undefined;
}
