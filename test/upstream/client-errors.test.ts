import { afterAll, beforeAll, beforeEach, describe, it, expect } from 'vitest';
import { UpstreamError } from '../../src/upstream/errors.ts';
import { closedPort, startCraftedServer, type CraftedServer } from '../helpers/crafted-server.ts';
import { rejectionOf, testClient as baseTestClient, SAMPLE_ASSIGNMENT, TRANSPORTS, type TestClientOptions } from '../helpers/synapse-test-client.ts';

const MARKER = 'SECRET-MARKER-123';

const ASSIGNMENT = SAMPLE_ASSIGNMENT;

let server: CraftedServer;
let other: CraftedServer;

beforeAll(async () => {
  server = await startCraftedServer();
  other = await startCraftedServer();
});

afterAll(async () => {
  await server.close();
  await other.close();
});

beforeEach(() => {
  server.reset();
  other.reset();
});

async function upstreamErrorOf(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

describe.each(TRANSPORTS)('over the %s transport', (transport) => {
  const testClient = (url: string, options: TestClientOptions = {}) => baseTestClient(url, { ...options, transport });

  describe('HTTP status mapping through the client', () => {
    const cases = [
      { status: 401, code: 'UNAUTHENTICATED', retryable: false, attempts: 1 },
      { status: 403, code: 'FORBIDDEN', retryable: false, attempts: 1 },
      { status: 404, code: 'NOT_FOUND', retryable: false, attempts: 1 },
      { status: 429, code: 'UPSTREAM_UNAVAILABLE', retryable: true, attempts: 4 },
      { status: 500, code: 'UPSTREAM_UNAVAILABLE', retryable: true, attempts: 1 },
      { status: 502, code: 'UPSTREAM_UNAVAILABLE', retryable: true, attempts: 4 },
      { status: 503, code: 'UPSTREAM_UNAVAILABLE', retryable: true, attempts: 4 },
      { status: 504, code: 'UPSTREAM_UNAVAILABLE', retryable: true, attempts: 4 },
    ] as const;

    it.each(cases)('$status → $code (retryable $retryable, $attempts request(s))', async ({ status, code, retryable, attempts }) => {
      const body = JSON.stringify({ detail: `${MARKER} Traceback at /srv/synapse/views.py line 42` });
      server.reset({ status, body, headers: status === 429 ? { 'Retry-After': '0' } : {} });
      const client = testClient(server.url);
      const error = await upstreamErrorOf(client.getAssignment(7));
      expect(error.status).toBe(status);
      expect(error.code).toBe(code);
      expect(error.retryable).toBe(retryable);
      expect(error.message).not.toContain(MARKER);
      expect(error.message).not.toContain('/srv/synapse');
      expect(error.upstreamBody).toBe(body);
      expect(error.fieldErrors).toEqual([]);
      expect(server.requests).toHaveLength(attempts);
      expect(client.stats.requests).toBe(attempts);
      expect(client.stats.retries).toBe(attempts - 1);
    });

    it('400 with a DRF field body → BAD_USER_INPUT with field errors', async () => {
      const body = JSON.stringify({ status: ['bad'], [MARKER]: ['x'] });
      server.script({ status: 400, body });
      const error = await upstreamErrorOf(testClient(server.url).listAssignments({ project: 1 }));
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.status).toBe(400);
      expect(error.retryable).toBe(false);
      expect(error.fieldErrors).toContainEqual({ field: 'status', message: 'bad' });
      expect(error.message).not.toContain(MARKER);
      expect(error.upstreamBody).toBe(body);
      expect(server.requests).toHaveLength(1);
    });

    it('400 with the newer {error, meta} body → BAD_USER_INPUT with field errors', async () => {
      const body = JSON.stringify({
        error: { code: 'validation_error', message: 'Invalid input', details: [{ field: 'status', message: 'bad' }] },
        meta: { request_id: MARKER },
      });
      server.script({ status: 400, body });
      const error = await upstreamErrorOf(testClient(server.url).listAssignments({ project: 1 }));
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.fieldErrors).toEqual([{ field: 'status', message: 'bad' }]);
      expect(error.message).not.toContain(MARKER);
      expect(error.upstreamBody).toContain(MARKER);
      expect(server.requests).toHaveLength(1);
    });

    it('429 carries the Retry-After the upstream sent', async () => {
      server.script({ status: 429, body: `{"detail":"${MARKER}"}`, headers: { 'Retry-After': '0' } });
      const client = testClient(server.url, { retryPolicy: { retries: 0 } });
      const error = await upstreamErrorOf(client.getAssignment(7));
      expect(error.retryAfterSeconds).toBe(0);
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(server.requests).toHaveLength(1);
    });

    it('a 200 whose body is not JSON → UPSTREAM_UNAVAILABLE, not retried, body not in the message', async () => {
      server.script({ status: 200, body: `<html>${MARKER} proxy login page</html>`, headers: { 'Content-Type': 'text/html' } });
      const client = testClient(server.url);
      const error = await upstreamErrorOf(client.getAssignment(7));
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(error.status).toBeNull();
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('invalid upstream response');
      expect(error.message).not.toContain(MARKER);
      expect(error.cause).toBeInstanceOf(SyntaxError);
      expect(server.requests).toHaveLength(1);
      expect(client.stats.retries).toBe(0);
    });

    it('a successful answer is parsed', async () => {
      server.script({ status: 200, body: ASSIGNMENT });
      const assignment = await testClient(server.url).getAssignment(7);
      expect(assignment).toEqual(ASSIGNMENT);
      expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /assignments/7/']);
    });
  });

  describe('connection failures', () => {
    it('connection refused → UPSTREAM_UNAVAILABLE with no status, after the retries', async () => {
      const port = await closedPort();
      const client = testClient(`http://127.0.0.1:${port}/`);
      const error = await upstreamErrorOf(client.getAssignment(1));
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(error.status).toBeNull();
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('connection failed');
      expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
      expect(client.stats.requests).toBe(4);
      expect(client.stats.retries).toBe(3);
    });

    it('a socket reset on every attempt → UPSTREAM_UNAVAILABLE after retries+1 requests', async () => {
      server.reset({ reset: true });
      const client = testClient(server.url, { retryPolicy: { retries: 2 } });
      const error = await upstreamErrorOf(client.getAssignment(7));
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(error.status).toBeNull();
      expect(error.retryable).toBe(true);
      expect((error.cause as { code?: string }).code).toBe('ECONNRESET');
      expect(server.requests).toHaveLength(3);
      expect(client.stats.retries).toBe(2);
    });
  });

  describe('credentials', () => {
    it('sends Authorization: Token <t> on every request, and no tenant header unless given', async () => {
      server.reset({ status: 503, body: '{}' });
      const client = testClient(server.url, { credentials: { token: 'tok-abc' }, retryPolicy: { retries: 2 } });
      await rejectionOf(client.getAssignment(7));
      expect(server.requests).toHaveLength(3);
      for (const request of server.requests) {
        expect(request.headers['authorization']).toBe('Token tok-abc');
        expect(request.headers['synapse-tenant']).toBeUndefined();
        expect(request.headers['accept']).toBe('application/json');
      }
    });

    it('forwards Synapse-Tenant when given, on reads and writes', async () => {
      server.script(
        { status: 200, body: ASSIGNMENT },
        { status: 200, body: { updated: 1, assignment_ids: [7], tag_ids: [1], action: 'add', notified: 0 } },
      );
      const client = testClient(server.url, { credentials: { token: 'tok-t', tenant: 'Token acme' } });
      await client.getAssignment(7);
      await client.setTags({ assignmentIds: [7], tagIds: [1], mode: 'add', notify: false });
      expect(server.requests).toHaveLength(2);
      for (const request of server.requests) {
        expect(request.headers['authorization']).toBe('Token tok-t');
        expect(request.headers['synapse-tenant']).toBe('Token acme');
      }
    });

    it('two clients never mix their tokens', async () => {
      server.reset({ status: 200, body: ASSIGNMENT });
      const alice = testClient(server.url, { credentials: { token: 'alice' } });
      const bob = testClient(server.url, { credentials: { token: 'bob', tenant: 'Token b' } });
      await Promise.all([alice.getAssignment(1), bob.getAssignment(2), alice.getAssignment(3), bob.getAssignment(4)]);
      const byPath = Object.fromEntries(
        server.requests.map((r) => [r.url, [r.headers['authorization'], r.headers['synapse-tenant'] ?? null]]),
      );
      expect(byPath).toEqual({
        '/assignments/1/': ['Token alice', null],
        '/assignments/2/': ['Token bob', 'Token b'],
        '/assignments/3/': ['Token alice', null],
        '/assignments/4/': ['Token bob', 'Token b'],
      });
    });

    it('does not follow a redirect, so the token never reaches the other server', async () => {
      server.reset({ status: 302, body: '', headers: { Location: `${other.url}assignments/7/` } });
      other.reset({ status: 200, body: ASSIGNMENT });
      const client = testClient(server.url, { credentials: { token: 'secret-token' } });
      const error = await upstreamErrorOf(client.getAssignment(7));
      expect(error.status).toBe(302);
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(server.requests).toHaveLength(1);
      expect(other.requests).toHaveLength(0);
    });

    it('does not follow a 307 on a POST either', async () => {
      server.reset({ status: 307, body: '', headers: { Location: `${other.url}assignments/set_tags/` } });
      const client = testClient(server.url, { credentials: { token: 'secret-token' } });
      await upstreamErrorOf(client.setTags({ assignmentIds: [1], tagIds: [1], mode: 'add', notify: false }));
      expect(server.requests).toHaveLength(1);
      expect(other.requests).toHaveLength(0);
    });
  });

  describe('pages shorter than their page size', () => {
    const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ ...ASSIGNMENT, id: from + i }));
    const page = (count: number, results: unknown[]) => ({ status: 200, body: { count, next: null, previous: null, results } });
    const drain = async (client: ReturnType<typeof testClient>) => {
      const seen: number[] = [];
      for await (const streamed of client.streamAssignments({}, { pageSize: 1000 })) seen.push(...streamed.results.map((r) => r.id));
      return seen;
    };

    it('a first page shorter than asked while more rows exist sets the page size of the rest', async () => {
      server.script(page(250, rows(1, 100)), page(250, rows(101, 100)), page(250, rows(201, 50)));
      const seen = await drain(testClient(server.url));
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
      expect(server.requests.map((r) => new URL(r.url, server.url).searchParams.get('page_size'))).toEqual(['1000', '100', '100']);
    });

    it('a later page short of its size before the end fails the stream instead of losing rows', async () => {
      server.script(page(250, rows(1, 100)), page(250, rows(101, 60)), page(250, rows(201, 50)));
      const error = await upstreamErrorOf(drain(testClient(server.url, { config: { concurrency: 1 } })));
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(error.message).toContain('inconsistent upstream page');
    });

    it('an empty first page while the count says there are rows fails the stream', async () => {
      server.script(page(10, []));
      const error = await upstreamErrorOf(drain(testClient(server.url)));
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('request shapes', () => {
    it('setTags add/replace send the seed body with replace and notify; remove sends {ids, tags, action}', async () => {
      const result = { updated: 2, assignment_ids: [1, 2], tag_ids: [3], action: 'add', notified: 0 };
      server.reset({ status: 200, body: result });
      const client = testClient(server.url);
      await client.setTags({ assignmentIds: [1, 2], tagIds: [3], mode: 'add', notify: false });
      await client.setTags({ assignmentIds: [1, 2], tagIds: [3], mode: 'replace', notify: true });
      await client.setTags({ assignmentIds: [1, 2], tagIds: [3], mode: 'remove', notify: false });
      expect(server.requests.map((r) => [r.method, r.url, JSON.parse(r.body), r.headers['content-type']])).toEqual([
        ['POST', '/assignments/set_tags/?replace=false&notify=false', { assignment_ids: [1, 2], tag_ids: [3] }, 'application/json'],
        ['POST', '/assignments/set_tags/?replace=true&notify=true', { assignment_ids: [1, 2], tag_ids: [3] }, 'application/json'],
        ['POST', '/assignments/set_tags/?notify=false', { ids: [1, 2], tags: [3], action: 'remove' }, 'application/json'],
      ]);
      expect(client.stats.writes).toBe(3);
    });

    it('listAssignments serializes filters, ordering and paging', async () => {
      server.reset({ status: 200, body: { count: 0, next: null, previous: null, results: [] } });
      await testClient(server.url).listAssignments(
        { project: 2, status: 'completed', ids: [3, 4, 5], search: 'a b&c' },
        { page: 3, pageSize: 25, ordering: '-created_at' },
      );
      const url = new URL(server.requests[0]!.url, server.url);
      expect(url.pathname).toBe('/sdk/assignments/');
      expect(Object.fromEntries(url.searchParams)).toEqual({
        project: '2',
        status: 'completed',
        ids: '3,4,5',
        search: 'a b&c',
        ordering: '-created_at',
        page: '3',
        page_size: '25',
      });
    });
  });
});
