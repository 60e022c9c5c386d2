import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import type { WireAssignment, WirePage } from '../../src/contract/index.ts';
import { TOKENS, call, ids, listAll } from './helpers.ts';

let backend: DevBackend;
/** Every assignment, in id order, as the admin sees them. */
let all: WireAssignment[];

beforeAll(async () => {
  backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 600 } });
  all = await listAll(backend);
});

afterAll(async () => {
  await backend.close();
});

type Page = WirePage<WireAssignment>;

const list = (query: string, token: string = TOKENS.admin) => call<Page>(backend, `sdk/assignments/?${query}`, { token });

/** The listing must equal `expected`, in order, across all pages. */
async function expectListing(query: string, expected: readonly WireAssignment[], token?: string): Promise<void> {
  expect(expected.length).toBeGreaterThan(0);
  const rows = await listAll(backend, query, token);
  expect(ids(rows)).toEqual(ids(expected));
  const first = await list(`${query}&page_size=1`, token);
  expect(first.body.count).toBe(expected.length);
}

const searchable = (a: WireAssignment) => `${JSON.stringify(a.data)} ${JSON.stringify(a.metadata)}`.toLowerCase();

describe('GET assignments/{id}/', () => {
  it('answers the assignment in wire shape, tags sorted', async () => {
    const tagged = all.find((a) => a.tags.length > 1) ?? all.find((a) => a.tags.length > 0)!;
    const reply = await call<WireAssignment>(backend, `assignments/${tagged.id}/`);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(tagged);
    expect(Object.keys(reply.body).sort()).toEqual(
      ['assignee', 'created_at', 'data', 'files', 'id', 'metadata', 'priority', 'project', 'status', 'tags', 'updated_at'],
    );
    expect(reply.body.tags).toEqual([...reply.body.tags].sort((a, b) => a - b));
  });

  it('answers 404 for an unknown id', async () => {
    const reply = await call(backend, 'assignments/999999/');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ detail: 'Not found.' });
  });

  it('answers 403 to a member of another project, 200 to members and viewers of it', async () => {
    const inProject1 = all.find((a) => a.project === 1)!;
    const bob = await call(backend, `assignments/${inProject1.id}/`, { token: TOKENS.bob });
    expect(bob.status).toBe(403);
    expect(bob.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect((await call(backend, `assignments/${inProject1.id}/`, { token: TOKENS.alice })).status).toBe(200);
    expect((await call(backend, `assignments/${inProject1.id}/`, { token: TOKENS.viewer })).status).toBe(200);
  });
});

describe('GET sdk/assignments/ filters', () => {
  it('lists everything by id when unfiltered', () => {
    expect(all).toHaveLength(600);
    expect(ids(all)).toEqual([...ids(all)].sort((a, b) => a - b));
  });

  it('filters by project', async () => {
    await expectListing('project=2', all.filter((a) => a.project === 2));
  });

  it.each(['pending', 'in_progress', 'completed', 'rejected'])('filters by status %s', async (status) => {
    await expectListing(`status=${status}`, all.filter((a) => a.status === status));
  });

  it('filters by assignee', async () => {
    const assignee = all.find((a) => a.assignee !== null)!.assignee!;
    await expectListing(`assignee=${assignee}`, all.filter((a) => a.assignee === assignee));
  });

  it('filters by priority', async () => {
    await expectListing('priority=3', all.filter((a) => a.priority === 3));
  });

  it('filters created_after and updated_after inclusively, to the microsecond', async () => {
    const sorted = [...all].sort((a, b) => a.created_at.localeCompare(b.created_at));
    const pivot = sorted[Math.floor(sorted.length / 2)]!.created_at;
    await expectListing(`created_after=${pivot}`, all.filter((a) => a.created_at >= pivot));
    const oneMicroLater = `${pivot.slice(0, 20)}${String(Number(pivot.slice(20, 26)) + 1).padStart(6, '0')}Z`;
    await expectListing(`created_after=${oneMicroLater}`, all.filter((a) => a.created_at >= oneMicroLater));
    const updatedPivot = [...all].sort((a, b) => a.updated_at.localeCompare(b.updated_at))[400]!.updated_at;
    await expectListing(`updated_after=${updatedPivot}`, all.filter((a) => a.updated_at >= updatedPivot));
  });

  it('normalizes time zone offsets and date-only values', async () => {
    const pivot = all[10]!.created_at;
    const plusTwo = new Date(Date.parse(pivot) + 2 * 3_600_000).toISOString().slice(0, 19) + pivot.slice(19, 26) + '+02:00';
    const expected = all.filter((a) => a.created_at >= pivot);
    await expectListing(`created_after=${encodeURIComponent(plusTwo)}`, expected);
    const day = pivot.slice(0, 10);
    await expectListing(`created_after=${day}`, all.filter((a) => a.created_at >= `${day}T00:00:00.000000Z`));
  });

  it('searches data and metadata text case-insensitively', async () => {
    for (const term of ['quokka', 'ZEPPELIN', 'Xylophone', 'b-07']) {
      await expectListing(`search=${term}`, all.filter((a) => searchable(a).includes(term.toLowerCase())));
    }
  });

  it('treats search text literally, not as a LIKE pattern', async () => {
    const reply = await list('search=%25');
    expect(reply.body.count).toBe(all.filter((a) => searchable(a).includes('%')).length);
    const underscore = await list('search=_');
    expect(underscore.body.count).toBe(all.filter((a) => searchable(a).includes('_')).length);
  });

  it('restricts to ids, in id order, ignoring duplicates', async () => {
    const reply = await list('ids=30,7,19,7');
    expect(reply.status).toBe(200);
    expect(ids(reply.body.results)).toEqual([7, 19, 30]);
    expect(reply.body.count).toBe(3);
  });

  it('accepts 1000 ids and rejects 1001', async () => {
    const thousand = Array.from({ length: 1000 }, (_, i) => i + 1).join(',');
    const ok = await list(`ids=${thousand}&page_size=1000`);
    expect(ok.status).toBe(200);
    expect(ok.body.count).toBe(600);
    const tooMany = await list(`ids=${thousand},1001`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toEqual({ ids: ['Ensure this field has no more than 1000 elements.'] });
  });

  it('combines filters with AND', async () => {
    await expectListing(
      'project=1&status=completed&priority=4',
      all.filter((a) => a.project === 1 && a.status === 'completed' && a.priority === 4),
    );
  });

  it('ignores empty filter values, as django-filter does', async () => {
    const reply = await list('status=&project=&search=');
    expect(reply.status).toBe(200);
    expect(reply.body.count).toBe(600);
  });
});

describe('GET sdk/assignments/ ordering', () => {
  type Key = 'id' | 'created_at' | 'updated_at' | 'priority';
  /** SQLite order: NULL sorts first ascending; ties by id in the first term's direction. */
  function compare(terms: readonly string[]) {
    const parsed = terms.map((t) => ({ key: t.replace(/^-/, '') as Key, sign: t.startsWith('-') ? -1 : 1 }));
    const tie = parsed[0]!.sign;
    return (a: WireAssignment, b: WireAssignment) => {
      for (const { key, sign } of parsed) {
        const x = a[key];
        const y = b[key];
        if (x === y) continue;
        if (x === null) return -sign;
        if (y === null) return sign;
        return (x < y ? -1 : 1) * sign;
      }
      return (a.id - b.id) * tie;
    };
  }

  it.each(['id', '-id', 'created_at', '-created_at', 'updated_at', '-updated_at', 'priority', '-priority', 'priority,-created_at'])(
    'orders by %s with id as tie-breaker',
    async (ordering) => {
      const expected = [...all].sort(compare(ordering.split(',')));
      await expectListing(`ordering=${ordering}`, expected);
    },
  );

  it('rejects an unknown ordering field', async () => {
    const reply = await list('ordering=status');
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ ordering: ['"status" is not a valid ordering field.'] });
  });
});

describe('GET sdk/assignments/ pagination', () => {
  const completed = () => all.filter((a) => a.status === 'completed');

  it('pages with absolute next/previous links that keep the other parameters', async () => {
    const first = await list('status=completed&page_size=50');
    expect(first.body.count).toBe(completed().length);
    expect(first.body.previous).toBeNull();
    const next = new URL(first.body.next!);
    expect(`${next.protocol}//${next.host}/`).toBe(backend.url);
    expect(next.pathname).toBe('/sdk/assignments/');
    expect(Object.fromEntries(next.searchParams)).toEqual({ status: 'completed', page_size: '50', page: '2' });
    const second = await call<WirePage<WireAssignment>>(backend, next.href.slice(backend.url.length));
    expect(ids(second.body.results)).toEqual(ids(completed().slice(50, 100)));
    expect(Object.fromEntries(new URL(second.body.previous!).searchParams)).toEqual({
      status: 'completed',
      page_size: '50',
      page: '1',
    });
  });

  it('follows next to the end and sees every row once', async () => {
    const seen: number[] = [];
    let path: string | null = 'sdk/assignments/?project=3&page_size=37';
    while (path !== null) {
      const reply: { body: WirePage<WireAssignment> } = await call(backend, path);
      seen.push(...ids(reply.body.results));
      path = reply.body.next === null ? null : reply.body.next.slice(backend.url.length);
    }
    expect(seen).toEqual(ids(all.filter((a) => a.project === 3)));
  });

  it('serves an exactly full last page, and 404 past it', async () => {
    const count = completed().length;
    const pageSize = [...Array(count).keys()].slice(2).reverse().find((d) => count % d === 0 && d < count) ?? count;
    const lastPage = count / pageSize;
    const last = await list(`status=completed&page_size=${pageSize}&page=${lastPage}`);
    expect(last.status).toBe(200);
    expect(last.body.results).toHaveLength(pageSize);
    expect(last.body.next).toBeNull();
    expect(ids(last.body.results)).toEqual(ids(completed().slice(-pageSize)));
    const past = await list(`status=completed&page_size=${pageSize}&page=${lastPage + 1}`);
    expect(past.status).toBe(404);
    expect(past.body).toEqual({ detail: 'Invalid page.' });
  });

  it.each(['0', '-1', 'abc', '1.5'])('answers 404 Invalid page. for page=%s', async (page) => {
    const reply = await list(`page=${page}`);
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ detail: 'Invalid page.' });
  });

  it('answers page 1 of an empty result with count 0, and 404 for page 2', async () => {
    const empty = await list('ids=999999');
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    expect((await list('ids=999999&page=2')).status).toBe(404);
  });

  it('defaults to 100 per page and accepts up to 1000', async () => {
    expect((await list('')).body.results).toHaveLength(100);
    const max = await list('page_size=1000');
    expect(max.status).toBe(200);
    expect(max.body.results).toHaveLength(600);
  });

  it.each(['0', '-5', 'ten', '2.5', ''])('never refuses page_size=%s: it falls back to the default of 100, as DRF does', async (size) => {
    const reply = await list(`page_size=${size}`);
    expect(reply.status).toBe(200);
    expect(ids(reply.body.results)).toEqual(ids(all.slice(0, 100)));
    expect(reply.body.count).toBe(600);
  });

  it('caps page_size silently at the maximum (DEV_BACKEND_MAX_PAGE_SIZE), pages and links included', async () => {
    const small = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 120 }, maxPageSize: 50 });
    try {
      const page = (n: number) => call<Page>(small, `sdk/assignments/?page_size=1001&page=${n}`);
      const first = await page(1);
      expect(first.status).toBe(200);
      expect(first.body.count).toBe(120);
      expect(first.body.results).toHaveLength(50);
      expect(first.body.next).toBe(`${small.url}sdk/assignments/?page_size=1001&page=2`);
      const last = await page(3);
      expect(ids(last.body.results)).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
      expect(last.body.next).toBeNull();
      expect((await page(4)).status).toBe(404);
    } finally {
      await small.close();
    }
  });
});

describe('GET sdk/assignments/ validation', () => {
  it.each([
    ['status=bogus', { status: ['"bogus" is not a valid choice.'] }],
    ['project=abc', { project: ['A valid integer is required.'] }],
    ['assignee=x', { assignee: ['A valid integer is required.'] }],
    ['priority=1.5', { priority: ['A valid integer is required.'] }],
    ['created_after=yesterday', { created_after: ['Enter a valid date/time.'] }],
    ['updated_after=2026-02-30T00:00:00Z', { updated_after: ['Enter a valid date/time.'] }],
    ['ids=', { ids: ['This list may not be empty.'] }],
    ['ids=1,x', { ids: ['Enter a comma-separated list of integers.'] }],
  ])('answers 400 for %s', async (query, body) => {
    const reply = await list(query);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(body);
  });

  it('reports every invalid field at once', async () => {
    const reply = await list('status=bogus&project=abc&page_size=5000');
    expect(reply.status).toBe(400);
    // page_size is never an error (capped, as in DRF).
    expect(Object.keys(reply.body).sort()).toEqual(['project', 'status']);
  });

  it('validates before checking visibility', async () => {
    const reply = await list('project=1&status=bogus', TOKENS.bob);
    expect(reply.status).toBe(400);
  });
});

describe('GET sdk/assignments/ visibility', () => {
  it("shows a member only their projects' rows when unfiltered", async () => {
    const rows = await listAll(backend, '', TOKENS.alice);
    expect(ids(rows)).toEqual(ids(all.filter((a) => a.project === 1 || a.project === 2)));
    const bob = await listAll(backend, 'status=pending', TOKENS.bob);
    expect(ids(bob)).toEqual(ids(all.filter((a) => a.project === 3 && a.status === 'pending')));
  });

  it("answers 403 when a member filters on another project (even one that doesn't exist)", async () => {
    for (const project of [1, 99]) {
      const reply = await list(`project=${project}`, TOKENS.bob);
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    }
  });

  it('lets a viewer list their projects', async () => {
    await expectListing('project=2', all.filter((a) => a.project === 2), TOKENS.viewer);
  });

  it('omits rows a member cannot see from an ids listing', async () => {
    const mixed = [all.find((a) => a.project === 1)!.id, all.find((a) => a.project === 3)!.id];
    const reply = await list(`ids=${mixed.join(',')}`, TOKENS.alice);
    expect(ids(reply.body.results)).toEqual([mixed[0]]);
  });

  it('lets an admin filter on a project that does not exist (empty page)', async () => {
    const reply = await list('project=99');
    expect(reply.status).toBe(200);
    expect(reply.body.count).toBe(0);
  });
});
