import { afterAll, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import type { SynapseClient, StreamedPage } from '../../src/upstream/client.ts';
import { UpstreamError } from '../../src/upstream/errors.ts';
import type { WireAssignment, WirePage, WireTag } from '../../src/contract/index.ts';
import { rejectionOf, testClient, TRANSPORTS, type TestClientOptions } from '../helpers/synapse-test-client.ts';

const SEEDED = 2100;
const PROJECTS = 4;
const ADMIN = 'dev-admin-token';
const ALICE = 'dev-alice-token'; // member of projects 1 and 2
const PREFIX = 'https://cdn.example.test/media-root/';

let backend: DevBackend;

beforeAll(async () => {
  backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: SEEDED } });
});

afterAll(async () => {
  await backend.close();
});

beforeEach(() => {
  backend.setFaults({ latencyMs: 0, failRate: 0, hang: false });
  backend.resetRequests();
  backend.resetPeak();
});

/** The backend's own JSON, fetched without the client under test. */
async function raw<T>(path: string, token = ADMIN): Promise<T> {
  const response = await fetch(new URL(path, backend.url), { headers: { Authorization: `Token ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** Every assignment by following `next` one page at a time. */
async function sequentialWalk(pageSize: number, token = ADMIN): Promise<{ count: number; ids: number[] }> {
  const ids: number[] = [];
  let url: string | null = `sdk/assignments/?page_size=${pageSize}`;
  let count = -1;
  for (let guard = 0; url !== null; guard++) {
    expect(guard).toBeLessThan(10_000);
    const page: WirePage<WireAssignment> = await raw(url, token);
    count = page.count;
    ids.push(...page.results.map((a) => a.id));
    url = page.next;
  }
  return { count, ids };
}

async function collect(stream: AsyncGenerator<StreamedPage>, limit = 10_000): Promise<StreamedPage[]> {
  const pages: StreamedPage[] = [];
  for await (const page of stream) {
    pages.push(page);
    if (pages.length > limit) throw new Error('stream did not end');
  }
  return pages;
}

/**
 * Waits until the backend has answered everything `c` sent and `c` sends no more
 * (pages of a stream that failed or was left keep running, and retrying, briefly),
 * so no request leaks into the next test's counts.
 */
async function settle(c: SynapseClient): Promise<void> {
  let stableSince = -1;
  for (let i = 0; i < 1_000; i++) {
    const sent = c.stats.requests;
    const settled = backend.requests.length >= sent && backend.inFlight === 0;
    if (settled && stableSince === sent) return;
    stableSince = settled ? sent : -1;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`requests did not settle: backend saw ${backend.requests.length}, client sent ${c.stats.requests}`);
}

function projectOf(id: number): number {
  return ((id - 1) % PROJECTS) + 1;
}

describe.each(TRANSPORTS)('over the %s transport', (transport) => {
  const client = (options: TestClientOptions = {}): SynapseClient => testClient(backend.url, { ...options, transport });

  describe('streamAssignments against the dev backend', () => {
    it('yields every row exactly once with at most `concurrency` requests in flight', async () => {
      const walk = await sequentialWalk(100);
      expect(walk.count).toBe(SEEDED);
      expect(new Set(walk.ids).size).toBe(SEEDED);
      backend.resetRequests();
      backend.setFaults({ latencyMs: 20 });
      backend.resetPeak();

      const c = client({ config: { concurrency: 4 } });
      const pages = await collect(c.streamAssignments({}, { pageSize: 50 }));
      const ids = pages.flatMap((p) => p.results.map((a) => a.id));
      expect(ids).toHaveLength(SEEDED);
      expect(new Set(ids)).toEqual(new Set(walk.ids));
      expect(pages.every((p) => p.count === walk.count)).toBe(true);
      expect(pages.map((p) => p.page).sort((a, b) => a - b)).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
      expect(backend.peakInFlight).toBeLessThanOrEqual(4);
      // The pages did overlap, so the bound above was really exercised.
      expect(backend.peakInFlight).toBeGreaterThanOrEqual(2);
      expect(backend.requests).toHaveLength(42);
      expect(c.stats.requests).toBe(42);
      expect(backend.requests.every((r) => r.query['page_size'] === '50' && r.token === ADMIN)).toBe(true);
    });

    it('keeps filters and ordering on every page and matches the filtered listing', async () => {
      const expected = await raw<WirePage<WireAssignment>>(
        'sdk/assignments/?project=2&status=completed&ordering=-id&page_size=1000',
        ALICE,
      );
      expect(expected.count).toBeGreaterThan(30);
      backend.resetRequests();
      const c = client({ credentials: { token: ALICE }, config: { concurrency: 3 } });
      const pages = await collect(c.streamAssignments({ project: 2, status: 'completed' }, { pageSize: 30, ordering: '-id' }));
      const ids = pages.sort((a, b) => a.page - b.page).flatMap((p) => p.results.map((a) => a.id));
      // In page order, the rows are the backend's own ordering.
      expect(ids).toEqual(expected.results.map((a) => a.id));
      expect(pages.every((p) => p.count === expected.count)).toBe(true);
      expect(backend.requests).toHaveLength(Math.ceil(expected.count / 30));
      for (const request of backend.requests) {
        expect(request.query).toMatchObject({ project: '2', status: 'completed', ordering: '-id', page_size: '30' });
        expect(request.token).toBe(ALICE);
      }
    });

    it('survives a 30% failure rate through retries', async () => {
      backend.setFaults({ failRate: 0.3 });
      // retries 10: a page fails 11 times in a row with p = 0.3^11, so 42 pages never flake.
      const c = client({ config: { concurrency: 4 }, retryPolicy: { retries: 10 } });
      const pages = await collect(c.streamAssignments({}, { pageSize: 50 }));
      const ids = pages.flatMap((p) => p.results.map((a) => a.id));
      expect(ids).toHaveLength(SEEDED);
      expect(new Set(ids).size).toBe(SEEDED);
      const failed = backend.requests.filter((r) => r.status === 503).length;
      expect(c.stats.retries).toBeGreaterThan(0);
      expect(c.stats.retries).toBe(failed);
      expect(backend.requests).toHaveLength(42 + failed);
    });

    it('fails with UPSTREAM_UNAVAILABLE when every request fails, yielding nothing', async () => {
      backend.setFaults({ failRate: 1 });
      const c = client({ retryPolicy: { retries: 2 } });
      const pages: StreamedPage[] = [];
      const error = await rejectionOf(
        (async () => {
          for await (const page of c.streamAssignments({}, { pageSize: 50 })) pages.push(page);
        })(),
      );
      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as UpstreamError).code).toBe('UPSTREAM_UNAVAILABLE');
      expect(pages).toHaveLength(0);
      expect(backend.requests).toHaveLength(3);
    });

    it('fails (does not end quietly) when pages start failing mid-stream', async () => {
      const c = client({ config: { concurrency: 4 }, retryPolicy: { retries: 1 } });
      const pages: StreamedPage[] = [];
      const error = await rejectionOf(
        (async () => {
          for await (const page of c.streamAssignments({}, { pageSize: 50 })) {
            pages.push(page);
            if (pages.length === 1) backend.setFaults({ failRate: 1 });
          }
        })(),
      );
      expect((error as UpstreamError).code).toBe('UPSTREAM_UNAVAILABLE');
      const rows = pages.reduce((n, p) => n + p.results.length, 0);
      expect(rows).toBeLessThan(SEEDED);
      await settle(c);
    });

    it('a consumer that stops early leaves no request running', async () => {
      backend.setFaults({ latencyMs: 20 });
      const c = client({ config: { concurrency: 4 } });
      let seen = 0;
      for await (const page of c.streamAssignments({}, { pageSize: 50 })) {
        seen += page.results.length;
        if (seen >= 100) break;
      }
      expect(seen).toBe(100);
      // Pages already launched finish, but no new page is asked for after the break:
      // page 1, then 4 launched, then 1 more launched when page 2 came back.
      await settle(c);
      expect(backend.requests).toHaveLength(c.stats.requests);
      expect(c.stats.requests).toBeLessThanOrEqual(1 + 4 + 1);
    });
  });

  describe('a backend that caps page_size (DRF max_page_size)', () => {
    it('streams every row at the size it honours: asked 1000, got 100, ceil(count / 100) requests', async () => {
      const capped = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 450 }, maxPageSize: 100 });
      try {
        const c = testClient(capped.url, { transport });
        const pages = await collect(c.streamAssignments({}));
        const ids = pages.flatMap((p) => p.results.map((a) => a.id));
        expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
        const asked = capped.requests.map((r) => `${r.query['page']}:${r.query['page_size']}`);
        expect(asked[0]).toBe('1:1000');
        expect(asked.slice(1).sort()).toEqual(['2:100', '3:100', '4:100', '5:100']);
      } finally {
        await capped.close();
      }
    });

    it('lists every tag of a project at the size it honours', async () => {
      const capped = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 10 }, maxPageSize: 4 });
      try {
        const get = (page: number) =>
          fetch(`${capped.url}projects/1/tags/?page=${page}`, { headers: { Authorization: `Token ${ADMIN}` } }).then(
            (r) => r.json() as Promise<WirePage<WireTag>>,
          );
        const { count } = await get(1);
        expect(count).toBeGreaterThan(8);
        const expected = (await Promise.all(Array.from({ length: Math.ceil(count / 4) }, (_, i) => get(i + 1)))).flatMap((p) => p.results);
        capped.resetRequests();
        const tags = await testClient(capped.url, { transport }).listProjectTags(1);
        expect(tags).toEqual(expected);
        expect(capped.requests).toHaveLength(Math.ceil(count / 4));
      } finally {
        await capped.close();
      }
    });
  });

  describe('getAssignmentsByIds against the dev backend', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 1 + i * 7);

    it('with the ids filter: 100 ids in one request', async () => {
      const c = client({ config: { idsFilter: true, pageSize: 100 } });
      const results = await c.getAssignmentsByIds([...hundred, ...hundred.slice(0, 10)]);
      expect(backend.requests.map((r) => [r.path, r.query])).toHaveLength(1);
      expect(backend.requests[0]!.path).toBe('/sdk/assignments/');
      expect(backend.requests[0]!.query['ids']!.split(',').map(Number).sort((a, b) => a - b)).toEqual(hundred);
      expect(results.size).toBe(100);
      for (const id of hundred) expect((results.get(id) as WireAssignment).id).toBe(id);
    });

    it('with the ids filter and a small page size: one request per chunk', async () => {
      const c = client({ config: { idsFilter: true, pageSize: 30 } });
      const results = await c.getAssignmentsByIds(hundred);
      expect(backend.requests).toHaveLength(4);
      expect(results.size).toBe(100);
      expect([...results.values()].every((r) => !(r instanceof UpstreamError))).toBe(true);
    });

    it('without the ids filter: one GET per id, at most `concurrency` in flight', async () => {
      backend.setFaults({ latencyMs: 20 });
      backend.resetPeak();
      const c = client({ config: { idsFilter: false, concurrency: 8 } });
      const results = await c.getAssignmentsByIds(hundred);
      expect(backend.requests).toHaveLength(100);
      expect(backend.requests.every((r) => /^\/assignments\/\d+\/$/.test(r.path))).toBe(true);
      expect(backend.peakInFlight).toBeLessThanOrEqual(8);
      expect(backend.peakInFlight).toBeGreaterThanOrEqual(2);
      expect(results.size).toBe(100);
      for (const id of hundred) expect((results.get(id) as WireAssignment).id).toBe(id);
    });

    it.each([true, false])('gives per-id FORBIDDEN and NOT_FOUND to a member (idsFilter %s)', async (idsFilter) => {
      const visible = [1, 2, 5, 6]; // projects 1, 2, 1, 2
      const foreign = [3, 4, 8]; // projects 3, 4, 4
      const unknown = [SEEDED + 1, 9_999_999];
      const c = client({ credentials: { token: ALICE }, config: { idsFilter } });
      const results = await c.getAssignmentsByIds([...visible, ...foreign, ...unknown]);
      expect(results.size).toBe(9);
      for (const id of visible) expect((results.get(id) as WireAssignment).id).toBe(id);
      for (const id of foreign) {
        const error = results.get(id);
        expect(error).toBeInstanceOf(UpstreamError);
        expect((error as UpstreamError).code).toBe('FORBIDDEN');
      }
      for (const id of unknown) {
        const error = results.get(id);
        expect(error).toBeInstanceOf(UpstreamError);
        expect((error as UpstreamError).code).toBe('NOT_FOUND');
      }
      expect(backend.requests).toHaveLength(idsFilter ? 1 + foreign.length + unknown.length : 9);
      expect(backend.requests.every((r) => r.token === ALICE)).toBe(true);
    });

    it('fails as a whole when the upstream is down, rather than answering per id', async () => {
      backend.setFaults({ failRate: 1 });
      const c = client({ retryPolicy: { retries: 1 } });
      const error = await rejectionOf(c.getAssignmentsByIds([1, 2, 3]));
      expect((error as UpstreamError).code).toBe('UPSTREAM_UNAVAILABLE');
      await settle(c);
    });

    it('fails as a whole on bad credentials', async () => {
      const c = client({ credentials: { token: 'not-a-token' }, config: { idsFilter: false } });
      const error = await rejectionOf(c.getAssignmentsByIds([1, 2]));
      expect((error as UpstreamError).code).toBe('UNAUTHENTICATED');
      await settle(c);
    });
  });

  describe('writes and tags against the dev backend', () => {
    it('setTags with a 100% failure rate sends exactly one POST and changes nothing', async () => {
      const before = await raw<WireAssignment>('assignments/9/');
      backend.resetRequests();
      backend.setFaults({ failRate: 1 });
      const c = client({ retryPolicy: { retries: 5 } });
      const error = await rejectionOf(c.setTags({ assignmentIds: [9], tagIds: [6], mode: 'replace', notify: false }));
      expect((error as UpstreamError).code).toBe('UPSTREAM_UNAVAILABLE');
      expect((error as UpstreamError).status).toBe(503);
      const posts = backend.requests.filter((r) => r.method === 'POST');
      expect(posts).toHaveLength(1);
      expect(posts[0]!.status).toBe(503);
      expect(backend.requests).toHaveLength(1);
      backend.setFaults({ failRate: 0 });
      expect((await raw<WireAssignment>('assignments/9/')).tags).toEqual(before.tags);
    });

    it('setTags applies add and remove', async () => {
      const c = client();
      const added = await c.setTags({ assignmentIds: [13, 17], tagIds: [12], mode: 'add', notify: false });
      expect(added).toMatchObject({ updated: 2, assignment_ids: [13, 17], tag_ids: [12], action: 'add' });
      expect((await raw<WireAssignment>('assignments/13/')).tags).toContain(12);
      await c.setTags({ assignmentIds: [13, 17], tagIds: [12], mode: 'remove', notify: false });
      expect((await raw<WireAssignment>('assignments/17/')).tags).not.toContain(12);
    });

    it('setTags by a viewer is FORBIDDEN, sent once', async () => {
      const c = client({ credentials: { token: 'dev-viewer-token' } });
      const error = await rejectionOf(c.setTags({ assignmentIds: [1], tagIds: [1], mode: 'add', notify: false }));
      expect((error as UpstreamError).code).toBe('FORBIDDEN');
      expect(backend.requests).toHaveLength(1);
    });

    it('forwards the tenant header to the backend', async () => {
      await client({ credentials: { token: ADMIN, tenant: 'Token acme' } }).getAssignment(1);
      await client({ credentials: { token: ADMIN } }).getAssignment(1);
      expect(backend.requests.map((r) => r.tenant)).toEqual(['Token acme', null]);
    });

    it.each([5, 1000])('listProjectTags returns every tag of the project (stream page size %i)', async (streamPageSize) => {
      const expected = await raw<WirePage<WireTag>>('projects/2/tags/?page_size=1000');
      expect(expected.count).toBeGreaterThan(10);
      backend.resetRequests();
      const tags = await client({ config: { streamPageSize } }).listProjectTags(2);
      expect(tags).toEqual(expected.results);
      // Pages of 5: more than one request, so paging was exercised.
      expect(backend.requests.length).toBe(Math.ceil(expected.count / streamPageSize));
      expect(backend.requests.every((r) => r.query['page_size'] === String(streamPageSize))).toBe(true);
    });

    it('listProjectTags of another project is FORBIDDEN for a member', async () => {
      const error = await rejectionOf(client({ credentials: { token: ALICE } }).listProjectTags(3));
      expect((error as UpstreamError).code).toBe('FORBIDDEN');
    });
  });

  describe('rows as the backend sent them', () => {
    it('leaves file URLs alone whatever FILE_URL_PREFIX says: the GraphQL files field rewrites them', async () => {
      const rawPage = await raw<WirePage<WireAssignment>>('sdk/assignments/?page=2&page_size=50');
      const c = client({ config: { fileUrlPrefix: PREFIX } });
      expect((await c.listAssignments({}, { page: 2, pageSize: 50 })).results).toEqual(rawPage.results);
      expect(await c.getAssignment(3)).toEqual(await raw<WireAssignment>('assignments/3/'));
    });
  });
});
