import type { QueryAssignmentsArgs, Resolvers } from '../../__generated__/resolvers-types.ts';
import { encodeCursor, planPages, toWindow } from '../connection.ts';
import { scopeTag, tagListTag } from '../../cache/response-cache.ts';
import type { GatewayContext } from '../../context.ts';
import { ORDER_FIELD_TO_WIRE, STATUS_FROM_WIRE } from '../enums.ts';
import { gatewayError, refusalAbout } from '../errors.ts';
import { primeAssignments } from '../loaders/create-loaders.ts';
import { ageHours } from '../../workflows/timestamps.ts';
import type { AssignmentConnectionModel, TagModel } from '../models.ts';
import { UpstreamError } from '../../upstream/errors.ts';
import { rewriteUrl } from '../../upstream/files.ts';
import type { WireAssignment, WireAssignmentFilter, WireOrdering } from '../../contract/index.ts';
import { parseId, toWireFilter } from './args.ts';

/** Cap of `assignmentsByIds`, so one request cannot fan out without bound. */
export const MAX_IDS_PER_QUERY = 500;

export const assignmentResolvers: Resolvers = {
  Query: {
    assignment: async (_root, { id }, ctx) => {
      const parsed = parseId(id, 'id');
      await afterPendingLists(ctx);
      return ctx.loaders.assignmentById.load(parsed);
    },
    assignmentsByIds: async (_root, { ids }, ctx) => {
      if (ids.length > MAX_IDS_PER_QUERY) {
        throw gatewayError('BAD_USER_INPUT', `ids accepts at most ${MAX_IDS_PER_QUERY} ids, got ${ids.length}.`, {
          argument: 'ids',
        });
      }
      const parsed = ids.map((id, i) => parseId(id, `ids[${i}]`));
      await afterPendingLists(ctx);
      // One promise for the list, not one per item; graphql-js makes each Error item
      // (NOT_FOUND, FORBIDDEN) a field error at its index, the item null.
      return ctx.loaders.assignmentById.loadMany(parsed) as Promise<WireAssignment[]>;
    },
    assignments: (_root, args, ctx) => trackList(ctx, loadConnection(ctx, args)),
  },
  Assignment: {
    id: (row) => row.id,
    projectId: (row) => row.project,
    status: (row) => STATUS_FROM_WIRE[row.status],
    assigneeId: (row) => row.assignee,
    priority: (row) => row.priority,
    data: (row) => row.data,
    files: (row) => Object.entries(row.files ?? {}).map(([key, file]) => ({ key, file })),
    metadata: (row) => row.metadata ?? {},
    tags: (row, _args, ctx) => tagsOf(ctx, row.project, row.tags),
    createdAt: (row) => row.created_at,
    updatedAt: (row) => row.updated_at,
    ageHours: (row, { asOf }, ctx) => ageHours(row, asOf?.toDate() ?? ctx.now()),
  },
  AssignmentFile: {
    key: (model) => model.key,
    url: (model, _args, ctx) => {
      const raw = typeof model.file === 'string' ? model.file : model.file?.url;
      if (typeof raw !== 'string') return null;
      // Rewritten here, for the files a caller asks for, not for every row read.
      const url = rewriteUrl(raw, ctx.fileUrlPrefix);
      return URL.canParse(url) ? new URL(url).href : null;
    },
    meta: (model) => {
      if (typeof model.file === 'string' || model.file === null || typeof model.file !== 'object') return null;
      const { url: _url, ...meta } = model.file;
      return meta;
    },
  },
  AssignmentConnection: {
    edges: (model) => model.edges,
    nodes: (model) => model.edges.map((edge) => edge.node),
    totalCount: (model) => model.totalCount,
    pageInfo: (model) => {
      const first = model.edges[0];
      const last = model.edges.at(-1);
      return {
        hasNextPage: (last ? last.offset + 1 : model.start) < model.totalCount,
        hasPreviousPage: model.totalCount > 0 && (first ? first.offset : model.start) > 0,
        startCursor: first ? encodeCursor(first.offset) : null,
        endCursor: last ? encodeCursor(last.offset) : null,
      };
    },
  },
  AssignmentEdge: {
    cursor: (edge) => encodeCursor(edge.offset),
    node: (edge) => edge.node,
  },
};

/** Each project's tags by id, made once per request's tag list rather than once per assignment. */
const tagIndexes = new WeakMap<readonly TagModel[], Map<number, TagModel>>();
function tagsById(tags: readonly TagModel[]): Map<number, TagModel> {
  let index = tagIndexes.get(tags);
  if (!index) {
    index = new Map(tags.map((tag) => [tag.id, tag]));
    tagIndexes.set(tags, index);
  }
  return index;
}

/**
 * Tags by id, through the project's tag list (one call per project and request). A
 * result showing them depends on that list: creating or deleting a tag drops it.
 */
export async function tagsOf(ctx: GatewayContext, projectId: number, ids: readonly number[]): Promise<TagModel[]> {
  ctx.cacheTags.add(tagListTag(projectId));
  if (ids.length === 0) return [];
  const byId = tagsById(await ctx.loaders.tagsByProject.load(projectId));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * Lets sibling root fields start first (graphql-js calls them in one synchronous
 * loop), then waits for any list read among them: its rows prime the loader, so an
 * `assignment(id)` next to an `assignments` list that contains it costs no call.
 */
async function afterPendingLists(ctx: GatewayContext): Promise<void> {
  await Promise.resolve();
  if (ctx.pendingLists.size > 0) await Promise.allSettled([...ctx.pendingLists]);
}

function trackList<T>(ctx: GatewayContext, promise: Promise<T>): Promise<T> {
  ctx.pendingLists.add(promise);
  const forget = () => ctx.pendingLists.delete(promise);
  promise.then(forget, forget);
  return promise;
}


/** Wire ordering for the GraphQL orderBy (default: id ascending). */
function toOrdering(orderBy: QueryAssignmentsArgs['orderBy']): WireOrdering {
  if (!orderBy) return 'id';
  const field = ORDER_FIELD_TO_WIRE[orderBy.field];
  return orderBy.direction === 'DESC' ? `-${field}` : field;
}

/** Resolves one connection page with the fewest upstream page reads. */
async function loadConnection(ctx: GatewayContext, args: QueryAssignmentsArgs): Promise<AssignmentConnectionModel> {
  const window = toWindow(args);
  const filter = toWireFilter(args.filter);
  try {
    return await readConnection(ctx, window, filter, toOrdering(args.orderBy));
  } catch (error) {
    throw refusalAbout.projectAssignments(error, filter.project);
  }
}

async function readConnection(
  ctx: GatewayContext,
  window: ReturnType<typeof toWindow>,
  filter: WireAssignmentFilter,
  ordering: WireOrdering,
): Promise<AssignmentConnectionModel> {
  const client = ctx.client;
  // Which rows a page holds can change with any write in its scope, not only writes to its rows.
  ctx.cacheTags.add(scopeTag(filter.project));

  let start: number;
  let rows: WireAssignment[];
  let totalCount: number;
  if (window.start === null) {
    // `last` without `before`: the tail, whose position only the count tells.
    const head = await client.listAssignments(filter, { page: 1, pageSize: window.size, ordering });
    totalCount = head.count;
    start = Math.max(0, totalCount - window.size);
    rows = start === 0 ? head.results : (await readWindow(ctx, filter, ordering, start, window.size)).rows;
  } else {
    start = window.start;
    ({ rows, totalCount } = await readWindow(ctx, filter, ordering, start, window.size));
  }
  primeAssignments(ctx.loaders, rows);
  return { start, totalCount, edges: rows.map((node, i) => ({ offset: start + i, node })) };
}

async function readWindow(
  ctx: GatewayContext,
  filter: WireAssignmentFilter,
  ordering: WireOrdering,
  start: number,
  size: number,
): Promise<{ rows: WireAssignment[]; totalCount: number }> {
  const client = ctx.client;
  if (size === 0) return { rows: [], totalCount: (await client.listAssignments(filter, { page: 1, pageSize: 1, ordering })).count };
  // Pages no larger than SYNAPSE_PAGE_SIZE (or the window): sizes a backend is configured to honour.
  const plan = planPages(start, size, Math.max(size, ctx.config.upstream.pageSize));
  const pages = await Promise.all(
    plan.pages.map((page) =>
      client.listAssignments(filter, { page, pageSize: plan.pageSize, ordering }).catch((error: unknown) => {
        // DRF answers 404 "Invalid page." past the end: that is an empty page, not an error.
        if (error instanceof UpstreamError && error.code === 'NOT_FOUND') return null;
        throw error;
      }),
    ),
  );
  const known = pages.find((page) => page !== null);
  const totalCount = known ? known.count : (await client.listAssignments(filter, { page: 1, pageSize: 1, ordering })).count;
  pages.forEach((page, i) => {
    // A page short of its size before the end: the backend capped page_size below it. Rows would be missing.
    const due = Math.min(plan.pageSize, totalCount - (plan.pages[i]! - 1) * plan.pageSize);
    if (page !== null && page.results.length < due) {
      throw gatewayError('UPSTREAM_UNAVAILABLE', `The Synapse backend answered ${page.results.length} rows of a page of ${plan.pageSize}; lower SYNAPSE_PAGE_SIZE to its max_page_size.`);
    }
  });
  const rows = pages.flatMap((page) => page?.results ?? []).slice(plan.skip, plan.skip + size);
  return { rows, totalCount };
}
