import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import type {
  AnalyticsBucket,
  ApplyQualityReviewInput,
  AssignmentAnalyticsSeriesArgs,
  AssignmentFilter,
  QueryAssignmentAnalyticsArgs,
  QueryAssignmentQueueArgs,
  Resolvers,
  ResolversParentTypes,
  AutomationRuleInput,
  RunAssignmentAutomationInput,
  TagAssignmentsByAssigneeTierInput,
  UserError,
} from '../../__generated__/resolvers-types.ts';
import { scopeTag } from '../../cache/response-cache.ts';
import { Instant, type WireAssignment, type WireAssignmentFilter, type WireStatus } from '../../contract/index.ts';
import type { GatewayContext } from '../../context.ts';
import { UpstreamError } from '../../upstream/errors.ts';
import {
  analyticsFilter,
  analyticsWindow,
  createAnalyticsAccumulator,
  DEFAULT_ANALYTICS_DAYS,
  MAX_ANALYTICS_DAYS,
  summarizeBacklog,
  type BacklogModel,
  type SeriesRequest,
} from '../../workflows/analytics.ts';
import { canonicalTimeZone } from '../../workflows/time-buckets.ts';
import { createAssigneeGrouper, parseTiers, planAssigneeTiers } from '../../workflows/assignee-tiers.ts';
import {
  matchRules,
  parseRules,
  planAutomation,
  statusesToRead,
  type AutomationRule,
  type RuleMatch,
} from '../../workflows/automation.ts';
import {
  matchesExactFilter,
  parseQualityReviewInput,
  planQualityReview,
  type ScoredLookup,
} from '../../workflows/quality-review.ts';
import {
  createWorkloadAccumulator,
  DEFAULT_MAX_ASSIGNMENTS_PER_USER,
  MAX_ASSIGNMENTS_PER_USER_LIMIT,
  MAX_QUEUE_ASSIGNEE_IDS,
} from '../../workflows/queue.ts';
import { userError, type NamedTag } from '../../workflows/input.ts';
import { planTagWrites, type TagAssignment } from '../../workflows/write-plan.ts';
import { STATUS_FROM_WIRE, STATUS_TO_WIRE } from '../enums.ts';
import { primeAssignments } from '../loaders/create-loaders.ts';
import { gatewayError, refusalAbout } from '../errors.ts';
import type { AssignmentAnalyticsModel, TagModel } from '../models.ts';
import { selectedSubfields } from '../selection.ts';
import { parseId, toWireFilter } from './args.ts';
import { executeTagWrites, resolveNamedTags } from './tag-writes.ts';

/**
 * Workflow operations: the seed's five client-side loops, run here over every page
 * in batched calls. Resolvers only read and write upstream; deciding what to count
 * or tag is left to the pure functions in src/workflows/.
 */
export const workflowResolvers: Resolvers = {
  Query: {
    assignmentQueue: (_root, args, ctx) => assignmentQueue(ctx, args),
    assignmentAnalytics: (_root, args, ctx, info) => assignmentAnalytics(ctx, args, info),
  },
  Mutation: {
    applyQualityReview: (_root, { input }, ctx) => applyQualityReview(ctx, input),
    tagAssignmentsByAssigneeTier: (_root, { input }, ctx) => tagAssignmentsByAssigneeTier(ctx, input),
    runAssignmentAutomation: (_root, { input }, ctx) => runAssignmentAutomation(ctx, input),
  },
  StatusCount: {
    status: (model) => STATUS_FROM_WIRE[model.status],
    count: (model) => model.count,
  },
  // Assignments in payloads come from the request's loader, not from the rows the plan was
  // made from: applyTags cleared the written ids, so those are read back after the write
  // (all of them in one batch per tick); rows that were not written resolve from the
  // loader's cache. A normalized client cache is so never fed a row from before the write.
  QualityReviewResult: {
    assignment: (result, _args, ctx) => ctx.loaders.assignmentById.load(result.assignment.id),
  },
  AutomationAction: {
    assignment: (action, _args, ctx) => ctx.loaders.assignmentById.load(action.assignment.id),
  },
  AssignmentAnalytics: {
    totalAssignments: async (model) => (await model.pass).totalAssignments,
    statusBreakdown: async (model) => (await model.pass).statusBreakdown,
    assigneePerformance: async (model) => (await model.pass).assigneePerformance,
    completionRate: async (model) => (await model.pass).completionRate,
    averageHoursToComplete: async (model) => (await model.pass).averageHoursToComplete,
    hoursToComplete: async (model) => (await model.pass).hoursToComplete,
    series: async (model, { bucket, timeZone }) => {
      const points = (await model.pass).series.get(seriesKey(bucket, timeZone));
      if (!points) throw new Error(`series ${seriesKey(bucket, timeZone)} was not planned`);
      return points;
    },
    backlog: (model) => {
      if (!model.backlog) throw new Error('backlog was not planned');
      return model.backlog;
    },
  },
  AssigneeTierGroup: {
    assignments: (group, _args, ctx) => Promise.all(group.assignmentIds.map((id) => ctx.loaders.assignmentById.load(Number(id)))),
  },
};

/** Pending count from one page-size-1 read; workload over every in-progress page. */
async function assignmentQueue(ctx: GatewayContext, args: QueryAssignmentQueueArgs): Promise<ResolversParentTypes['AssignmentQueue']> {
  const maxAssignmentsPerUser = args.maxAssignmentsPerUser ?? DEFAULT_MAX_ASSIGNMENTS_PER_USER;
  if (!(maxAssignmentsPerUser >= 1 && maxAssignmentsPerUser <= MAX_ASSIGNMENTS_PER_USER_LIMIT)) {
    throw gatewayError('BAD_USER_INPUT', `maxAssignmentsPerUser must be between 1 and ${MAX_ASSIGNMENTS_PER_USER_LIMIT}.`, {
      argument: 'maxAssignmentsPerUser',
    });
  }
  const filter = toWireFilter(args.filter);
  ctx.cacheTags.add(scopeTag(filter.project));
  if (filter.status !== undefined) {
    throw gatewayError('BAD_USER_INPUT', 'filter.status must be left out: the queue reads pending and in-progress assignments itself.', {
      argument: 'filter.status',
    });
  }
  const assigneeIds = args.assigneeIds ?? [];
  if (assigneeIds.length > MAX_QUEUE_ASSIGNEE_IDS) {
    throw gatewayError('BAD_USER_INPUT', `assigneeIds accepts at most ${MAX_QUEUE_ASSIGNEE_IDS} ids, got ${assigneeIds.length}.`, {
      argument: 'assigneeIds',
    });
  }
  const workload = createWorkloadAccumulator(assigneeIds.map((id, i) => parseId(id, `assigneeIds[${i}]`)));
  const [pending] = await Promise.all([
    ctx.client
      .listAssignments({ ...filter, status: 'pending' }, { page: 1, pageSize: 1 })
      .catch((error: unknown) => Promise.reject(refusalAbout.projectAssignments(error, filter.project))),
    readListings(ctx, [{ filter: { ...filter, status: 'in_progress' }, add: workload.add }]),
  ]);
  return { pendingCount: pending.count, maxAssignmentsPerUser, ...workload.result(maxAssignmentsPerUser) };
}

/** The report's fields known without reading: its window, and the backlog, which has reads of its own. */
const WINDOW_FIELDS = new Set(['from', 'to', 'backlog', '__typename']);

/**
 * Streams every page of the window into the accumulator; no page outlives its
 * counting. What the operation selects decides the read before it starts: the series
 * it asks for (validated first), whether completion figures need the wider
 * `updated_after` read, and whether the backlog's two one-row reads run beside it.
 * The reads start at once; the report is answered when they end, except for what the
 * operation defers: figures asked only in a `@defer` fragment are awaited by their own
 * fields, so the window and the backlog go out in the first part while the pass streams.
 */
async function assignmentAnalytics(
  ctx: GatewayContext,
  args: QueryAssignmentAnalyticsArgs,
  info: GraphQLResolveInfo,
): Promise<AssignmentAnalyticsModel> {
  const days = args.days ?? DEFAULT_ANALYTICS_DAYS;
  if (!(days >= 1 && days <= MAX_ANALYTICS_DAYS)) {
    throw gatewayError('BAD_USER_INPUT', `days must be between 1 and ${MAX_ANALYTICS_DAYS}.`, { argument: 'days' });
  }
  const filter = toWireFilter(args.filter);
  ctx.cacheTags.add(scopeTag(filter.project));
  const selected = selectedSubfields(info);
  const series = new Map<string, SeriesRequest>();
  for (const field of selected.filter((f) => f.name === 'series')) {
    const { bucket, timeZone = 'UTC' } = field.args as unknown as AssignmentAnalyticsSeriesArgs;
    const zone = canonicalTimeZone(timeZone);
    if (zone === null) {
      const given = JSON.stringify(timeZone.slice(0, 64));
      throw gatewayError('BAD_USER_INPUT', `timeZone ${given} is not an IANA time zone such as "Asia/Seoul".`, { argument: 'series.timeZone' });
    }
    const key = seriesKey(bucket, timeZone);
    series.set(key, { key, bucket, timeZone: zone });
  }
  const completions = series.size > 0 || selected.some((f) => f.name === 'assigneePerformance');
  const window = analyticsWindow(args.asOf ?? Instant.fromDate(ctx.now()), days);
  const accumulator = createAnalyticsAccumulator(window, { series: [...series.values()], exactLimit: ctx.config.analytics.exactLimit });
  const pass = readListings(ctx, [{ filter: analyticsFilter(filter, window, completions ? 'updated' : 'created'), add: accumulator.add }]).then(
    () => accumulator.result(),
  );
  const backlog = selected.some((f) => f.name === 'backlog') ? readBacklog(ctx, filter) : null;
  const onlyDeferred = (wanted: (name: string) => boolean) =>
    selected.some((f) => f.deferred && wanted(f.name)) && !selected.some((f) => !f.deferred && wanted(f.name));
  const passLater = onlyDeferred((name) => !WINDOW_FIELDS.has(name));
  const backlogLater = onlyDeferred((name) => name === 'backlog');
  // What is deferred fails its own fields, in a later part: never an unhandled rejection meanwhile.
  for (const later of [pass, backlog]) later?.catch(() => undefined);
  // What is not deferred fails the report as a whole, as it always did (the error at `assignmentAnalytics`).
  await Promise.all([passLater ? null : pass, backlogLater ? null : backlog]);
  return { from: window.from, to: window.to, pass, backlog };
}

/** How a `series` field finds its figures again: by the arguments it was asked with. */
function seriesKey(bucket: AnalyticsBucket, timeZone: string): string {
  return `${bucket} ${timeZone}`;
}

/**
 * The queue now, in two one-row reads beside the stream: it cannot come from the
 * window's read, which never sees an assignment pending since before the window.
 * The oldest pending row comes first by `created_at`, and its page's count is the
 * pending count. A status the filter rules out is 0 without a read.
 */
async function readBacklog(ctx: GatewayContext, filter: WireAssignmentFilter): Promise<BacklogModel> {
  const wants = (status: WireStatus) => filter.status === undefined || filter.status === status;
  const read = (status: WireStatus, ordering?: 'created_at') =>
    ctx.client
      .listAssignments({ ...filter, status }, { page: 1, pageSize: 1, ...(ordering ? { ordering } : {}) })
      .catch((error: unknown) => Promise.reject(refusalAbout.projectAssignments(error, filter.project)));
  const [pending, inProgress] = await Promise.all([
    wants('pending') ? read('pending', 'created_at') : null,
    wants('in_progress') ? read('in_progress') : null,
  ]);
  return summarizeBacklog(pending && { count: pending.count, oldest: pending.results[0] }, inProgress?.count ?? null, ctx.now());
}

type QualityReviewPayload = ResolversParentTypes['ApplyQualityReviewPayload'];

/** Reads the scored assignments in one batch, classifies them, one write per (project, tag). */
async function applyQualityReview(ctx: GatewayContext, input: ApplyQualityReviewInput): Promise<QualityReviewPayload> {
  const dryRun = input.dryRun ?? false;
  const refused = (userErrors: UserError[], writeCalls = 0): QualityReviewPayload => ({
    results: [],
    skipped: [],
    summary: [],
    dryRun,
    writeCalls,
    userErrors,
  });
  const scope = mutationFilter(input.filter);
  const status = input.filter?.status;
  const parsed = parseQualityReviewInput({ ...input, filter: { status: status && STATUS_TO_WIRE[status] } });
  if (scope.userErrors.length + parsed.userErrors.length > 0) return refused([...scope.userErrors, ...parsed.userErrors]);

  const lookups = await lookUpScored(ctx, parsed.review.scores.map((score) => score.assignmentId));
  const matching = [...lookups.values()].filter(
    (row): row is WireAssignment => typeof row !== 'string' && matchesExactFilter(row, scope.filter),
  );
  const inScope =
    scope.filter.search === undefined ? new Set(matching.map((row) => row.id)) : await idsMatchingSearch(ctx, scope.filter, matching);
  const plan = planQualityReview(parsed.review, lookups, (row) => inScope.has(row.id));

  const tags = await resolveWorkflowTags(ctx, plan.items.map((item) => item.projectId), parsed.tags, scope.filter);
  if (tags.userErrors.length > 0) return refused(tags.userErrors);
  const outcome = await applyTags(ctx, plan.items, tags.byProject, dryRun);
  if (outcome.userErrors.length > 0) return refused(outcome.userErrors, outcome.writeCalls);
  return { results: plan.results, skipped: plan.skipped, summary: plan.summary, dryRun, writeCalls: outcome.writeCalls, userErrors: [] };
}

type TierPayload = ResolversParentTypes['TagAssignmentsByAssigneeTierPayload'];

/** One listing (completed by default), grouped by assignee in memory, one write per (project, tag) chunk. */
async function tagAssignmentsByAssigneeTier(ctx: GatewayContext, input: TagAssignmentsByAssigneeTierInput): Promise<TierPayload> {
  const dryRun = input.dryRun ?? false;
  const refused = (userErrors: UserError[], writeCalls = 0): TierPayload => ({ groups: [], summary: [], dryRun, writeCalls, userErrors });
  const scope = mutationFilter(input.filter);
  const parsed = parseTiers(input);
  if (scope.userErrors.length + parsed.userErrors.length > 0) return refused([...scope.userErrors, ...parsed.userErrors]);

  const filter: WireAssignmentFilter = { ...scope.filter, status: scope.filter.status ?? 'completed' };
  const grouper = createAssigneeGrouper();
  await readListings(ctx, [{ filter, add: grouper.add }]);
  const plan = planAssigneeTiers(grouper.groups(), parsed.tiers);

  const tags = await resolveWorkflowTags(ctx, plan.items.map((item) => item.projectId), parsed.tags, filter);
  if (tags.userErrors.length > 0) return refused(tags.userErrors);
  const outcome = await applyTags(ctx, plan.items, tags.byProject, dryRun);
  if (outcome.userErrors.length > 0) return refused(outcome.userErrors, outcome.writeCalls);
  return { groups: plan.groups, summary: plan.summary, dryRun, writeCalls: outcome.writeCalls, userErrors: [] };
}

type AutomationPayload = ResolversParentTypes['RunAssignmentAutomationPayload'];

/** One listing per rule status; rows that already carry their tag are reported, not rewritten. */
async function runAssignmentAutomation(ctx: GatewayContext, input: RunAssignmentAutomationInput): Promise<AutomationPayload> {
  const dryRun = input.dryRun ?? false;
  const asOf = input.asOf ?? Instant.fromDate(ctx.now());
  const refused = (userErrors: UserError[], writeCalls = 0): AutomationPayload => ({
    actions: [],
    summary: [],
    asOf,
    dryRun,
    writeCalls,
    userErrors,
  });
  const scope = mutationFilter(input.filter);
  const parsed = parseRules(toRuleSpecs(input.rules));
  if (scope.userErrors.length + parsed.userErrors.length > 0) return refused([...scope.userErrors, ...parsed.userErrors]);

  const matches: RuleMatch[] = [];
  await readListings(
    ctx,
    statusesToRead(parsed.rules, scope.filter.status).map((status) => ({
      filter: { ...scope.filter, status },
      add: (rows: readonly WireAssignment[]) => {
        for (const match of matchRules(rows, parsed.rules, asOf.toDate())) matches.push(match);
      },
    })),
  );

  const tags = await resolveWorkflowTags(ctx, matches.map((match) => match.row.project), parsed.tags, scope.filter);
  if (tags.userErrors.length > 0) return refused(tags.userErrors);
  const plan = planAutomation(matches, parsed.rules, tags.byProject);
  // Rows the run does not write are current as listed: actions resolve them with no call.
  primeAssignments(ctx.loaders, matches.map((match) => match.row));
  const outcome = await applyTags(ctx, plan.items, tags.byProject, dryRun);
  if (outcome.userErrors.length > 0) return refused(outcome.userErrors, outcome.writeCalls);
  return { actions: plan.actions, summary: plan.summary, asOf, dryRun, writeCalls: outcome.writeCalls, userErrors: [] };
}

/** Rules in REST form; an unnamed rule is named after its GraphQL status and age ("PENDING older than 24 h"). */
function toRuleSpecs(rules: readonly AutomationRuleInput[] | null | undefined): AutomationRule[] | null {
  return (
    rules?.map((rule) => ({
      name: rule.name?.trim() || `${rule.status} older than ${rule.olderThanHours} h`,
      status: STATUS_TO_WIRE[rule.status],
      olderThanHours: rule.olderThanHours,
      tagName: rule.tagName,
    })) ?? null
  );
}

/**
 * Reads listings to the end, feeding each page to its consumer and dropping it.
 * Listings run concurrently (the client caps calls in flight for the whole
 * operation); once one fails, the others stop reading, since the answer is that
 * error and never partial data.
 */
async function readListings(
  ctx: GatewayContext,
  listings: readonly { filter: WireAssignmentFilter; add: (rows: readonly WireAssignment[]) => void }[],
): Promise<void> {
  let failed = false;
  await Promise.all(
    listings.map(async ({ filter, add }) => {
      try {
        for await (const page of ctx.client.streamAssignments(filter)) {
          if (failed) return;
          add(page.results);
        }
      } catch (error) {
        failed = true;
        throw refusalAbout.projectAssignments(error, filter.project);
      }
    }),
  );
}

/** The mutation's filter for the upstream; a bad value is a user error (nothing is called), not a top-level error. */
function mutationFilter(filter: AssignmentFilter | null | undefined): { filter: WireAssignmentFilter; userErrors: UserError[] } {
  try {
    return { filter: toWireFilter(filter, 'input.filter'), userErrors: [] };
  } catch (error) {
    if (!(error instanceof GraphQLError) || error.extensions['code'] !== 'BAD_USER_INPUT') throw error;
    const argument = String(error.extensions['argument'] ?? 'input.filter');
    return { filter: {}, userErrors: [userError('INVALID', error.message, argument.split('.'))] };
  }
}

/** Scored assignments through the request's loader (one batched `ids` read); unreadable ones keep their reason. */
async function lookUpScored(ctx: GatewayContext, ids: readonly number[]): Promise<Map<number, ScoredLookup>> {
  const loaded = await ctx.loaders.assignmentById.loadMany(ids);
  return new Map(
    ids.map((id, i): [number, ScoredLookup] => {
      const result = loaded[i];
      if (result instanceof UpstreamError && (result.code === 'NOT_FOUND' || result.code === 'FORBIDDEN')) return [id, result.code];
      if (result instanceof Error || result === undefined) throw result ?? new Error(`Assignment ${id} missing from the batch`);
      return [id, result];
    }),
  );
}

/**
 * Which candidates the upstream's `search` matches. Search semantics are the
 * backend's, so the gateway asks rather than re-implementing them: with the `ids`
 * filter, one page per chunk of candidates; without it, the search's own listing.
 */
async function idsMatchingSearch(
  ctx: GatewayContext,
  filter: WireAssignmentFilter,
  candidates: readonly WireAssignment[],
): Promise<Set<number>> {
  const wanted = new Set(candidates.map((row) => row.id));
  const matched = new Set<number>();
  if (wanted.size === 0) return matched;
  const keep = (rows: readonly WireAssignment[]) => {
    for (const row of rows) if (wanted.has(row.id)) matched.add(row.id);
  };
  if (!ctx.config.upstream.idsFilter) {
    await readListings(ctx, [{ filter, add: keep }]);
    return matched;
  }
  // Chunks of a page keep each URL short, as getAssignmentsByIds does.
  const ids = [...wanted];
  const chunkSize = Math.min(ctx.config.upstream.pageSize, 1000);
  const chunks = Array.from({ length: Math.ceil(ids.length / chunkSize) }, (_, i) => ids.slice(i * chunkSize, (i + 1) * chunkSize));
  const pages = await Promise.all(
    chunks.map((chunk) =>
      ctx.client
        .listAssignments({ ...filter, ids: chunk }, { page: 1, pageSize: chunk.length })
        .catch((error: unknown) => Promise.reject(refusalAbout.projectAssignments(error, filter.project))),
    ),
  );
  for (const page of pages) keep(page.results);
  return matched;
}

/**
 * Resolves every tag name in every project involved (the filter's and those of the
 * assignments to tag) before anything is written: an unknown name refuses the whole
 * run, the preview included, so a preview never promises what the run would refuse.
 */
async function resolveWorkflowTags(
  ctx: GatewayContext,
  projectIds: Iterable<number>,
  tags: readonly NamedTag[],
  filter: WireAssignmentFilter,
): Promise<{ byProject: Map<number, Map<string, TagModel>>; userErrors: UserError[] }> {
  const projects = new Set(projectIds);
  if (filter.project !== undefined) projects.add(filter.project);
  return resolveNamedTags(ctx.loaders, projects, tags);
}

/**
 * One `set_tags` call per (project, tag) chunk; none for a preview. Every id a write
 * carried leaves the loader, so the payload's assignments are read back after the write.
 */
async function applyTags(
  ctx: GatewayContext,
  items: readonly TagAssignment[],
  tags: ReadonlyMap<number, ReadonlyMap<string, TagModel>>,
  dryRun: boolean,
): Promise<{ writeCalls: number; userErrors: UserError[] }> {
  const writes = planTagWrites(items, tags);
  if (dryRun) return { writeCalls: 0, userErrors: [] };
  try {
    return await executeTagWrites(ctx.client, writes, { mode: 'add', notify: false }, ctx.afterWrite);
  } finally {
    for (const write of writes) for (const id of write.assignmentIds) ctx.loaders.assignmentById.clear(id);
  }
}
