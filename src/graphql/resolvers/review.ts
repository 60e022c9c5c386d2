import { hash } from 'node:crypto';
import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import type { AssignmentReviewsArgs, ReviewAssignmentsInput, Resolvers, UserError } from '../../__generated__/resolvers-types.ts';
import { REVIEW_DETAIL_FIELDS, REVIEW_LIST_FIELDS, V2_MAX_PER_PAGE, type WireAssignment, type WireReview } from '../../contract/index.ts';
import type { GatewayContext } from '../../context.ts';
import type { AssignmentChange } from '../../live/live-updates.ts';
import type { KeyedWrite } from '../../shared-state/index.ts';
import { UpstreamError, writeOutcomeUnknown } from '../../upstream/errors.ts';
import { userError } from '../../workflows/input.ts';
import {
  findEarlierReview,
  parseReviewRequest,
  planReview,
  reviewActions,
  reviewFingerprint,
  type ReviewAction,
  type ReviewItem,
  type ReviewRequest,
} from '../../workflows/review-plan.ts';
import { decodeReviewCursor, encodeReviewCursor, type ReviewPosition } from '../connection.ts';
import { REVIEW_SCOPE_FROM_WIRE, REVIEW_STATUS_FROM_WIRE, VERDICT_TO_DECISION } from '../enums.ts';
import { gatewayError } from '../errors.ts';
import type {
  AssignmentReviewResultModel,
  ReviewAssignmentsPayloadModel,
  ReviewConnectionModel,
  ReviewEdgeModel,
  ReviewModel,
  TagModel,
} from '../models.ts';
import { selectedNamesAt } from '../selection.ts';
import { tagsOf } from './assignment.ts';
import { executeTagWrites, loadAssignments, resolveNamedTags } from './tag-writes.ts';

const DEFAULT_REVIEWS_PAGE = 10;
const MAX_REVIEWS_PAGE = 50;
/** Upstream pages one `reviews` field reads at most (a backend capping `per_page` low needs several). */
const MAX_REVIEW_PAGE_READS = 10;

/** Review fields a lean list item lacks (REVIEW_DETAIL_FIELDS on the wire): selecting one makes the list ask for `fields`. */
const DETAIL_FIELDS: ReadonlySet<string> = new Set(['authorId', 'comment', 'tags', 'objectId', 'position']);
const LIST_WITH_DETAIL = [...REVIEW_LIST_FIELDS, ...REVIEW_DETAIL_FIELDS];

/** Reviews (Synapse v2): reading an assignment's, and writing verdicts with their reasons. */
export const reviewResolvers: Resolvers = {
  Assignment: {
    reviews: (row, args, ctx, info) => readReviews(ctx, row, args, info),
    reviewerId: async (row, _args, ctx) => (await ctx.loaders.assignmentV2ById.load(row.id)).reviewer_id,
    reviewStatus: async (row, _args, ctx) => REVIEW_STATUS_FROM_WIRE[(await ctx.loaders.assignmentV2ById.load(row.id)).status_review],
    confirmed: async (row, _args, ctx) => (await ctx.loaders.assignmentV2ById.load(row.id)).is_confirmed,
    discarded: async (row, _args, ctx) => (await ctx.loaders.assignmentV2ById.load(row.id)).is_discarded,
  },
  Review: {
    id: (model) => model.row.id,
    assignmentId: (model, _args, ctx) => reviewField(ctx, model, 'assignment_id'),
    authorId: (model, _args, ctx) => reviewField(ctx, model, 'user_id'),
    scope: async (model, _args, ctx) => REVIEW_SCOPE_FROM_WIRE[await reviewField(ctx, model, 'scope')],
    comment: (model, _args, ctx) => reviewField(ctx, model, 'description'),
    tags: async (model, _args, ctx) => tagsOf(ctx, model.projectId, await reviewField(ctx, model, 'tags')),
    objectId: (model, _args, ctx) => reviewField(ctx, model, 'object_id'),
    position: (model, _args, ctx) => reviewField(ctx, model, 'position'),
    active: (model, _args, ctx) => reviewField(ctx, model, 'is_active'),
    createdAt: (model, _args, ctx) => reviewField(ctx, model, 'created'),
  },
  ReviewConnection: {
    edges: (model) => model.edges,
    nodes: (model) => model.edges.map((edge) => edge.node),
    pageInfo: (model) => ({
      hasNextPage: model.hasNextPage,
      hasPreviousPage: model.hasPreviousPage,
      startCursor: model.edges[0]?.cursor ?? null,
      endCursor: model.edges.at(-1)?.cursor ?? null,
    }),
  },
  Mutation: {
    reviewAssignments: (_root, { input }, ctx) => reviewAssignments(ctx, input),
  },
  AssignmentReviewResult: {
    // Read back through the loader, whose written ids were cleared: one batched call, after the writes.
    assignment: (result, _args, ctx) => ctx.loaders.assignmentById.load(result.assignmentId),
  },
};

/**
 * A field of a review: from what the list or the write answered, else from the review's
 * detail (one read per review, only when a field the lean list lacks is selected and the
 * backend ignored `fields`).
 */
async function reviewField<K extends keyof WireReview>(ctx: GatewayContext, model: ReviewModel, key: K): Promise<WireReview[K]> {
  if (key in model.row) return model.row[key] as WireReview[K];
  return (await ctx.loaders.reviewById.load(model.row.id))[key];
}

/**
 * A page of the assignment's reviews, newest first. Each edge's cursor is the position
 * right after it: in its upstream page, or at the start of the next one when it was the
 * last, so a forward walk at a constant `first` reads one upstream page per page.
 */
async function readReviews(ctx: GatewayContext, row: WireAssignment, args: AssignmentReviewsArgs, info: GraphQLResolveInfo): Promise<ReviewConnectionModel> {
  const first = args.first ?? DEFAULT_REVIEWS_PAGE;
  if (!(first >= 1 && first <= MAX_REVIEWS_PAGE)) {
    throw gatewayError('BAD_USER_INPUT', `first must be between 1 and ${MAX_REVIEWS_PAGE}.`, { argument: 'first' });
  }
  const start = args.after == null ? null : decodeReviewCursor(args.after);
  const fields = asksDetail(info) ? LIST_WITH_DETAIL : undefined;
  const edges: ReviewEdgeModel[] = [];
  const done = (hasNextPage: boolean): ReviewConnectionModel => ({ edges, hasNextPage, hasPreviousPage: start !== null });
  let position: ReviewPosition = start ?? { cursor: null, perPage: first, skip: 0 };
  for (let read = 0; read < MAX_REVIEW_PAGE_READS; read++) {
    // Mid-page, the page must be read as it was; from a page's start, any size reads on from its cursor.
    const perPage = position.skip === 0 ? Math.min(V2_MAX_PER_PAGE, first - edges.length) : position.perPage;
    const page = await ctx.loaders.reviewPages.load({ assignmentId: row.id, cursor: position.cursor, perPage, fields });
    for (let index = position.skip; index < page.items.length; index++) {
      const last = index === page.items.length - 1;
      const after: ReviewPosition = last && page.nextCursor ? { cursor: page.nextCursor, perPage, skip: 0 } : { cursor: position.cursor, perPage, skip: index + 1 };
      edges.push({ cursor: encodeReviewCursor(after), node: { projectId: row.project, row: page.items[index]! } });
      if (edges.length === first) return done(!last || page.nextCursor !== null);
    }
    if (page.nextCursor === null || page.items.length === 0) return done(false);
    position = { cursor: page.nextCursor, perPage, skip: 0 };
  }
  return done(true);
}

/** Per occurrence of the field and variable values (@skip/@include may read them): every row of a list shares one answer. */
const detailAsked = new WeakMap<readonly FieldNode[], WeakMap<object, boolean>>();

/** Whether the operation selects, on this field's reviews, a field the lean list lacks; worked out once per list, not per row. */
function asksDetail(info: GraphQLResolveInfo): boolean {
  let byVariables = detailAsked.get(info.fieldNodes);
  if (!byVariables) {
    byVariables = new WeakMap();
    detailAsked.set(info.fieldNodes, byVariables);
  }
  let asks = byVariables.get(info.variableValues);
  if (asks === undefined) {
    asks = [...selectedNamesAt(info, [['nodes'], ['edges', 'node']])].some((name) => DETAIL_FIELDS.has(name));
    byVariables.set(info.variableValues, asks);
  }
  return asks;
}

type Payload = ReviewAssignmentsPayloadModel;

/**
 * Checks the input, reads the assignments (one batched call) and their projects' tag
 * lists, plans, claims the idempotency key, writes the verdict tags (one `set_tags` per
 * tag and project), then one v2 review per assignment, at most SYNAPSE_CONCURRENCY at
 * once. Review failures are reported per assignment, never thrown: the tags were
 * written, and a retry with the key writes only what is missing.
 */
async function reviewAssignments(ctx: GatewayContext, input: ReviewAssignmentsInput): Promise<Payload> {
  const dryRun = input.dryRun ?? false;
  const refused = (userErrors: UserError[]): Payload => ({ results: [], tagWrites: [], failedAssignmentIds: [], dryRun, writeCalls: 0, userErrors });
  const parsed = parseReviewRequest({ ...input, decision: VERDICT_TO_DECISION[input.verdict] });
  if (parsed.userErrors.length > 0) return refused(parsed.userErrors);
  const { request } = parsed;
  // Before anything is read or written: a run whose reviews cannot be written writes no tag either.
  await ctx.client.ensureV2();

  const { rows, userErrors } = await loadAssignments(ctx.loaders, request.assignmentIds);
  if (userErrors.length > 0) return refused(userErrors);
  const tags = await resolveNamedTags(ctx.loaders, rows.map((row) => row.project), parsed.tags);
  if (tags.userErrors.length > 0) return refused(tags.userErrors);
  const plan = planReview(request, rows, tags.byProject);
  const tagById = new Map([...tags.byProject.values()].flatMap((byName) => [...byName.values()].map((tag) => [tag.id, tag])));
  const tagWrites = plan.tagWrites.map((write) => ({
    action: write.action === 'add' ? ('ADD' as const) : ('REMOVE' as const),
    tag: tagById.get(write.tagIds[0]!)!,
    assignmentIds: write.assignmentIds,
  }));

  const key = request.idempotencyKey === null ? null : keyScope(ctx, request);
  if (dryRun) {
    const known = key === null ? new Map<number, KeyedWrite>() : await ctx.idempotency.peek(key.scope, key.fingerprint, request.assignmentIds);
    if (known === 'mismatch') return refused([keyReused()]);
    const results = plan.items.map((item) => {
      const write = known.get(item.assignmentId);
      return write?.state === 'done'
        ? result(item, tagById, 'ALREADY_CREATED', { review: { projectId: item.projectId, row: { id: write.reviewId } }, tagWritten: false })
        : result(item, tagById, 'PLANNED', { tagWritten: false });
    });
    return { results, tagWrites, failedAssignmentIds: [], dryRun, writeCalls: 0, userErrors: [] };
  }

  const claims =
    key === null
      ? null
      : await ctx.idempotency.claim(key.scope, key.fingerprint, request.assignmentIds, {
          now: Date.now(),
          writingMs: ctx.config.reliability.operationTimeoutMs,
          ttlMs: ctx.config.shared.reviewIdempotencyTtlMs,
        });
  if (claims === 'mismatch') return refused([keyReused()]);
  const actions = reviewActions(plan.items, claims);
  const claimed = plan.items.filter((item) => ['create', 'verify'].includes(actions.get(item.assignmentId)!.kind));
  const settle = (outcomes: Map<number, KeyedWrite | null>) =>
    key === null ? Promise.resolve() : ctx.idempotency.settle(key.scope, outcomes, ctx.config.shared.reviewIdempotencyTtlMs);

  // What the tag writes and the reviews changed is reported once, however the call ends: one
  // publish to subscribers and one response-cache invalidation per mutation, not one per step.
  const changes: AssignmentChange[] = [];
  try {
    let tagOutcome: { writeCalls: number; userErrors: UserError[] };
    try {
      tagOutcome = await executeTagWrites(ctx.client, plan.tagWrites, { mode: 'add', notify: input.notify ?? false }, async (change) => {
        changes.push(change);
      });
    } catch (error) {
      // No review was written: the claims go back, so sending again writes them.
      await settle(new Map(claimed.map((item) => [item.assignmentId, null])));
      throw error;
    } finally {
      for (const id of request.assignmentIds) ctx.loaders.assignmentById.clear(id);
    }
    if (tagOutcome.userErrors.length > 0) {
      await settle(new Map(claimed.map((item) => [item.assignmentId, null])));
      return { ...refused(tagOutcome.userErrors), writeCalls: tagOutcome.writeCalls };
    }

    const outcomes = await Promise.all(plan.items.map((item) => writeReview(ctx, item, actions.get(item.assignmentId)!, tagById)));
    const reviewed = plan.items.filter((_, i) => outcomes[i]!.touched);
    // The reviews moved their assignments (Synapse stamps updated_at): caches drop them, subscribers hear.
    if (reviewed.length > 0) changes.push({ assignmentIds: reviewed.map((item) => item.assignmentId), projectIds: reviewed.map((item) => item.projectId) });
    await settle(new Map(outcomes.flatMap((outcome, i) => (outcome.settle === undefined ? [] : [[plan.items[i]!.assignmentId, outcome.settle] as const]))));
    if (reviewed.length > 0) {
      ctx.loaders.reviewPages.clearAll();
      for (const item of reviewed) ctx.loaders.assignmentV2ById.clear(item.assignmentId);
    }
    const results = outcomes.map((outcome) => outcome.result);
    return {
      results,
      tagWrites,
      failedAssignmentIds: results.filter((one) => one.status === 'FAILED').map((one) => one.assignmentId),
      dryRun,
      writeCalls: tagOutcome.writeCalls + outcomes.filter((outcome) => outcome.wrote).length,
      userErrors: [],
    };
  } finally {
    if (changes.length > 0) {
      await ctx.afterWrite({
        assignmentIds: [...new Set(changes.flatMap((change) => change.assignmentIds))],
        projectIds: [...new Set(changes.flatMap((change) => change.projectIds))],
      });
    }
  }
}

/** The key's place in the store: the caller's hash and a hash of the key, so keys never meet across callers. */
function keyScope(ctx: GatewayContext, request: ReviewRequest): { scope: string; fingerprint: string } {
  return {
    scope: `${ctx.callerKey}:${hash('sha256', request.idempotencyKey!, 'base64url')}`,
    fingerprint: hash('sha256', reviewFingerprint(request), 'base64url'),
  };
}

function keyReused(): UserError {
  return userError('KEY_REUSED', 'This idempotencyKey was used for another decision (verdict, comment or tags); use a new key.', ['input', 'idempotencyKey']);
}

interface ReviewWriteOutcome {
  result: AssignmentReviewResultModel;
  /** What the key records now (null: release the claim); undefined when nothing was claimed. */
  settle?: KeyedWrite | null;
  /** Whether a write left (for writeCalls). */
  wrote: boolean;
  /** Whether the assignment may have changed (a review was or may have been written). */
  touched: boolean;
}

/**
 * One assignment's review, as its action says. A write under the key whose answer was
 * lost earlier is looked for first (the assignment's newest reviews): found, it is
 * adopted; not found, it is written. Never retried within the call (a write is never).
 */
async function writeReview(
  ctx: GatewayContext,
  item: ReviewItem,
  action: ReviewAction,
  tags: ReadonlyMap<number, TagModel>,
): Promise<ReviewWriteOutcome> {
  const done = (status: AssignmentReviewResultModel['status'], extra: Partial<AssignmentReviewResultModel> = {}) =>
    result(item, tags, status, { tagWritten: item.addsVerdictTag, ...extra });
  if (action.kind === 'busy') return { result: done('IN_PROGRESS'), wrote: false, touched: false };
  if (action.kind === 'reuse') {
    return { result: done('ALREADY_CREATED', { review: { projectId: item.projectId, row: { id: action.reviewId } } }), wrote: false, touched: false };
  }
  let began = Date.now();
  const failed = (caught: unknown, settle: KeyedWrite | null, wrote: boolean): ReviewWriteOutcome => {
    if (!(caught instanceof UpstreamError)) throw caught;
    const unknown = wrote && writeOutcomeUnknown(caught);
    const error = {
      code: caught.code,
      message: `The review of assignment ${item.assignmentId} was not written: ${caught.message}`,
      retryable: caught.retryable || unknown,
      outcomeUnknown: unknown,
      upstreamRequestId: caught.upstreamRequestId ?? null,
    };
    return { result: done('FAILED', { error }), settle: unknown ? { state: 'unknown', since: began } : settle, wrote, touched: unknown };
  };
  if (action.kind === 'verify') {
    try {
      const earlier = await ctx.client.listReviews(item.assignmentId, { perPage: V2_MAX_PER_PAGE, fields: LIST_WITH_DETAIL });
      const found = findEarlierReview(earlier.items, item.review, action.since);
      if (found !== undefined) {
        const review = { projectId: item.projectId, row: earlier.items.find((one) => one.id === found)! };
        return { result: done('ALREADY_CREATED', { review }), settle: { state: 'done', reviewId: found }, wrote: false, touched: false };
      }
    } catch (caught) {
      // Still not known whether the earlier write landed: the next call looks again.
      return failed(caught, { state: 'unknown', since: action.since }, false);
    }
  }
  try {
    began = Date.now();
    const created = await ctx.client.createReview(item.review);
    return {
      result: done('CREATED', { review: { projectId: item.projectId, row: created } }),
      settle: { state: 'done', reviewId: created.id },
      wrote: true,
      touched: true,
    };
  } catch (caught) {
    // A write refused for sure is released: the next call writes it. One that may have landed stays to be looked for.
    return failed(caught, null, caught instanceof UpstreamError && caught.requestSent);
  }
}

/** One assignment's result, its tags resolved. */
function result(
  item: ReviewItem,
  tags: ReadonlyMap<number, TagModel>,
  status: AssignmentReviewResultModel['status'],
  extra: Partial<AssignmentReviewResultModel> & { tagWritten: boolean },
): AssignmentReviewResultModel {
  const { tagWritten, ...rest } = extra;
  return {
    assignmentId: item.assignmentId,
    verdictTag: item.verdictTagId === null ? null : (tags.get(item.verdictTagId) ?? null),
    verdictTagWritten: tagWritten,
    removedTags: item.removedTagIds.flatMap((id) => tags.get(id) ?? []),
    status,
    review: null,
    error: null,
    ...rest,
  };
}
