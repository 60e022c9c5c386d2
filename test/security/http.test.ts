import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { GRAPHQL_URL, expectRequestIds, leaksIn, messages, post, read } from './helpers.ts';

const MB = 1_048_576;

/** A JSON body of exactly `size` bytes: `{ __typename }` padded with spaces. */
function bodyOfSize(size: number): string {
  const json = JSON.stringify({ query: '{ __typename }' });
  return json.slice(0, -1) + ' '.repeat(size - json.length) + '}';
}

/** A body streamed in 64 KiB chunks, so no Content-Length is known. */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + 65_536));
      offset += 65_536;
    },
  });
}

describe('HTTP-level protections (production configuration)', () => {
  let stack: Stack;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    stack = await startStack({ assignments: 20, env: { NODE_ENV: 'production', LOG_LEVEL: 'silent' } });
    server = createServer(stack.gateway);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await stack.close();
  });
  beforeEach(() => stack.backend.resetRequests());

  /** A raw HTTP/1.1 exchange over a socket: chunked when no Content-Length is given. */
  function overSocket(body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      // The server may answer and close before the whole body is sent.
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
      for (let i = 0; i < body.length; i += 65_536) req.write(body.slice(i, i + 65_536));
      req.end();
    });
  }

  describe('CSRF prevention: off by default (header-only credentials), on with CSRF_PREVENTION=true', () => {
    /** What urql's default fetch sends for a query: a GET with no custom header. */
    const urqlStyleGet = (target: Stack, query: string) =>
      target.gateway.fetch(`${GRAPHQL_URL}?query=${encodeURIComponent(query)}`, {
        headers: {
          accept: 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed',
          authorization: `Token ${TOKENS.admin}`,
        },
      });

    it('answers a plain GET query (urql default) with no CSRF header', async () => {
      const response = await read(await urqlStyleGet(stack, '{ assignment(id: 1) { id } }'));
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ assignment: { id: '1' } });
    });

    it('still refuses a mutation over GET (405, METHOD_NOT_ALLOWED), without any upstream call', async () => {
      const response = await read(await urqlStyleGet(stack, 'mutation { setAssignmentTags(input: {assignmentIds: ["1"], tagNames: ["urgent"]}) { writeCalls } }'));
      expect(response.status).toBe(405);
      expect(response.body.errors[0].extensions.code).toBe('METHOD_NOT_ALLOWED');
      expect(stack.backend.requests).toHaveLength(0);
    });

    it('CSRF_PREVENTION=true refuses a GET without the header with 403 and CSRF_HEADER_REQUIRED', async () => {
      const guarded = await startStack({ assignments: 5, env: { CSRF_PREVENTION: 'true' } });
      try {
        const response = await read(await urqlStyleGet(guarded, '{ __typename }'));
        expect(response.status).toBe(403);
        expect(response.body.errors[0].extensions.code).toBe('CSRF_HEADER_REQUIRED');
        expect(messages(response)[0]).toContain('x-graphql-yoga-csrf');
        expectRequestIds(response);
        for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
          const form = await post(guarded.gateway, '{"query":"{ __typename }"}', { raw: true, headers: { 'content-type': contentType } });
          expect(form.status, contentType).toBe(403);
          expect(form.body.errors[0].extensions.code, contentType).toBe('CSRF_HEADER_REQUIRED');
        }
        expect((await post(guarded.gateway, { query: '{ __typename }' })).status).toBe(200);
        const withHeader = await guarded.gateway.fetch(`${GRAPHQL_URL}?query=${encodeURIComponent('{ __typename }')}`, {
          headers: { 'x-graphql-yoga-csrf': '1', accept: 'application/graphql-response+json' },
        });
        expect(withHeader.status).toBe(200);
      } finally {
        await guarded.close();
      }
    });
  });

  describe('every HTTP-level refusal is JSON with an extensions.code', () => {
    const json = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
    const cases: [string, number, string, () => Promise<Response> | Response][] = [
      ['a method other than GET and POST', 405, 'METHOD_NOT_ALLOWED', () => stack.gateway.fetch(GRAPHQL_URL, { method: 'PUT', headers: json, body: '{}' })],
      ['a mutation over GET', 405, 'METHOD_NOT_ALLOWED', () => stack.gateway.fetch(`${GRAPHQL_URL}?query=${encodeURIComponent('mutation { __typename }')}`)],
      ['a body over MAX_BODY_BYTES', 413, 'REQUEST_ENTITY_TOO_LARGE', () => stack.gateway.fetch(GRAPHQL_URL, { method: 'POST', headers: json, body: bodyOfSize(MB + 1) })],
      ['a batch while batching is off', 400, 'BATCHING_NOT_SUPPORTED', () => stack.gateway.fetch(GRAPHQL_URL, { method: 'POST', headers: json, body: '[{"query":"{ __typename }"}]' })],
      ['a POST body of a type no parser reads', 415, 'UNSUPPORTED_MEDIA_TYPE', () => stack.gateway.fetch(GRAPHQL_URL, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<query/>' })],
      ['a POST without Content-Type', 415, 'UNSUPPORTED_MEDIA_TYPE', () => stack.gateway.fetch(GRAPHQL_URL, { method: 'POST', body: new TextEncoder().encode('{"query":"{ __typename }"}') })],
      ['an Accept the gateway cannot answer in', 406, 'NOT_ACCEPTABLE', () => stack.gateway.fetch(GRAPHQL_URL, { method: 'POST', headers: { ...json, accept: 'application/xml' }, body: '{"query":"{ __typename }"}' })],
      ['invalid JSON', 400, 'BAD_REQUEST', () => stack.gateway.fetch(GRAPHQL_URL, { method: 'POST', headers: json, body: '{"query":' })],
      ['a missing query', 400, 'BAD_REQUEST', () => stack.gateway.fetch(GRAPHQL_URL, { method: 'POST', headers: json, body: '{}' })],
      ['a document that does not parse', 400, 'GRAPHQL_PARSE_FAILED', () => stack.gateway.fetch(GRAPHQL_URL, { method: 'POST', headers: json, body: '{"query":"{ x"}' })],
      [
        'a variable that does not coerce',
        400,
        'BAD_USER_INPUT',
        () =>
          stack.gateway.fetch(GRAPHQL_URL, {
            method: 'POST',
            headers: { ...json, authorization: `Token ${TOKENS.admin}` },
            body: JSON.stringify({ query: 'query($d: DateTime!) { assignments(filter: {updatedAfter: $d}) { totalCount } }', variables: { d: 'yesterday' } }),
          }),
      ],
    ];

    it.each(cases)('%s: %i %s, with the request id', async (_name, status, code, send) => {
      const response = await read(await send());
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/json/);
      expect(response.body.errors.map((error: { extensions: { code: string } }) => error.extensions.code)).toEqual([code]);
      expectRequestIds(response);
    });

    it('refuses an unacceptable Accept before the operation runs: a mutation writes nothing', async () => {
      const response = await stack.gateway.fetch(GRAPHQL_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/html', authorization: `Token ${TOKENS.admin}` },
        body: JSON.stringify({ query: 'mutation { setAssignmentTags(input: {assignmentIds: ["1"], tagNames: ["urgent"]}) { writeCalls } }' }),
      });
      expect(response.status).toBe(406);
      expect(stack.backend.requests).toHaveLength(0);
    });
  });

  describe('request body limit (1 MB)', () => {
    it('accepts a body of exactly 1 MB', async () => {
      const response = await post(stack.gateway, bodyOfSize(MB), { raw: true, headers: { 'content-length': String(MB) } });
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ __typename: 'Query' });
    });

    it('answers 413 to a Content-Length over 1 MB, before reading the body', async () => {
      const response = await post(stack.gateway, bodyOfSize(MB + 1), { raw: true, headers: { 'content-length': String(MB + 1) } });
      expect(response.status).toBe(413);
      expect(response.body.errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
      expectRequestIds(response);
    });

    it('answers 413 to a chunked body over 1 MB that has no Content-Length', async () => {
      const request = new Request(GRAPHQL_URL, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Token ${TOKENS.admin}` },
        body: chunked(bodyOfSize(MB + 1)),
        duplex: 'half',
      } as RequestInit);
      expect(request.headers.get('content-length')).toBeNull();
      const response = await read(await stack.gateway.fetch(request));
      expect(response.status).toBe(413);
      expectRequestIds(response);
      expect(stack.backend.requests).toHaveLength(0);
    });

    it('answers 400 to a Content-Length that is not one non-negative integer, before reading the body', async () => {
      for (const declared of ['12, 12', '-1', 'ten']) {
        const response = await post(stack.gateway, bodyOfSize(100), { raw: true, headers: { 'content-length': declared } });
        expect({ declared, status: response.status }).toEqual({ declared, status: 400 });
        expect(response.body.errors[0].extensions.code).toBe('BAD_REQUEST');
      }
      expect(stack.backend.requests).toHaveLength(0);
    });

    it('does the same over a real socket, with and without Content-Length', async () => {
      const json = { 'content-type': 'application/json' };
      const exact = await overSocket(bodyOfSize(MB), { ...json, 'content-length': String(MB) });
      expect(exact.status).toBe(200);
      const declared = await overSocket(bodyOfSize(2 * MB), { ...json, 'content-length': String(2 * MB) });
      expect(declared.status).toBe(413);
      const streamed = await overSocket(bodyOfSize(2 * MB), { ...json, 'transfer-encoding': 'chunked' });
      expect(streamed.status).toBe(413);
      expect(JSON.parse(streamed.text).errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
    });

    it('MAX_BODY_BYTES changes it', async () => {
      const small = await startStack({ assignments: 5, env: { MAX_BODY_BYTES: '4096' } });
      try {
        expect((await post(small.gateway, bodyOfSize(4096), { raw: true })).status).toBe(200);
        expect((await post(small.gateway, bodyOfSize(4097), { raw: true })).status).toBe(413);
      } finally {
        await small.close();
      }
    });
  });

  describe('batching', () => {
    it('is off: an array body gets 400, and nothing in it runs', async () => {
      const response = await post(stack.gateway, [{ query: '{ assignment(id: 1) { id } }' }, { query: '{ __typename }' }]);
      expect(response.status).toBe(400);
      expect(messages(response)).toEqual(['Batching is not supported.']);
      expectRequestIds(response);
      expect(stack.backend.requests).toHaveLength(0);
    });

    it('MAX_BATCH caps it when turned on (413 above the cap)', async () => {
      const batching = await startStack({ assignments: 5, env: { MAX_BATCH: '2' } });
      try {
        const two = await post(batching.gateway, [{ query: '{ __typename }' }, { query: '{ assignment(id: 1) { id } }' }]);
        expect(two.status).toBe(200);
        expect(two.body).toHaveLength(2);
        batching.backend.resetRequests();
        const three = await post(batching.gateway, Array.from({ length: 3 }, () => ({ query: '{ assignment(id: 1) { id } }' })));
        expect(three.status).toBe(413);
        expect(messages(three)).toEqual(['Batching is limited to 2 operations per request.']);
        expect(three.body.errors[0].extensions.code).toBe('BATCH_LIMIT_EXCEEDED');
        expect(batching.backend.requests).toHaveLength(0);
      } finally {
        await batching.close();
      }
    });
  });

  describe('mutations over GET', () => {
    it('are refused with 405 and Allow: POST, without any upstream call', async () => {
      const mutation = 'mutation { setAssignmentTags(input: {assignmentIds: ["1"], tagNames: ["urgent"]}) { writeCalls } }';
      const response = await read(
        await stack.gateway.fetch(`${GRAPHQL_URL}?query=${encodeURIComponent(mutation)}`, {
          headers: { 'x-graphql-yoga-csrf': '1', authorization: `Token ${TOKENS.admin}`, accept: 'application/graphql-response+json' },
        }),
      );
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(messages(response)).toEqual(['Can only perform a mutation operation from a POST request.']);
      expect(response.body.errors[0].extensions.code).toBe('METHOD_NOT_ALLOWED');
      expectRequestIds(response);
      expect(stack.backend.requests).toHaveLength(0);
    });
  });

  describe('CORS allow-list', () => {
    const preflight = (target: Stack, origin: string) =>
      target.gateway.fetch(GRAPHQL_URL, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });

    it('in production gives no CORS header to any origin by default, and refuses preflights with a code, not a CSRF 403', async () => {
      for (const origin of ['https://evil.example', 'http://localhost:5173', 'http://127.0.0.1:3000']) {
        const response = await post(stack.gateway, { query: '{ __typename }' }, { headers: { origin } });
        expect(response.status).toBe(200);
        expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
        const refused = await read(await preflight(stack, origin));
        expect(refused.status, origin).toBe(403);
        expect(refused.headers.get('access-control-allow-origin'), origin).toBeNull();
        expect(refused.body.errors[0].extensions.code).toBe('CORS_ORIGIN_NOT_ALLOWED');
        expect(refused.body.errors[0].message).toContain('CORS_ORIGINS');
      }
    });

    it('outside production allows any http://localhost:<port> and http://127.0.0.1:<port> (a Vite server) with no configuration', async () => {
      const dev = await startStack({ assignments: 5, env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' } });
      try {
        for (const origin of ['http://localhost:5173', 'http://127.0.0.1:5173', 'http://localhost:3000', 'http://localhost']) {
          const ok = await preflight(dev, origin);
          expect(ok.status, origin).toBe(204);
          expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
          expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
          // A page traced in the browser sends its trace context along (see operations.md, "Traces").
          expect(ok.headers.get('access-control-allow-headers')?.split(/,\s*/)).toEqual(expect.arrayContaining(['traceparent', 'tracestate']));
          expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
          const actual = await post(dev.gateway, { query: '{ __typename }' }, { headers: { origin } });
          expect(actual.headers.get('access-control-allow-origin')).toBe(origin);
        }
        for (const origin of ['https://localhost:5173', 'http://localhost.evil.example', 'http://192.168.1.5:5173', 'http://[::1]:5173', 'null']) {
          const refused = await read(await preflight(dev, origin));
          expect(refused.status, origin).toBe(403);
          expect(refused.body.errors[0].extensions.code, origin).toBe('CORS_ORIGIN_NOT_ALLOWED');
        }
      } finally {
        await dev.close();
      }
      const off = await startStack({ assignments: 5, env: { NODE_ENV: 'development', LOG_LEVEL: 'silent', CORS_ALLOW_LOCALHOST: 'false' } });
      try {
        expect((await preflight(off, 'http://localhost:5173')).status).toBe(403);
      } finally {
        await off.close();
      }
    });

    it('CORS_ORIGINS allows exactly the listed origins, never "null", never credentials', async () => {
      const listed = await startStack({
        assignments: 5,
        env: { NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example, https://admin.example:8443' },
      });
      try {
        for (const origin of ['https://app.example', 'https://admin.example:8443']) {
          const ok = await preflight(listed, origin);
          expect(ok.status).toBe(204);
          expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
          expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
          // A page traced in the browser sends its trace context along (see operations.md, "Traces").
          expect(ok.headers.get('access-control-allow-headers')?.split(/,\s*/)).toEqual(expect.arrayContaining(['traceparent', 'tracestate']));
          expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
          const actual = await post(listed.gateway, { query: '{ __typename }' }, { headers: { origin } });
          expect(actual.headers.get('access-control-allow-origin')).toBe(origin);
          expect(actual.headers.get('access-control-expose-headers')).toContain('x-request-id');
        }
        for (const origin of ['https://evil.example', 'null', 'https://app.example.evil.example', 'http://app.example', 'http://localhost:5173']) {
          expect((await preflight(listed, origin)).headers.get('access-control-allow-origin'), origin).toBeNull();
          const actual = await post(listed.gateway, { query: '{ __typename }' }, { headers: { origin } });
          expect(actual.headers.get('access-control-allow-origin'), origin).toBeNull();
        }
      } finally {
        await listed.close();
      }
    });
  });

  describe('request ids', () => {
    const cases: [string, () => Response | Promise<Response>][] = [
      ['parse error', () => stack.gateway.fetch(GRAPHQL_URL, jsonInit('{ assignment(id: 1) { id }'))],
      ['validation error', () => stack.gateway.fetch(GRAPHQL_URL, jsonInit('{ nope }'))],
      ['limit refusal', () => stack.gateway.fetch(GRAPHQL_URL, jsonInit(`{ ${Array.from({ length: 16 }, (_, i) => `a${i}: assignment(id: 1) { id }`).join(' ')} }`))],
      ['invalid JSON', () => stack.gateway.fetch(GRAPHQL_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' })],
      ['missing query', () => stack.gateway.fetch(GRAPHQL_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })],
      ['unauthenticated', () => stack.gateway.fetch(GRAPHQL_URL, jsonInit('{ assignment(id: 1) { id } }', null))],
      ['field error', () => stack.gateway.fetch(GRAPHQL_URL, jsonInit('{ assignment(id: 999999) { id } }'))],
      ['success', () => stack.gateway.fetch(GRAPHQL_URL, jsonInit('{ assignment(id: 1) { id } }'))],
    ];

    it.each(cases)('%s: the body and every error carry the x-request-id of the response', async (_name, send) => {
      const response = await read(await send());
      expect(response.body).toBeTypeOf('object');
      expectRequestIds(response);
    });

    it('keeps a sane incoming X-Request-Id and replaces an unsafe one', async () => {
      const sane = await post(stack.gateway, { query: '{ nope }' }, { headers: { 'x-request-id': 'client-chosen-id-42' } });
      expect(sane.headers.get('x-request-id')).toBe('client-chosen-id-42');
      expect(sane.body.errors[0].extensions.requestId).toBe('client-chosen-id-42');
      const unsafe = await post(stack.gateway, { query: '{ nope }' }, { headers: { 'x-request-id': '<script>alert(1)</script>' } });
      expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(unsafe.text).not.toContain('<script>');
    });

    it('the log line of a refused operation carries the same request id, and no token', async () => {
      const chunks: string[] = [];
      const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (chunks.push(String(chunk)), done()) }));
      const logged = await startStack({ assignments: 5, env: { NODE_ENV: 'production' }, deps: { logger } });
      try {
        const refusals = [
          await post(logged.gateway, { query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: __type(name: "Query") { name }`).join(' ')} }` }),
          await post(logged.gateway, { query: '{ assignment(id: 1) { id ' }),
          await post(logged.gateway, { query: '{ assignment(id: 1) { id } }' }, { token: null }),
          // HTTP-level refusals, before any GraphQL params are read: 413, batching 400, media type 415.
          await logged.gateway.fetch(GRAPHQL_URL, jsonInit(`{ __typename } #${'x'.repeat(1_100_000)}`)),
          await logged.gateway.fetch(GRAPHQL_URL, { ...jsonInit('{ __typename }'), body: JSON.stringify([{ query: '{ __typename }' }]) }),
          await logged.gateway.fetch(GRAPHQL_URL, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ __typename }"}' }),
        ];
        expect(refusals.slice(3).map((response) => response.status)).toEqual([413, 400, 415]);
        const lines = chunks.join('').split('\n').filter((line) => line.trim() !== '');
        expect(lines.flatMap((line) => JSON.parse(line).errorCodes ?? []).filter((code: string) => code === 'UNKNOWN')).toEqual([]);
        const unlogged = refusals.filter((response) => !lines.some((line) => JSON.parse(line).requestId === response.headers.get('x-request-id')));
        expect(unlogged.map((response) => response.status)).toEqual([]);
        expect(leaksIn(chunks.join(''))).toEqual([]);
      } finally {
        await logged.close();
      }
    });

    it('every response, even one with no JSON body, carries x-request-id', async () => {
      const notAcceptable = await stack.gateway.fetch(GRAPHQL_URL, { headers: { accept: 'text/html' } });
      expect(notAcceptable.headers.get('x-request-id')).toBeTruthy();
      const unsupported = await stack.gateway.fetch(GRAPHQL_URL, { method: 'PUT', body: 'x' });
      expect(unsupported.headers.get('x-request-id')).toBeTruthy();
    });
  });
});

function jsonInit(query: string, token: string | null = TOKENS.admin): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Token ${token}` } : {}),
    },
    body: JSON.stringify({ query }),
  };
}
