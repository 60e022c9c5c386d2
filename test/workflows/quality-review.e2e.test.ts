import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WireAssignment, WireTag } from '../../src/contract/index.ts';
import { restAll, restTags } from '../helpers/rest.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const REVIEW = /* GraphQL */ `
  mutation Review($input: ApplyQualityReviewInput!) {
    applyQualityReview(input: $input) {
      results { assignment { id status } score tagName }
      skipped { assignmentId reason message }
      summary { tagName count }
      dryRun
      writeCalls
      userErrors { field message code }
    }
  }
`;

const THRESHOLDS = { approveAt: 0.9, reviewAt: 0.7 };
/** A deterministic score in [0, 1] per assignment, spread over all three verdicts. */
const scoreOf = (id: number) => ((id * 37) % 101) / 100;
const verdict = (score: number) => (score >= 0.9 ? 'approved' : score >= 0.7 ? 'needs_review' : 'rejected');

interface Expected {
  results: { id: string; score: number; tagName: string }[];
  skipped: { assignmentId: string; reason: string }[];
}

/** The seed's loop over the scored ids, with the gateway's skip rules written out plainly. */
function expectedReview(ids: number[], rows: Map<number, WireAssignment>, visible: (row: WireAssignment) => boolean, inScope: Set<number>): Expected {
  const expected: Expected = { results: [], skipped: [] };
  for (const id of ids) {
    const row = rows.get(id);
    const skip = (reason: string) => expected.skipped.push({ assignmentId: String(id), reason });
    if (!row) skip('NOT_FOUND');
    else if (!visible(row)) skip('FORBIDDEN');
    else if (!inScope.has(id)) skip('OUT_OF_SCOPE');
    else if (row.status !== 'completed') skip('NOT_COMPLETED');
    else expected.results.push({ id: String(id), score: scoreOf(id), tagName: verdict(scoreOf(id)) });
  }
  return expected;
}

function actual(payload: { results: { assignment: { id: string }; score: number; tagName: string }[]; skipped: { assignmentId: string; reason: string }[] }): Expected {
  return {
    results: payload.results.map((r) => ({ id: r.assignment.id, score: r.score, tagName: r.tagName })),
    skipped: payload.skipped.map((s) => ({ assignmentId: s.assignmentId, reason: s.reason })),
  };
}

describe('applyQualityReview over 6,000 assignments', () => {
  let stack: Stack;
  let rows: Map<number, WireAssignment>;
  let tags1: WireTag[];
  const posts = () => stack.backend.requests.filter((r) => r.method === 'POST');
  const projectRows = (project: number) => [...rows.values()].filter((row) => row.project === project);
  const scores = (ids: number[]) => ids.map((id) => ({ assignmentId: String(id), score: scoreOf(id) }));
  const tagsOfProject1 = async () => new Map((await restAll(stack.backend.url, 'project=1')).map((row) => [row.id, row.tags]));

  beforeAll(async () => {
    stack = await startStack({ assignments: 6000, upstream: { pageSize: 100 } });
    rows = new Map((await restAll(stack.backend.url, '')).map((row) => [row.id, row]));
    tags1 = await restTags(stack.backend.url, 1);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.backend.resetRequests());

  it('previews, then tags with one set_tags call per verdict, not one per assignment (seed defect)', async () => {
    const ids = [
      ...projectRows(1).slice(0, 250).map((row) => row.id),
      ...projectRows(2).slice(0, 20).map((row) => row.id),
      ...projectRows(3).slice(0, 10).map((row) => row.id),
      99_999_999,
    ].sort((a, b) => ((a * 7919) % 1009) - ((b * 7919) % 1009));
    const inScope = new Set(projectRows(1).map((row) => row.id));
    const expected = expectedReview(ids, rows, (row) => row.project !== 3, inScope);
    expect(expected.results.length).toBeGreaterThan(50);
    expect(new Set(expected.skipped.map((s) => s.reason))).toEqual(new Set(['NOT_FOUND', 'FORBIDDEN', 'OUT_OF_SCOPE', 'NOT_COMPLETED']));
    const input = { filter: { project: '1' }, scores: scores(ids) };
    const before = await tagsOfProject1();

    const preview = (await stack.gql(REVIEW, { input: { ...input, dryRun: true } }, { token: TOKENS.alice })).body;
    expect(preview.errors).toBeUndefined();
    const previewed = preview.data!.applyQualityReview;
    expect(actual(previewed)).toEqual(expected);
    expect(previewed).toMatchObject({ dryRun: true, writeCalls: 0, userErrors: [] });
    expect(posts()).toHaveLength(0);
    expect(await tagsOfProject1()).toEqual(before);
    // Reads: the ids in pages of 100, one GET each for the ids the list could not show, one tag list.
    const reads = stack.backend.requests;
    expect(reads.filter((r) => r.path === '/sdk/assignments/' && r.query['ids'])).toHaveLength(Math.ceil(ids.length / 100));
    expect(reads.filter((r) => r.path.startsWith('/assignments/'))).toHaveLength(11);
    expect(reads.filter((r) => r.path === '/projects/1/tags/')).toHaveLength(1);

    stack.backend.resetRequests();
    const real = (await stack.gql(REVIEW, { input }, { token: TOKENS.alice })).body;
    const applied = real.data!.applyQualityReview;
    expect({ ...applied, dryRun: true, writeCalls: 0 }).toEqual(previewed);
    expect(applied.dryRun).toBe(false);
    expect(posts()).toHaveLength(3);
    expect(applied.writeCalls).toBe(3);
    expect(real.extensions!.upstream.writes).toBe(3);
    expect(applied.summary).toEqual(
      ['approved', 'needs_review', 'rejected'].map((tagName) => ({ tagName, count: expected.results.filter((r) => r.tagName === tagName).length })),
    );

    const after = await tagsOfProject1();
    const tagged = new Map(expected.results.map((r) => [Number(r.id), tags1.find((t) => t.name === r.tagName)!.id]));
    for (const [id, tagIds] of after) {
      const wanted = tagged.get(id);
      if (wanted === undefined) expect(tagIds).toEqual(before.get(id));
      else expect(tagIds).toEqual([...new Set([...before.get(id)!, wanted])].sort((a, b) => a - b));
    }
  });

  it('scopes by any filter field exactly as the upstream does (search asked of the upstream)', async () => {
    const ids = projectRows(1).slice(0, 1000).map((row) => row.id);
    const sample = rows.get(ids[40]!)!;
    const filters: Record<string, string | number>[] = [
      { priority: 3 },
      { assignee: String(sample.assignee) },
      { createdAfter: sample.created_at.replace(/\d{3}Z$/, 'Z') },
      { updatedAfter: sample.updated_at.replace(/\d{3}Z$/, 'Z') },
      { search: 'night' },
    ];
    const wire: Record<string, string> = { priority: 'priority', assignee: 'assignee', createdAfter: 'created_after', updatedAfter: 'updated_after', search: 'search' };
    // Read after the previous test's writes, which moved updated_at.
    const current = new Map((await restAll(stack.backend.url, 'project=1')).map((row) => [row.id, row]));
    for (const extra of filters) {
      const [[key, value]] = Object.entries(extra) as [[string, string | number]];
      const scoped = await restAll(stack.backend.url, `project=1&${wire[key]}=${encodeURIComponent(String(value))}`);
      const inScope = new Set(scoped.map((row) => row.id));
      const expected = expectedReview(ids, current, () => true, inScope);
      expect(expected.results.length, key).toBeGreaterThan(0);
      expect(expected.skipped.filter((s) => s.reason === 'OUT_OF_SCOPE').length, key).toBeGreaterThan(0);
      stack.backend.resetRequests();
      const { body } = await stack.gql(REVIEW, { input: { filter: { project: '1', ...extra }, scores: scores(ids), dryRun: true } });
      expect(body.errors, key).toBeUndefined();
      expect(actual(body.data!.applyQualityReview), key).toEqual(expected);
      const searched = stack.backend.requests.filter((r) => r.query['search'] !== undefined);
      expect(searched.length > 0, key).toBe(key === 'search');
    }
  });

  it('refuses an unknown tag name as a user error naming it, with nothing written, preview or not', async () => {
    const ids = projectRows(1).slice(0, 40).map((row) => row.id);
    const before = await tagsOfProject1();
    for (const dryRun of [true, false]) {
      stack.backend.resetRequests();
      const { body } = await stack.gql(
        REVIEW,
        { input: { filter: { project: '1' }, scores: scores(ids), tagNames: { approved: 'no_such_tag' }, dryRun } },
        { token: TOKENS.alice },
      );
      const payload = body.data!.applyQualityReview;
      expect(payload.userErrors).toEqual([
        { code: 'UNKNOWN_TAG', message: 'Tag "no_such_tag" does not exist in project 1.', field: ['input', 'tagNames', 'approved'] },
      ]);
      expect(payload).toMatchObject({ results: [], skipped: [], writeCalls: 0, dryRun });
      expect(posts()).toHaveLength(0);
    }
    expect(await tagsOfProject1()).toEqual(before);
  });

  it('refuses invalid input as user errors before any upstream call', async () => {
    const one = scores([1]);
    const cases: [Record<string, unknown>, string][] = [
      [{ scores: one, filter: { status: 'PENDING' } }, 'input.filter.status'],
      [{ scores: one, filter: { project: 'p1' } }, 'input.filter.project'],
      [{ scores: [...one, ...one] }, 'input.scores.1.assignmentId'],
      [{ scores: [{ assignmentId: '1', score: 1.5 }] }, 'input.scores.0.score'],
      [{ scores: one, approveAt: 0.5, reviewAt: 0.6 }, 'input.approveAt'],
      [{ scores: scores(Array.from({ length: 1001 }, (_, i) => i + 1)) }, 'input.scores'],
    ];
    for (const [input, field] of cases) {
      const { body } = await stack.gql(REVIEW, { input });
      const payload = body.data!.applyQualityReview;
      expect(payload.userErrors.map((e: { field: string[] }) => e.field.join('.')), field).toEqual([field]);
      expect(payload.writeCalls).toBe(0);
    }
    expect(stack.backend.requests).toHaveLength(0);
  });

  it('is FORBIDDEN for a read-only viewer, and nothing changes', async () => {
    const ids = projectRows(1).slice(0, 40).map((row) => row.id);
    const before = await tagsOfProject1();
    const { body } = await stack.gql(REVIEW, { input: { filter: { project: '1' }, scores: scores(ids) } }, { token: TOKENS.viewer });
    expect(body.data).toBeNull();
    expect(body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    expect(await tagsOfProject1()).toEqual(before);
  });
});

describe('applyQualityReview against a backend without the ids filter', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ assignments: 800, upstream: { pageSize: 50, streamPageSize: 50, idsFilter: false } });
  });
  afterAll(() => stack.close());

  it('scopes a search by reading the search’s own listing', async () => {
    const rows = await restAll(stack.backend.url, 'project=1');
    const inScope = new Set((await restAll(stack.backend.url, 'project=1&search=night')).map((row) => row.id));
    const ids = rows.map((row) => row.id);
    const expected = expectedReview(ids, new Map(rows.map((row) => [row.id, row])), () => true, inScope);
    expect(expected.results.length).toBeGreaterThan(0);
    expect(expected.skipped.some((s) => s.reason === 'OUT_OF_SCOPE')).toBe(true);
    stack.backend.resetRequests();
    const { body } = await stack.gql(REVIEW, {
      input: { filter: { project: '1', search: 'night' }, scores: ids.map((id) => ({ assignmentId: String(id), score: scoreOf(id) })), dryRun: true },
    });
    expect(actual(body.data!.applyQualityReview)).toEqual(expected);
    const searched = stack.backend.requests.filter((r) => r.query['search'] === 'night');
    expect(searched).toHaveLength(Math.max(1, Math.ceil(inScope.size / 50)));
    expect(searched.every((r) => r.query['ids'] === undefined)).toBe(true);
  });
});
