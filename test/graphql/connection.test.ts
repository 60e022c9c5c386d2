import { describe, it, expect } from 'vitest';
import type { GraphQLError } from 'graphql';
import {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_UPSTREAM_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  planPages,
  toWindow,
  type ConnectionArgs,
  type PagePlan,
} from '../../src/graphql/connection.ts';

/** The window a plan yields when its pages are read from `total` items 0..total-1. */
function readPlan(plan: PagePlan, size: number, total: number): number[] {
  const items: number[] = [];
  for (const page of plan.pages) {
    const from = (page - 1) * plan.pageSize;
    for (let i = from; i < Math.min(from + plan.pageSize, total); i++) items.push(i);
  }
  return items.slice(plan.skip, plan.skip + size);
}

/** Whether any page size in [size, max] puts the whole window in one page. */
function onePagePossible(start: number, size: number, max: number): number | undefined {
  for (let pageSize = size; pageSize <= max; pageSize++) {
    if (Math.floor(start / pageSize) === Math.floor((start + size - 1) / pageSize)) return pageSize;
  }
  return undefined;
}

function expectPlanCovers(start: number, size: number, max: number): PagePlan {
  const plan = planPages(start, size, max);
  const expected = Array.from({ length: size }, (_, i) => start + i);
  // Data ending exactly at the window's end (so the last page read may be short); more data changes nothing.
  const total = start + size;
  const got = readPlan(plan, size, total);
  if (got.length !== size || got[0] !== start || got[size - 1] !== start + size - 1) {
    expect({ start, size, max, total, plan, got }).toEqual({ start, size, max, total, plan, got: expected });
  }
  return plan;
}

describe('planPages', () => {
  it('covers exactly [start, start + size) for every start 0..300 and size 1..100, in one page where one suffices', () => {
    let checked = 0;
    for (const max of [MAX_UPSTREAM_PAGE_SIZE, 100, 150]) {
      for (let start = 0; start <= 300; start++) {
        for (let size = 1; size <= Math.min(100, max); size++) {
          const plan = expectPlanCovers(start, size, max);
          const best = onePagePossible(start, size, max);
          const summary = { start, size, max, pages: plan.pages.length, pageSize: plan.pageSize };
          if (best !== undefined) {
            // One page, with the smallest page size that allows it.
            if (plan.pages.length !== 1 || plan.pageSize !== best) {
              expect(summary).toEqual({ ...summary, pages: 1, pageSize: best });
            }
          } else if (plan.pages.length !== 2 || plan.pages[1] !== plan.pages[0]! + 1) {
            expect(summary).toEqual({ ...summary, pages: 2 });
          }
          if (plan.pageSize > max || plan.pageSize < size || plan.skip < 0 || plan.pages[0]! < 1) {
            expect({ ...summary, skip: plan.skip }).toEqual('a page size in [size, max], skip >= 0, pages >= 1');
          }
          checked++;
        }
      }
    }
    expect(checked).toBe(301 * 100 * 3);
  });

  it('needs two pages for some windows when the page size is capped, and never more', () => {
    let twoPagePlans = 0;
    for (let start = 0; start <= 300; start++) {
      for (let size = 1; size <= 100; size++) {
        const plan = planPages(start, size, 100);
        if (plan.pages.length > 2) expect({ start, size, pages: plan.pages }).toEqual('at most 2 pages');
        if (plan.pages.length === 2) twoPagePlans++;
      }
    }
    // The exhaustive test above would pass vacuously if the fallback were never taken.
    expect(twoPagePlans).toBeGreaterThan(100);
  });

  it('covers large offsets with page sizes the upstream accepts', () => {
    let state = 12345;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    for (let i = 0; i < 2_000; i++) {
      const start = next() % 5_000_000;
      const size = 1 + (next() % MAX_PAGE_SIZE);
      const plan = expectPlanCovers(start, size, MAX_UPSTREAM_PAGE_SIZE);
      if (plan.pageSize > MAX_UPSTREAM_PAGE_SIZE || plan.pages.length > 2) {
        expect({ start, size, plan }).toEqual('a page size <= 1000 and at most 2 pages');
      }
    }
  });

  it('maps forward pagination with a constant first = N to exactly one aligned page each time', () => {
    for (const n of [1, 2, 7, 20, 33, 50, 99, 100]) {
      for (let k = 0; k < 200; k++) {
        const plan = planPages(k * n, n);
        expect({ n, k, plan }).toEqual({ n, k, plan: { pageSize: n, pages: [k + 1], skip: 0 } });
      }
    }
  });

  it('maps forward pagination through toWindow (first N after the previous end cursor) to one page each', () => {
    for (const n of [5, 20, 100]) {
      let after: string | undefined;
      for (let k = 0; k < 50; k++) {
        const window = toWindow({ first: n, after });
        expect(window.start).toBe(k * n);
        const plan = planPages(window.start!, window.size);
        expect(plan.pages).toHaveLength(1);
        expect(plan.pageSize).toBe(n);
        after = encodeCursor(window.start! + window.size - 1);
      }
    }
  });
});

/**
 * Not `instanceof GraphQLError`: under vitest, this file's `graphql` (index.mjs) and the one
 * graphql-yoga loads (index.js) are two module instances with two GraphQLError classes.
 */
function gatewayErrorOf(fn: () => unknown): GraphQLError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('GraphQLError');
    expect((error as GraphQLError).extensions).toBeTypeOf('object');
    return error as GraphQLError;
  }
  throw new Error('expected a GraphQLError to be thrown');
}

describe('cursors', () => {
  it('round-trips every offset', () => {
    for (const offset of [0, 1, 2, 19, 20, 99, 100, 101, 12_345, 999_999, 123_456_789, 999_999_999]) {
      const cursor = encodeCursor(offset);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor, 'after')).toBe(offset);
      expect(decodeCursor(cursor, 'before')).toBe(offset);
    }
  });

  it('is opaque: the offset is not in plain sight', () => {
    expect(encodeCursor(42)).not.toContain('42');
  });

  it.each([
    ['empty', ''],
    ['not base64 of ours', 'hello'],
    ['a plain number', '42'],
    ['another prefix', Buffer.from('user-offset:3').toString('base64url')],
    ['negative', Buffer.from('assignment-offset:-1').toString('base64url')],
    ['not an integer', Buffer.from('assignment-offset:1.5').toString('base64url')],
    ['too many digits', Buffer.from('assignment-offset:1234567890').toString('base64url')],
    ['trailing text', Buffer.from('assignment-offset:3;drop').toString('base64url')],
    ['very long', 'A'.repeat(10_000)],
    ['a relay global id', Buffer.from('Assignment:3').toString('base64')],
  ])('rejects %s with BAD_USER_INPUT', (_name, cursor) => {
    const after = gatewayErrorOf(() => decodeCursor(cursor, 'after'));
    expect(after.extensions['code']).toBe('BAD_USER_INPUT');
    expect(after.extensions['argument']).toBe('after');
    expect(after.message).toContain('after');
    const before = gatewayErrorOf(() => toWindow({ before: cursor, last: 5 }));
    expect(before.extensions['code']).toBe('BAD_USER_INPUT');
    expect(before.extensions['argument']).toBe('before');
  });
});

describe('toWindow', () => {
  it.each([
    [{ first: 0 }, 'first'],
    [{ first: 101 }, 'first'],
    [{ first: -1 }, 'first'],
    [{ last: 0 }, 'last'],
    [{ last: 101 }, 'last'],
    [{ first: 10, last: 10 }, 'first'],
    [{ first: 1, last: 1, after: encodeCursor(3) }, 'first'],
  ] as [ConnectionArgs, string][])('rejects %o with BAD_USER_INPUT', (args, argument) => {
    const error = gatewayErrorOf(() => toWindow(args));
    expect(error.extensions['code']).toBe('BAD_USER_INPUT');
    expect(error.extensions['retryable']).toBe(false);
    expect(error.extensions['argument']).toBe(argument);
  });

  it('accepts the bounds 1 and 100', () => {
    expect(toWindow({ first: 1 })).toEqual({ start: 0, size: 1, before: null });
    expect(toWindow({ first: MAX_PAGE_SIZE })).toEqual({ start: 0, size: 100, before: null });
    expect(toWindow({ last: 1 })).toEqual({ start: null, size: 1, before: null });
    expect(toWindow({ last: MAX_PAGE_SIZE })).toEqual({ start: null, size: 100, before: null });
  });

  it('defaults to the first 20 and treats null like absent', () => {
    expect(toWindow({})).toEqual({ start: 0, size: DEFAULT_PAGE_SIZE, before: null });
    expect(toWindow({ first: null, last: null, after: null, before: null })).toEqual({
      start: 0,
      size: DEFAULT_PAGE_SIZE,
      before: null,
    });
  });

  it('starts after the `after` cursor and stops at the `before` cursor', () => {
    expect(toWindow({ first: 10, after: encodeCursor(4) })).toEqual({ start: 5, size: 10, before: null });
    expect(toWindow({ first: 10, after: encodeCursor(4), before: encodeCursor(8) })).toEqual({
      start: 5,
      size: 3,
      before: 8,
    });
    expect(toWindow({ first: 10, after: encodeCursor(8), before: encodeCursor(4) })).toEqual({
      start: 9,
      size: 0,
      before: 4,
    });
  });

  it('takes the last N before the `before` cursor, never before `after`', () => {
    expect(toWindow({ last: 3, before: encodeCursor(10) })).toEqual({ start: 7, size: 3, before: 10 });
    expect(toWindow({ last: 30, before: encodeCursor(10) })).toEqual({ start: 0, size: 10, before: 10 });
    expect(toWindow({ last: 30, after: encodeCursor(4), before: encodeCursor(10) })).toEqual({
      start: 5,
      size: 5,
      before: 10,
    });
  });
});
