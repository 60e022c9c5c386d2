import { toSynapseId, type WireAssignment, type WireAssignmentFilter, type WireStatus } from '../contract/index.ts';
import { parseTagName, userError, type InputProblem, type NamedTag } from './input.ts';
import type { TagAssignment, TagTally } from './write-plan.ts';
import { epochMicros } from './timestamps.ts';

/** Most scores one review accepts: their ids are read in one batched call and fit one write per tag. */
const MAX_SCORES = 1000;

export interface QualityThresholds {
  approveAt: number;
  reviewAt: number;
}

export interface QualityTagNames {
  approved: string;
  needsReview: string;
  rejected: string;
}

export type Verdict = keyof QualityTagNames;

/** The seed's thresholds (also the schema defaults; used when a caller sends null). */
export const DEFAULT_THRESHOLDS: QualityThresholds = { approveAt: 0.9, reviewAt: 0.7 };
const DEFAULT_QUALITY_TAG_NAMES: QualityTagNames = { approved: 'approved', needsReview: 'needs_review', rejected: 'rejected' };

const VERDICTS: readonly Verdict[] = ['approved', 'needsReview', 'rejected'];

export interface QualityScore {
  assignmentId: number;
  score: number;
}

/** A review as the caller asked for it, before any check; the scope's status in REST form. */
export interface QualityReviewRequest {
  filter?: { status?: WireStatus | null } | null;
  scores: readonly { assignmentId: string; score: number }[];
  approveAt?: number | null;
  reviewAt?: number | null;
  tagNames?: Partial<QualityTagNames> | null;
}

/** A validated review request. */
export interface QualityReview {
  scores: QualityScore[];
  thresholds: QualityThresholds;
  tagNames: QualityTagNames;
}

/**
 * Checks everything about the input that needs no upstream call. Any user error
 * means the resolver calls nothing upstream. (The filter's own values are checked
 * by the resolver's filter conversion.)
 */
export function parseQualityReviewInput(input: QualityReviewRequest): {
  review: QualityReview;
  tags: NamedTag[];
  userErrors: InputProblem[];
} {
  const userErrors: InputProblem[] = [];
  const status = input.filter?.status;
  if (status != null && status !== 'completed') {
    const message = `Only completed assignments are reviewed; filter.status must be COMPLETED or left out, got ${statusName(status)}.`;
    userErrors.push(userError('INVALID', message, ['input', 'filter', 'status']));
  }

  const scores: QualityScore[] = [];
  if (input.scores.length === 0) {
    userErrors.push(userError('INVALID', 'Give at least one score.', ['input', 'scores']));
  } else if (input.scores.length > MAX_SCORES) {
    userErrors.push(userError('TOO_MANY', `At most ${MAX_SCORES} scores per review, got ${input.scores.length}.`, ['input', 'scores']));
  } else {
    const seen = new Set<number>();
    input.scores.forEach((entry, i) => {
      const id = toSynapseId(entry.assignmentId);
      if (id === null) {
        const shown = String(entry.assignmentId).slice(0, 40);
        userErrors.push(userError('INVALID', `"${shown}" is not an assignment id.`, ['input', 'scores', i, 'assignmentId']));
      } else if (seen.has(id)) {
        // Two scores for one assignment could ask for two verdicts: refuse rather than pick one.
        userErrors.push(userError('INVALID', `Assignment ${id} is scored more than once.`, ['input', 'scores', i, 'assignmentId']));
      }
      if (!isUnitInterval(entry.score)) {
        userErrors.push(userError('INVALID', `A score must be between 0 and 1, got ${entry.score}.`, ['input', 'scores', i, 'score']));
      }
      if (id !== null) {
        seen.add(id);
        scores.push({ assignmentId: id, score: entry.score });
      }
    });
  }

  const thresholds: QualityThresholds = {
    approveAt: input.approveAt ?? DEFAULT_THRESHOLDS.approveAt,
    reviewAt: input.reviewAt ?? DEFAULT_THRESHOLDS.reviewAt,
  };
  for (const name of ['approveAt', 'reviewAt'] as const) {
    if (!isUnitInterval(thresholds[name])) {
      userErrors.push(userError('INVALID', `${name} must be between 0 and 1, got ${thresholds[name]}.`, ['input', name]));
    }
  }
  if (thresholds.approveAt < thresholds.reviewAt) {
    userErrors.push(
      userError('INVALID', `approveAt (${thresholds.approveAt}) must be at least reviewAt (${thresholds.reviewAt}).`, ['input', 'approveAt']),
    );
  }

  const { tagNames, tags } = parseVerdictTagNames(input.tagNames, 'tagNames', userErrors);
  return { review: { scores, thresholds, tagNames }, tags, userErrors };
}

/**
 * The three verdicts' tag names as given (the seed's where left out), each trimmed and
 * checked, with the input field `input.<field>.<verdict>` it came from; a bad one is
 * added to `userErrors` and keeps the seed's name.
 */
export function parseVerdictTagNames(
  input: Partial<QualityTagNames> | null | undefined,
  field: string,
  userErrors: InputProblem[],
): { tagNames: QualityTagNames; tags: NamedTag[] } {
  const given = { ...DEFAULT_QUALITY_TAG_NAMES, ...input };
  const tagNames = { ...DEFAULT_QUALITY_TAG_NAMES };
  const tags: NamedTag[] = [];
  for (const verdict of VERDICTS) {
    const path = ['input', field, verdict];
    const parsed = parseTagName(given[verdict], path);
    if ('error' in parsed) userErrors.push(parsed.error);
    else {
      tagNames[verdict] = parsed.name;
      tags.push({ name: parsed.name, field: path });
    }
  }
  return { tagNames, tags };
}

/** The seed's rule: ≥ approveAt approved, ≥ reviewAt needs review, else rejected. */
export function classifyScore(score: number, thresholds: QualityThresholds): Verdict {
  if (score >= thresholds.approveAt) return 'approved';
  if (score >= thresholds.reviewAt) return 'needsReview';
  return 'rejected';
}

/**
 * Whether a row matches the filter's exact-value fields (everything but `search`,
 * whose matching rules belong to the upstream and are asked of it instead).
 */
export function matchesExactFilter(row: WireAssignment, filter: WireAssignmentFilter): boolean {
  return (
    (filter.project === undefined || row.project === filter.project) &&
    (filter.status === undefined || row.status === filter.status) &&
    (filter.assignee === undefined || row.assignee === filter.assignee) &&
    (filter.priority === undefined || row.priority === filter.priority) &&
    (filter.created_after === undefined || epochMicros(row.created_at) >= epochMicros(filter.created_after)) &&
    (filter.updated_after === undefined || epochMicros(row.updated_at) >= epochMicros(filter.updated_after))
  );
}

/** What reading a scored assignment gave: the row, or why it could not be read. */
export type ScoredLookup = WireAssignment | 'NOT_FOUND' | 'FORBIDDEN';

/** An eligible scored assignment and the tag its score earned. */
export interface ReviewedAssignment {
  assignment: WireAssignment;
  score: number;
  tagName: string;
}

/** A scored assignment left alone, with the first reason that applies. */
export interface SkippedScore {
  assignmentId: number;
  reason: 'NOT_FOUND' | 'FORBIDDEN' | 'OUT_OF_SCOPE' | 'NOT_COMPLETED';
  message: string;
}

export interface QualityReviewPlan {
  results: ReviewedAssignment[];
  skipped: SkippedScore[];
  summary: TagTally[];
  /** The tags to apply, one per eligible assignment. */
  items: TagAssignment[];
}

/**
 * Verdicts in input order. An assignment is skipped when it cannot be read, lies
 * outside the scope, or is not completed (checked in that order, so the reason
 * reported is the first that applies).
 */
export function planQualityReview(
  review: QualityReview,
  lookups: ReadonlyMap<number, ScoredLookup>,
  inScope: (row: WireAssignment) => boolean,
): QualityReviewPlan {
  const results: QualityReviewPlan['results'] = [];
  const skipped: SkippedScore[] = [];
  const items: TagAssignment[] = [];
  const counts = new Map(VERDICTS.map((verdict) => [review.tagNames[verdict], 0]));
  for (const { assignmentId, score } of review.scores) {
    const row = lookups.get(assignmentId);
    if (row === undefined) throw new Error(`Assignment ${assignmentId} was not looked up`);
    if (row === 'NOT_FOUND') {
      skipped.push({ assignmentId, reason: 'NOT_FOUND', message: `Assignment ${assignmentId} does not exist.` });
    } else if (row === 'FORBIDDEN') {
      skipped.push({ assignmentId, reason: 'FORBIDDEN', message: `You may not read assignment ${assignmentId}.` });
    } else if (!inScope(row)) {
      skipped.push({ assignmentId, reason: 'OUT_OF_SCOPE', message: `Assignment ${assignmentId} does not match the filter.` });
    } else if (row.status !== 'completed') {
      skipped.push({
        assignmentId,
        reason: 'NOT_COMPLETED',
        message: `Assignment ${assignmentId} is ${statusName(row.status)}; only completed assignments are reviewed.`,
      });
    } else {
      const tagName = review.tagNames[classifyScore(score, review.thresholds)];
      results.push({ assignment: row, score, tagName });
      items.push({ projectId: row.project, assignmentId, tagName });
      counts.set(tagName, counts.get(tagName)! + 1);
    }
  }
  return { results, skipped, items, summary: [...counts].map(([tagName, count]) => ({ tagName, count })) };
}

/** A status as callers write it: GraphQL's status names are the REST strings in capitals (graphql/enums.ts). */
function statusName(status: WireStatus): string {
  return status.toUpperCase();
}

function isUnitInterval(value: number): boolean {
  return Number.isFinite(value) && value >= 0 && value <= 1;
}
