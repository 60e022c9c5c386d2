import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import { demoTokens } from '../../src/dev-backend/users.ts';
import { TOKENS, call } from './helpers.ts';

let backend: DevBackend;

beforeAll(async () => {
  backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 600 } });
});

afterAll(async () => {
  await backend.close();
});

beforeEach(() => backend.resetRequests());

const ENDPOINTS: readonly [method: string, path: string][] = [
  ['GET', 'assignments/1/'],
  ['GET', 'sdk/assignments/'],
  ['POST', 'assignments/set_tags/'],
  ['GET', 'projects/1/tags/'],
  ['GET', '_dev/notifications/'],
];

describe('base URL', () => {
  it('is an http loopback URL ending in a slash', () => {
    expect(backend.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });
});

describe('authentication', () => {
  it.each(ENDPOINTS)('%s %s without credentials is 401 with the DRF detail and a Token challenge', async (method, path) => {
    const reply = await call(backend, path, { method, token: null, body: method === 'POST' ? {} : undefined });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect(reply.headers.get('www-authenticate')).toBe('Token');
  });

  it('rejects an unknown token in the Authorization header', async () => {
    const reply = await call(backend, 'sdk/assignments/', { token: 'nope' });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ detail: 'Invalid token.' });
  });

  it('rejects an unknown token in the Synapse-Access-Token header', async () => {
    const reply = await call(backend, 'sdk/assignments/', {
      token: null,
      headers: { 'Synapse-Access-Token': 'Token nope' },
    });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ detail: 'Invalid token.' });
  });

  it('accepts a valid token in either header, with a case-insensitive keyword', async () => {
    const viaAuthorization = await call(backend, 'assignments/1/', { token: null, headers: { Authorization: 'token dev-admin-token' } });
    const viaSdkHeader = await call(backend, 'assignments/1/', {
      token: null,
      headers: { 'Synapse-Access-Token': `Token ${TOKENS.admin}` },
    });
    expect(viaAuthorization.status).toBe(200);
    expect(viaSdkHeader.status).toBe(200);
    expect(viaSdkHeader.body).toEqual(viaAuthorization.body);
  });

  it('reports malformed token headers like DRF', async () => {
    const empty = await call(backend, 'sdk/assignments/', { token: null, headers: { Authorization: 'Token' } });
    expect(empty.status).toBe(401);
    expect(empty.body).toEqual({ detail: 'Invalid token header. No credentials provided.' });
    const spaced = await call(backend, 'sdk/assignments/', { token: null, headers: { Authorization: 'Token a b' } });
    expect(spaced.status).toBe(401);
    expect(spaced.body).toEqual({ detail: 'Invalid token header. Token string should not contain spaces.' });
  });

  it('treats another auth scheme as no credentials', async () => {
    const reply = await call(backend, 'sdk/assignments/', { token: null, headers: { Authorization: `Bearer ${TOKENS.admin}` } });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('authenticates every demo token', async () => {
    for (const { token } of demoTokens) {
      expect((await call(backend, 'sdk/assignments/?page_size=1', { token })).status).toBe(200);
    }
    expect(demoTokens.map((t) => [t.token, t.role])).toEqual([
      [TOKENS.admin, 'admin'],
      [TOKENS.alice, 'member'],
      [TOKENS.bob, 'member'],
      [TOKENS.viewer, 'viewer'],
    ]);
  });
});

describe('routing', () => {
  it.each(['nothing/', 'assignments/', 'assignments/1', 'assignments/abc/', 'assignments/-1/', 'projects/x/tags/', 'assignments/99999999999999999999/'])(
    'answers 404 Not found. for %s',
    async (path) => {
      const reply = await call(backend, path);
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({ detail: 'Not found.' });
    },
  );

  it('answers 405 naming the method, with an Allow header', async () => {
    const post = await call(backend, 'sdk/assignments/', { method: 'POST', body: {} });
    expect(post.status).toBe(405);
    expect(post.body).toEqual({ detail: 'Method "POST" not allowed.' });
    expect(post.headers.get('allow')).toBe('GET');
    const get = await call(backend, 'assignments/set_tags/');
    expect(get.status).toBe(405);
    expect(get.body).toEqual({ detail: 'Method "GET" not allowed.' });
    expect(get.headers.get('allow')).toBe('POST');
    const del = await call(backend, 'assignments/1/', { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.body).toEqual({ detail: 'Method "DELETE" not allowed.' });
  });

  it('authenticates before answering 405', async () => {
    const reply = await call(backend, 'sdk/assignments/', { method: 'POST', token: null, body: {} });
    expect(reply.status).toBe(401);
  });

  it('answers JSON with a Content-Type on success and on error', async () => {
    for (const path of ['sdk/assignments/?page_size=1', 'nothing/']) {
      const response = await fetch(backend.url + path, { headers: { Authorization: `Token ${TOKENS.admin}` } });
      expect(response.headers.get('content-type')).toBe('application/json');
      await response.json();
    }
  });
});

describe('request bodies', () => {
  it('answers 413 for a body over 1 MB and applies nothing', async () => {
    const before = backend.store.getAssignment(1)!;
    const padding = 'x'.repeat(1024 * 1024);
    const reply = await call(backend, 'assignments/set_tags/', {
      method: 'POST',
      body: { assignment_ids: [1], tag_ids: [6], padding },
    });
    expect(reply.status).toBe(413);
    expect(reply.body).toHaveProperty('detail');
    expect(backend.store.getAssignment(1)).toEqual(before);
  });

  it('accepts a body just under the limit', async () => {
    const padding = 'x'.repeat(1024 * 1024 - 100);
    const reply = await call(backend, 'assignments/set_tags/', {
      method: 'POST',
      body: { assignment_ids: [1], tag_ids: [6], padding },
    });
    expect(reply.status).toBe(200);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const reply = await call(backend, 'assignments/set_tags/', {
      method: 'POST',
      body: 'assignment_ids=1',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(reply.status).toBe(415);
    expect(reply.body).toEqual({ detail: 'Unsupported media type "text/plain" in request.' });
  });
});

describe('request recording', () => {
  it('records method, path, query, token, tenant and trace context, and the status at the end', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await call(backend, 'sdk/assignments/?status=pending&page_size=5&status=completed', {
      headers: { 'Synapse-Tenant': 'Token acme', traceparent },
    });
    await call(backend, 'assignments/1/', { token: null, headers: { 'Synapse-Access-Token': `Token ${TOKENS.viewer}` } });
    await call(backend, 'assignments/1/', { token: null });
    await call(backend, 'assignments/set_tags/', { method: 'POST', token: TOKENS.bob, body: { assignment_ids: [1], tag_ids: [1] } });
    expect(backend.requests).toEqual([
      {
        method: 'GET',
        path: '/sdk/assignments/',
        // The last value wins, as with Django's QueryDict.get.
        query: { status: 'completed', page_size: '5' },
        token: TOKENS.admin,
        tenant: 'Token acme',
        status: 200,
        traceparent,
      },
      { method: 'GET', path: '/assignments/1/', query: {}, token: TOKENS.viewer, tenant: null, status: 200, traceparent: null },
      { method: 'GET', path: '/assignments/1/', query: {}, token: null, tenant: null, status: 401, traceparent: null },
      { method: 'POST', path: '/assignments/set_tags/', query: {}, token: TOKENS.bob, tenant: null, status: 403, traceparent: null },
    ]);
  });

  it('resets the recording in place', async () => {
    const held = backend.requests;
    await call(backend, 'assignments/1/');
    expect(held).toHaveLength(1);
    backend.resetRequests();
    expect(held).toHaveLength(0);
    expect(backend.requests).toBe(held);
  });
});

describe('pagination links', () => {
  it('builds absolute next/previous URLs from the Host header', async () => {
    const body = await new Promise<{ next: string; previous: string }>((resolve, reject) => {
      const url = new URL(`${backend.url}sdk/assignments/?status=completed&page_size=10&page=2`);
      const req = httpRequest(
        url,
        { headers: { Host: 'gateway.example:8080', Authorization: `Token ${TOKENS.admin}` } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve(JSON.parse(text) as { next: string; previous: string }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(body.next).toBe('http://gateway.example:8080/sdk/assignments/?status=completed&page_size=10&page=3');
    expect(body.previous).toBe('http://gateway.example:8080/sdk/assignments/?status=completed&page_size=10&page=1');
  });
});
