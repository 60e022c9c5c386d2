import { describe, it, expect } from 'vitest';
import {
  UpstreamError,
  codeForStatus,
  errorFromResponse,
  parseFieldErrors,
  unavailableError,
} from '../../src/upstream/errors.ts';

const MARKER = 'SECRET-MARKER-123';

describe('codeForStatus', () => {
  it.each([
    [400, 'BAD_USER_INPUT'],
    [409, 'BAD_USER_INPUT'],
    [422, 'BAD_USER_INPUT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [429, 'UPSTREAM_UNAVAILABLE'],
    [500, 'UPSTREAM_UNAVAILABLE'],
    [502, 'UPSTREAM_UNAVAILABLE'],
    [503, 'UPSTREAM_UNAVAILABLE'],
    [504, 'UPSTREAM_UNAVAILABLE'],
    [302, 'UPSTREAM_UNAVAILABLE'],
  ] as const)('maps %i to %s', (status, code) => {
    expect(codeForStatus(status)).toBe(code);
  });
});

describe('errorFromResponse', () => {
  it('keeps the body for logs but never puts it in the message', () => {
    for (const status of [400, 401, 403, 404, 429, 500, 502, 503, 504]) {
      const body = JSON.stringify({ detail: `${MARKER} internal path /srv/app/views.py` });
      const error = errorFromResponse(status, body, null);
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error.status).toBe(status);
      expect(error.message).not.toContain(MARKER);
      expect(error.message).not.toContain('/srv/app');
      expect(error.upstreamBody).toBe(body);
    }
  });

  it('is retryable exactly for UPSTREAM_UNAVAILABLE codes', () => {
    const expected: Record<number, boolean> = {
      400: false,
      401: false,
      403: false,
      404: false,
      429: true,
      500: true,
      502: true,
      503: true,
      504: true,
    };
    for (const [status, retryable] of Object.entries(expected)) {
      expect({ status, retryable: errorFromResponse(Number(status), '', null).retryable }).toEqual({ status, retryable });
    }
  });

  it('reads DRF field errors from a 400 body', () => {
    const error = errorFromResponse(400, JSON.stringify({ status: ['bad'], priority: ['not an int', 'too big'] }), null);
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.fieldErrors).toEqual([
      { field: 'status', message: 'bad' },
      { field: 'priority', message: 'not an int' },
      { field: 'priority', message: 'too big' },
    ]);
  });

  it('reads the newer {error: {details}} body, ignoring meta', () => {
    const body = JSON.stringify({
      error: {
        code: 'invalid',
        message: 'Invalid filter',
        details: [
          { field: 'status', message: 'bad' },
          { field: 'created_after', message: 'not a date' },
        ],
      },
      meta: { request_id: MARKER },
    });
    const error = errorFromResponse(400, body, null);
    expect(error.fieldErrors).toEqual([
      { field: 'status', message: 'bad' },
      { field: 'created_after', message: 'not a date' },
    ]);
    expect(error.message).not.toContain(MARKER);
    expect(error.upstreamBody).toContain(MARKER);
  });

  it('does not read field errors out of non-400 bodies', () => {
    expect(errorFromResponse(403, JSON.stringify({ detail: 'nope' }), null).fieldErrors).toEqual([]);
    expect(errorFromResponse(500, JSON.stringify({ status: ['bad'] }), null).fieldErrors).toEqual([]);
  });

  it('parses Retry-After in seconds and as an HTTP date', () => {
    expect(errorFromResponse(429, '', '1').retryAfterSeconds).toBe(1);
    expect(errorFromResponse(429, '', '0').retryAfterSeconds).toBe(0);
    expect(errorFromResponse(429, '', null).retryAfterSeconds).toBeUndefined();
    expect(errorFromResponse(429, '', 'soon').retryAfterSeconds).toBeUndefined();
    // A negative value must never make us wait (V8 even parses '-5' as a date in 2001).
    expect(errorFromResponse(429, '', '-5').retryAfterSeconds ?? 0).toBe(0);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    const seconds = errorFromResponse(503, '', inTenSeconds).retryAfterSeconds;
    expect(seconds).toBeGreaterThan(8);
    expect(seconds).toBeLessThanOrEqual(10);
    const past = new Date(Date.now() - 60_000).toUTCString();
    expect(errorFromResponse(503, '', past).retryAfterSeconds).toBe(0);
  });
});

describe('parseFieldErrors', () => {
  it('maps DRF detail and non-string values', () => {
    expect(parseFieldErrors(JSON.stringify({ detail: 'Bad request' }))).toEqual([
      { field: 'non_field_errors', message: 'Bad request' },
    ]);
    expect(parseFieldErrors(JSON.stringify({ page: 3, tags: [1, 'unknown tag'] }))).toEqual([
      { field: 'tags', message: 'unknown tag' },
    ]);
  });

  it('falls back to the newer error message when there are no details', () => {
    expect(parseFieldErrors(JSON.stringify({ error: { code: 'x', message: 'Broken' } }))).toEqual([
      { field: 'non_field_errors', message: 'Broken' },
    ]);
    expect(parseFieldErrors(JSON.stringify({ error: { code: 'x', details: [{ message: 'no field' }] } }))).toEqual([
      { field: 'non_field_errors', message: 'no field' },
    ]);
  });

  it('returns nothing for bodies that are not JSON objects', () => {
    for (const body of ['', 'not json', `<html>${MARKER}</html>`, '[1,2]', 'null', '"text"', '42']) {
      expect({ body, errors: parseFieldErrors(body) }).toEqual({ body, errors: [] });
    }
  });
});

describe('unavailableError', () => {
  it('has no status, is retryable and keeps its cause', () => {
    const cause = new Error('ECONNRESET');
    const error = unavailableError('connection failed', cause);
    expect(error.status).toBeNull();
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('connection failed');
  });
});
