import { toSynapseId, type WireAssignment, type WireReview, type WireReviewCreate } from '../contract/index.ts';
import { parseTagName, userError, type InputProblem, type NamedTag } from './input.ts';
import { parseVerdictTagNames, type QualityTagNames, type Verdict } from './quality-review.ts';
import { planTagWrites, type ResolvedTags, type TagAssignment, type TagWrite } from './write-plan.ts';

/** What a reviewer decides: one of the seed's three verdicts, or a comment that sets none. */
export type ReviewDecision = Verdict | 'comment';

/** Most assignments one call reviews: each is one v2 write (v2 has no batch create). */
export const MAX_REVIEWS_PER_CALL = 100;
/** Longest comment; a review's text is meant for people, not for payloads. */
export const MAX_COMMENT_LENGTH = 10_000;
/** Most extra tags on one review. */
export const MAX_REVIEW_TAGS = 20;
/** Longest idempotency key (a UUID is 36). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/** A review request as the caller sent it, before any check. */
export interface ReviewRequestInput {
  assignmentIds: readonly string[];
  decision: ReviewDecision;
  comment?: string | null;
  reviewTagNames?: readonly string[] | null;
  verdictTagNames?: Partial<QualityTagNames> | null;
  idempotencyKey?: string | null;
}

/** A validated review request. */
export interface ReviewRequest {
  assignmentIds: number[];
  decision: ReviewDecision;
  /** Trimmed; empty when none was given (allowed for an approval only). */
  comment: string;
  reviewTagNames: string[];
  verdictTagNames: QualityTagNames;
  idempotencyKey: string | null;
}

/**
 * Checks everything that needs no upstream call. A rejection or a request for another
 * review must say why: without a comment that is not blank, it is refused, so nothing
 * is written. `tags` lists every name to resolve in each assignment's project: the three
 * verdict tags (the chosen one is added, the other two taken off) unless it is a
 * comment, and the review's own tags.
 */
export function parseReviewRequest(input: ReviewRequestInput): { request: ReviewRequest; tags: NamedTag[]; userErrors: InputProblem[] } {
  const userErrors: InputProblem[] = [];
  const assignmentIds: number[] = [];
  if (input.assignmentIds.length === 0) {
    userErrors.push(userError('INVALID', 'Give at least one assignment id.', ['input', 'assignmentIds']));
  } else if (input.assignmentIds.length > MAX_REVIEWS_PER_CALL) {
    const message = `At most ${MAX_REVIEWS_PER_CALL} assignments per call (one review write each), got ${input.assignmentIds.length}.`;
    userErrors.push(userError('TOO_MANY', message, ['input', 'assignmentIds']));
  } else {
    input.assignmentIds.forEach((raw, i) => {
      const id = toSynapseId(raw);
      if (id === null) userErrors.push(userError('INVALID', `"${String(raw).slice(0, 40)}" is not an assignment id.`, ['input', 'assignmentIds', i]));
      else if (!assignmentIds.includes(id)) assignmentIds.push(id);
    });
  }

  const comment = input.comment?.trim() ?? '';
  if (comment === '' && input.decision !== 'approved') {
    const why = input.decision === 'comment' ? 'A comment needs its text.' : 'Say why: a rejection or a request for review needs a comment that is not blank.';
    userErrors.push(userError('INVALID', why, ['input', 'comment']));
  } else if (comment.length > MAX_COMMENT_LENGTH) {
    userErrors.push(userError('INVALID', `A comment has at most ${MAX_COMMENT_LENGTH} characters, got ${comment.length}.`, ['input', 'comment']));
  }

  // A comment sets no verdict: its names are neither checked nor resolved.
  const verdicts = parseVerdictTagNames(input.decision === 'comment' ? null : input.verdictTagNames, 'verdictTagNames', userErrors);
  const verdictTagNames = verdicts.tagNames;
  const tags: NamedTag[] = input.decision === 'comment' ? [] : verdicts.tags;

  const reviewTagNames: string[] = [];
  const rawNames = input.reviewTagNames ?? [];
  if (rawNames.length > MAX_REVIEW_TAGS) {
    userErrors.push(userError('TOO_MANY', `At most ${MAX_REVIEW_TAGS} review tags, got ${rawNames.length}.`, ['input', 'reviewTagNames']));
  } else {
    rawNames.forEach((raw, i) => {
      const field = ['input', 'reviewTagNames', i];
      const parsed = parseTagName(raw, field);
      if ('error' in parsed) userErrors.push(parsed.error);
      else if (!reviewTagNames.includes(parsed.name)) {
        reviewTagNames.push(parsed.name);
        tags.push({ name: parsed.name, field });
      }
    });
  }

  let idempotencyKey: string | null = null;
  if (input.idempotencyKey != null) {
    idempotencyKey = input.idempotencyKey.trim();
    if (idempotencyKey === '' || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      userErrors.push(userError('INVALID', `An idempotency key has 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`, ['input', 'idempotencyKey']));
    }
  }
  return { request: { assignmentIds, decision: input.decision, comment, reviewTagNames, verdictTagNames, idempotencyKey }, tags, userErrors };
}

/**
 * What an idempotency key binds: the decision, never the assignments (a retry may name
 * only the ones that failed) nor how it is sent (`notify`, `dryRun`).
 */
export function reviewFingerprint(request: ReviewRequest): string {
  const { decision, comment, verdictTagNames } = request;
  return JSON.stringify({ decision, comment, reviewTagNames: [...request.reviewTagNames].sort(), verdictTagNames });
}

/** One assignment's part of a review run. */
export interface ReviewItem {
  assignmentId: number;
  projectId: number;
  /** The verdict's tag in the assignment's project; null for a comment. */
  verdictTagId: number | null;
  /** Whether the run adds it (false when the assignment already carries it). */
  addsVerdictTag: boolean;
  /** The other verdict tags the assignment carries, which the run takes off. */
  removedTagIds: number[];
  /** The v2 review to create: the comment, with the verdict tag and the review tags, so the history shows who decided what. */
  review: WireReviewCreate;
}

/** A `set_tags` call of a review run: adds the verdict's tag, or takes another verdict's off. */
export type ReviewTagWrite = TagWrite & { action: 'add' | 'remove' };

export interface ReviewPlan {
  /** In the order asked. */
  items: ReviewItem[];
  /** Adds first, then removals; one per (project, tag). */
  tagWrites: ReviewTagWrite[];
}

/**
 * The run for rows as they are now, so that sending it again changes nothing twice: an
 * assignment is given the verdict's tag only if it lacks it, and loses another verdict's
 * tag only if it has it. Every name must be resolved in every row's project.
 */
export function planReview(request: ReviewRequest, rows: readonly WireAssignment[], tags: ResolvedTags): ReviewPlan {
  const { decision, verdictTagNames } = request;
  const adds: TagAssignment[] = [];
  const removals: TagAssignment[] = [];
  const items = rows.map((row): ReviewItem => {
    const tagId = (name: string) => {
      const tag = tags.get(row.project)?.get(name);
      if (!tag) throw new Error(`Tag "${name}" was not resolved in project ${row.project}`);
      return tag.id;
    };
    const verdictTagId = decision === 'comment' ? null : tagId(verdictTagNames[decision]);
    const addsVerdictTag = verdictTagId !== null && !row.tags.includes(verdictTagId);
    if (addsVerdictTag) adds.push({ projectId: row.project, assignmentId: row.id, tagName: verdictTagNames[decision as Verdict] });
    const others = decision === 'comment' ? [] : (Object.keys(verdictTagNames) as Verdict[]).filter((verdict) => verdict !== decision);
    const removed = others.filter((verdict) => row.tags.includes(tagId(verdictTagNames[verdict])));
    for (const verdict of removed) removals.push({ projectId: row.project, assignmentId: row.id, tagName: verdictTagNames[verdict] });
    const reviewTags = [...(verdictTagId === null ? [] : [verdictTagId]), ...request.reviewTagNames.map(tagId)];
    return {
      assignmentId: row.id,
      projectId: row.project,
      verdictTagId,
      addsVerdictTag,
      removedTagIds: removed.map((verdict) => tagId(verdictTagNames[verdict])),
      review: { assignment: row.id, scope: 'assignment', tags: [...new Set(reviewTags)], description: request.comment },
    };
  });
  return {
    items,
    tagWrites: [
      ...planTagWrites(adds, tags).map((write) => ({ ...write, action: 'add' as const })),
      ...planTagWrites(removals, tags).map((write) => ({ ...write, action: 'remove' as const })),
    ],
  };
}

/** What an idempotency key knew of an assignment when the run claimed it (shared-state's claim, by shape). */
export type KeyClaim =
  | { kind: 'claimed'; previous: 'none' | 'unknown' | 'abandoned'; since?: number }
  | { kind: 'done'; reviewId: number }
  | { kind: 'busy' };

/** What to do about one assignment's review. */
export type ReviewAction =
  | { kind: 'create' }
  /** A write under this key may have landed (its answer was lost, or its writer died): look before writing again. */
  | { kind: 'verify'; since: number }
  | { kind: 'reuse'; reviewId: number }
  | { kind: 'busy' };

/** Turns the key's claims into actions; with no key, every review is created. */
export function reviewActions(items: readonly ReviewItem[], claims: ReadonlyMap<number, KeyClaim> | null): Map<number, ReviewAction> {
  return new Map(
    items.map((item): [number, ReviewAction] => {
      const claim = claims?.get(item.assignmentId);
      if (!claim || (claim.kind === 'claimed' && claim.previous === 'none')) return [item.assignmentId, { kind: 'create' }];
      if (claim.kind === 'claimed') return [item.assignmentId, { kind: 'verify', since: claim.since ?? 0 }];
      return [item.assignmentId, claim.kind === 'done' ? { kind: 'reuse', reviewId: claim.reviewId } : claim];
    }),
  );
}

/** How far the backend's clock may be behind ours when a review's `created` is compared with a claim's time. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The review an earlier write under this key left, if it landed: the same text and tags,
 * created since that write began (give or take clock skew). Its author is the caller,
 * the only one who can hold the key.
 */
export function findEarlierReview(candidates: readonly Partial<WireReview>[], expected: WireReviewCreate, since: number): number | undefined {
  const tags = [...(expected.tags ?? [])].sort((a, b) => a - b).join(',');
  const match = candidates.find(
    (review) =>
      review.id !== undefined &&
      review.description === (expected.description ?? '') &&
      [...(review.tags ?? [])].sort((a, b) => a - b).join(',') === tags &&
      review.created !== undefined &&
      Date.parse(review.created) >= since - CLOCK_SKEW_MS,
  );
  return match?.id;
}
