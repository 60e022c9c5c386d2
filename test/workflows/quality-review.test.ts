import { describe, expect, it } from 'vitest';
import {
  classifyScore,
  DEFAULT_THRESHOLDS,
  matchesExactFilter,
  parseQualityReviewInput,
  planQualityReview,
  type QualityReviewRequest,
  type ScoredLookup,
} from '../../src/workflows/quality-review.ts';
import { row } from './rows.ts';

const codesAt = (input: QualityReviewRequest) =>
  parseQualityReviewInput(input).userErrors.map((e) => `${e.code} ${e.field?.join('.')}`);

describe('parseQualityReviewInput', () => {
  it('applies the seed defaults', () => {
    const { review, tags, userErrors } = parseQualityReviewInput({ scores: [{ assignmentId: '4', score: 0.5 }] });
    expect(userErrors).toEqual([]);
    expect(review).toEqual({
      scores: [{ assignmentId: 4, score: 0.5 }],
      thresholds: { approveAt: 0.9, reviewAt: 0.7 },
      tagNames: { approved: 'approved', needsReview: 'needs_review', rejected: 'rejected' },
    });
    expect(tags.map((t) => t.name)).toEqual(['approved', 'needs_review', 'rejected']);
  });

  it('refuses each invalid field, naming it', () => {
    const one = [{ assignmentId: '1', score: 0.5 }];
    expect(codesAt({ scores: [] })).toEqual(['INVALID input.scores']);
    expect(codesAt({ scores: Array.from({ length: 1001 }, (_, i) => ({ assignmentId: String(i + 1), score: 1 })) })).toEqual(['TOO_MANY input.scores']);
    expect(codesAt({ scores: [{ assignmentId: '1', score: 1.01 }, { assignmentId: '2', score: -0.1 }, { assignmentId: '3', score: Number.NaN }] })).toEqual([
      'INVALID input.scores.0.score',
      'INVALID input.scores.1.score',
      'INVALID input.scores.2.score',
    ]);
    expect(codesAt({ scores: [{ assignmentId: 'x', score: 1 }, { assignmentId: '7', score: 1 }, { assignmentId: '07', score: 0 }] })).toEqual([
      'INVALID input.scores.0.assignmentId',
      'INVALID input.scores.2.assignmentId',
    ]);
    expect(codesAt({ scores: one, approveAt: 0.6, reviewAt: 0.7 })).toEqual(['INVALID input.approveAt']);
    expect(codesAt({ scores: one, approveAt: 1.5 })).toEqual(['INVALID input.approveAt']);
    expect(codesAt({ scores: one, reviewAt: -1 })).toEqual(['INVALID input.reviewAt']);
    expect(codesAt({ scores: one, tagNames: { rejected: ' ' } })).toEqual(['INVALID input.tagNames.rejected']);
    expect(codesAt({ scores: one, filter: { status: 'pending' } })).toEqual(['INVALID input.filter.status']);
    expect(parseQualityReviewInput({ scores: one, filter: { status: 'pending' } }).userErrors[0]?.message).toBe(
      'Only completed assignments are reviewed; filter.status must be COMPLETED or left out, got PENDING.',
    );
    expect(codesAt({ scores: one, filter: { status: 'completed' } })).toEqual([]);
  });
});

describe('classifyScore', () => {
  it('follows the seed: >= approveAt approved, >= reviewAt needs review, else rejected', () => {
    expect(classifyScore(1, DEFAULT_THRESHOLDS)).toBe('approved');
    expect(classifyScore(0.9, DEFAULT_THRESHOLDS)).toBe('approved');
    expect(classifyScore(0.8999, DEFAULT_THRESHOLDS)).toBe('needsReview');
    expect(classifyScore(0.7, DEFAULT_THRESHOLDS)).toBe('needsReview');
    expect(classifyScore(0.6999, DEFAULT_THRESHOLDS)).toBe('rejected');
    expect(classifyScore(0, DEFAULT_THRESHOLDS)).toBe('rejected');
    expect(classifyScore(0.5, { approveAt: 0.5, reviewAt: 0.5 })).toBe('approved');
  });
});

describe('matchesExactFilter', () => {
  const r = row({ id: 1, project: 2, status: 'completed', assignee: 9, priority: 3, created_at: '2026-11-01T00:00:00.000500Z', updated_at: '2026-11-02T00:00:00.000000Z' });

  it('matches every exact-value field as the upstream does (>= for the timestamps)', () => {
    expect(matchesExactFilter(r, {})).toBe(true);
    expect(matchesExactFilter(r, { project: 2, status: 'completed', assignee: 9, priority: 3 })).toBe(true);
    expect(matchesExactFilter(r, { created_after: '2026-11-01T00:00:00.000Z', updated_after: '2026-11-02T00:00:00.000Z' })).toBe(true);
    expect(matchesExactFilter(r, { project: 1 })).toBe(false);
    expect(matchesExactFilter(r, { status: 'pending' })).toBe(false);
    expect(matchesExactFilter(r, { assignee: 8 })).toBe(false);
    expect(matchesExactFilter(r, { priority: 2 })).toBe(false);
    expect(matchesExactFilter(r, { created_after: '2026-11-01T00:00:00.001Z' })).toBe(false);
    expect(matchesExactFilter(r, { updated_after: '2026-11-02T00:00:00.001Z' })).toBe(false);
  });

  it('does not match an unassigned row or one without priority against those fields', () => {
    expect(matchesExactFilter(row({ id: 2, assignee: null, priority: null }), { assignee: 9 })).toBe(false);
    expect(matchesExactFilter(row({ id: 2, assignee: null, priority: null }), { priority: 1 })).toBe(false);
  });
});

describe('planQualityReview', () => {
  it('classifies eligible rows in input order and skips the others with the first reason that applies', () => {
    const { review } = parseQualityReviewInput({
      scores: [
        { assignmentId: '1', score: 0.95 },
        { assignmentId: '2', score: 0.1 },
        { assignmentId: '3', score: 0.5 },
        { assignmentId: '4', score: 0.5 },
        { assignmentId: '5', score: 0.5 },
        { assignmentId: '6', score: 0.75 },
        { assignmentId: '7', score: 0.2 },
      ],
    });
    const rows = {
      1: row({ id: 1, status: 'completed' }),
      2: row({ id: 2, status: 'pending' }),
      5: row({ id: 5, project: 2, status: 'pending' }),
      6: row({ id: 6, status: 'completed', project: 1 }),
      7: row({ id: 7, status: 'completed', project: 1 }),
    };
    const lookups = new Map<number, ScoredLookup>([
      [1, rows[1]],
      [2, rows[2]],
      [3, 'NOT_FOUND'],
      [4, 'FORBIDDEN'],
      [5, rows[5]],
      [6, rows[6]],
      [7, rows[7]],
    ]);
    const plan = planQualityReview(review, lookups, (r) => r.project === 1);
    expect(plan.results.map((r) => [r.assignment.id, r.tagName])).toEqual([
      [1, 'approved'],
      [6, 'needs_review'],
      [7, 'rejected'],
    ]);
    expect(plan.skipped.map((s) => [s.assignmentId, s.reason])).toEqual([
      [2, 'NOT_COMPLETED'],
      [3, 'NOT_FOUND'],
      [4, 'FORBIDDEN'],
      [5, 'OUT_OF_SCOPE'],
    ]);
    expect(plan.skipped[0]!.message).toContain('PENDING');
    expect(plan.items).toEqual([
      { projectId: 1, assignmentId: 1, tagName: 'approved' },
      { projectId: 1, assignmentId: 6, tagName: 'needs_review' },
      { projectId: 1, assignmentId: 7, tagName: 'rejected' },
    ]);
    expect(plan.summary).toEqual([
      { tagName: 'approved', count: 1 },
      { tagName: 'needs_review', count: 1 },
      { tagName: 'rejected', count: 1 },
    ]);
  });

  it('merges the summary when two verdicts share a tag name, and lists zero counts', () => {
    const { review } = parseQualityReviewInput({
      scores: [{ assignmentId: '1', score: 0.95 }, { assignmentId: '2', score: 0.8 }],
      tagNames: { approved: 'ok', needsReview: 'ok', rejected: 'bad' },
    });
    const lookups = new Map<number, ScoredLookup>([
      [1, row({ id: 1, status: 'completed' })],
      [2, row({ id: 2, status: 'completed' })],
    ]);
    expect(planQualityReview(review, lookups, () => true).summary).toEqual([
      { tagName: 'ok', count: 2 },
      { tagName: 'bad', count: 0 },
    ]);
  });
});
