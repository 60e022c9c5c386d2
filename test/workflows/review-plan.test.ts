import { describe, expect, it } from 'vitest';
import {
  findEarlierReview,
  parseReviewRequest,
  planReview,
  reviewActions,
  reviewFingerprint,
  type ReviewRequestInput,
} from '../../src/workflows/review-plan.ts';
import { row, tagTable } from './rows.ts';

const NAMES = ['approved', 'needs_review', 'rejected', 'blurry'];
// ids: project * 100 + index: approved 100, needs_review 101, rejected 102, blurry 103 (project 1)
const TAGS = tagTable({ 1: NAMES, 2: NAMES });
const parse = (input: Partial<ReviewRequestInput>) => parseReviewRequest({ assignmentIds: ['1'], decision: 'approved', ...input });

describe('parseReviewRequest', () => {
  it('refuses a rejection or a request for review without a reason, and a comment without text', () => {
    for (const decision of ['rejected', 'needsReview', 'comment'] as const) {
      for (const comment of [undefined, null, '', '   \n']) {
        const { userErrors } = parse({ decision, comment });
        expect(userErrors, `${decision} ${JSON.stringify(comment)}`).toEqual([expect.objectContaining({ code: 'INVALID', field: ['input', 'comment'] })]);
      }
    }
    expect(parse({ decision: 'approved' }).userErrors).toEqual([]);
    expect(parse({ decision: 'rejected', comment: ' Boxes too loose ' }).request.comment).toBe('Boxes too loose');
  });

  it('checks ids, sizes, tag names and the key before anything is read', () => {
    const { userErrors } = parse({
      assignmentIds: ['1', 'x', '1'],
      decision: 'rejected',
      comment: 'x'.repeat(10_001),
      reviewTagNames: ['blurry', ''],
      verdictTagNames: { rejected: ' ' },
      idempotencyKey: ' ',
    });
    expect(userErrors.map((e) => e.field?.join('.'))).toEqual([
      'input.assignmentIds.1',
      'input.comment',
      'input.verdictTagNames.rejected',
      'input.reviewTagNames.1',
      'input.idempotencyKey',
    ]);
    expect(parse({ assignmentIds: Array.from({ length: 101 }, (_, i) => String(i + 1)) }).userErrors[0]!.code).toBe('TOO_MANY');
  });

  it('resolves the three verdict tags for a verdict, none for a comment, and the review tags always', () => {
    expect(parse({ decision: 'rejected', comment: 'why', reviewTagNames: ['blurry'] }).tags.map((t) => t.name)).toEqual([...NAMES.slice(0, 3), 'blurry']);
    expect(parse({ decision: 'comment', comment: 'note', reviewTagNames: ['blurry'] }).tags.map((t) => t.name)).toEqual(['blurry']);
  });

  it('fingerprints the decision, not the assignments or the order of the review tags', () => {
    const a = parse({ assignmentIds: ['1', '2'], decision: 'rejected', comment: 'why', reviewTagNames: ['a', 'b'] }).request;
    const b = parse({ assignmentIds: ['2'], decision: 'rejected', comment: 'why', reviewTagNames: ['b', 'a'] }).request;
    const c = parse({ assignmentIds: ['2'], decision: 'rejected', comment: 'other', reviewTagNames: ['b', 'a'] }).request;
    expect(reviewFingerprint(a)).toBe(reviewFingerprint(b));
    expect(reviewFingerprint(a)).not.toBe(reviewFingerprint(c));
  });
});

describe('planReview', () => {
  const rows = [
    row({ id: 1, tags: [] }),
    row({ id: 2, tags: [100, 103] }), // approved already
    row({ id: 3, tags: [102] }), // rejected before
    row({ id: 4, project: 2, tags: [201, 200] }), // both needs_review and approved
  ];

  it('adds the verdict tag where it is missing and takes the other verdicts off where they are: one write per tag and project', () => {
    const { request } = parse({ assignmentIds: ['1', '2', '3', '4'], decision: 'approved', comment: 'Fine.', reviewTagNames: ['blurry'] });
    const plan = planReview(request, rows, TAGS);
    expect(plan.tagWrites).toEqual([
      { action: 'add', projectId: 1, tagIds: [100], assignmentIds: [1, 3] },
      { action: 'remove', projectId: 1, tagIds: [102], assignmentIds: [3] },
      { action: 'remove', projectId: 2, tagIds: [201], assignmentIds: [4] },
    ]);
    expect(plan.items.map((item) => [item.assignmentId, item.verdictTagId, item.addsVerdictTag, item.removedTagIds])).toEqual([
      [1, 100, true, []],
      [2, 100, false, []],
      [3, 100, true, [102]],
      [4, 200, false, [201]],
    ]);
    expect(plan.items[3]!.review).toEqual({ assignment: 4, scope: 'assignment', tags: [200, 203], description: 'Fine.' });
  });

  it('writes no tag for a comment, only the review', () => {
    const { request } = parse({ assignmentIds: ['3'], decision: 'comment', comment: 'A note.' });
    const plan = planReview(request, [rows[2]!], TAGS);
    expect(plan.tagWrites).toEqual([]);
    expect(plan.items[0]).toMatchObject({ verdictTagId: null, addsVerdictTag: false, removedTagIds: [], review: { tags: [], description: 'A note.' } });
  });

  it('plans nothing more for rows already as the verdict leaves them (a retry writes no tag)', () => {
    const { request } = parse({ assignmentIds: ['2'], decision: 'approved' });
    expect(planReview(request, [rows[1]!], TAGS).tagWrites).toEqual([]);
  });
});

describe('reviewActions and findEarlierReview', () => {
  const { request } = parse({ assignmentIds: ['1', '2', '3', '4', '5'], decision: 'approved' });
  const items = planReview(request, [1, 2, 3, 4, 5].map((id) => row({ id })), TAGS).items;

  it('creates what the key has not seen, reuses what it wrote, leaves what another request writes, checks what may have landed', () => {
    const claims = new Map([
      [1, { kind: 'claimed' as const, previous: 'none' as const }],
      [2, { kind: 'done' as const, reviewId: 9 }],
      [3, { kind: 'busy' as const }],
      [4, { kind: 'claimed' as const, previous: 'unknown' as const, since: 5 }],
      [5, { kind: 'claimed' as const, previous: 'abandoned' as const, since: 6 }],
    ]);
    expect([...reviewActions(items, claims).values()]).toEqual([
      { kind: 'create' },
      { kind: 'reuse', reviewId: 9 },
      { kind: 'busy' },
      { kind: 'verify', since: 5 },
      { kind: 'verify', since: 6 },
    ]);
    expect([...reviewActions(items, null).values()].every((action) => action.kind === 'create')).toBe(true);
  });

  it('finds the review a lost answer left: same text and tags, created since the write began', () => {
    const since = Date.parse('2026-11-20T12:00:00Z');
    const expected = { assignment: 1, scope: 'assignment' as const, tags: [3, 1], description: 'why' };
    const candidates = [
      { id: 1, description: 'why', tags: [1, 3], created: '2026-11-20T11:00:00.000000Z' }, // before the write
      { id: 2, description: 'why not', tags: [1, 3], created: '2026-11-20T12:00:01.000000Z' },
      { id: 3, description: 'why', tags: [1], created: '2026-11-20T12:00:01.000000Z' },
      { id: 4, description: 'why', tags: [1, 3], created: '2026-11-20T11:58:00.000000Z' }, // within the clock skew
    ];
    expect(findEarlierReview(candidates, expected, since)).toBe(4);
    expect(findEarlierReview(candidates.slice(0, 3), expected, since)).toBeUndefined();
  });
});
