import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/gateway.ts';
import { keepAliveFetch, type FetchFn } from '../../src/upstream/transport.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { expectRequestIds, leaksIn, messages, post } from './helpers.ts';

const MARKER = 'SECRET-MARKER-7f3a9c';
const FAKE_STACK = `Error: db down\n    at Object.query (/srv/synapse/app/views.py:42:7)\n    at handler (node:internal/process:1:1)`;

/** Masking must hold in every mode, including yoga's "development" (which shows originalError by default). */
const MODES = ['production', 'development'] as const;

describe('error masking', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ assignments: 30 });
  });
  afterAll(() => stack.close());

  /** A gateway over the same backend whose upstream answers through `fetch`. */
  function gatewayWith(mode: (typeof MODES)[number], deps: Parameters<typeof createGateway>[1]) {
    return createGateway({ ...stack.config, env: mode }, { ...deps });
  }

  for (const mode of MODES) {
    describe(`NODE_ENV=${mode}`, () => {
      it('an upstream 500 whose body holds a secret, the URL and a stack shows none of them', async () => {
        const seen: string[] = [];
        const fetch: FetchFn = async (url, init) => {
          seen.push(url);
          return {
            status: 500,
            headers: new Headers({ 'content-type': 'application/json' }),
            text: async () => JSON.stringify({ detail: `${MARKER} ${url} ${init.headers['Authorization']} ${FAKE_STACK}` }),
          };
        };
        const gateway = gatewayWith(mode, { fetch });
        const response = await post(gateway, { query: '{ assignment(id: 1) { id } list: assignments(first: 2) { totalCount } }' });
        expect(seen.length).toBeGreaterThan(0);
        expect(response.status).toBe(200);
        expect(response.body.errors.length).toBeGreaterThan(0);
        for (const error of response.body.errors) {
          expect(error.message).toBe('The Synapse backend is unavailable; try again later.');
          expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
        }
        expect(leaksIn(response.text, [MARKER, 'views.py', seen[0]!, stack.backend.url])).toEqual([]);
        expectRequestIds(response);
      });

      it('an upstream 400 shows bounded field messages, never the raw body', async () => {
        const fetch: FetchFn = async () => ({
          status: 400,
          headers: new Headers(),
          text: async () => JSON.stringify({ priority: ['x'.repeat(5000)], extra: Array.from({ length: 50 }, (_, i) => `m${i}`) }),
        });
        const response = await post(gatewayWith(mode, { fetch }), { query: '{ assignment(id: 1) { id } }' });
        const error = response.body.errors[0];
        expect(error.extensions.code).toBe('BAD_USER_INPUT');
        expect(error.extensions.fieldErrors.length).toBeLessThanOrEqual(20);
        expect(error.extensions.fieldErrors[0].message.length).toBeLessThanOrEqual(301);
        expect(response.text.length).toBeLessThan(5000);
      });

      it('a connection error whose message names the host and token is masked', async () => {
        const fetch: FetchFn = async (url, init) => {
          throw new Error(`request to ${url} failed with ${init.headers['Authorization']} ${MARKER}`);
        };
        const response = await post(gatewayWith(mode, { fetch, retryPolicy: undefined }), { query: '{ assignment(id: 1) { id } }' });
        expect(response.body.errors[0].extensions.code).toBe('UPSTREAM_UNAVAILABLE');
        expect(leaksIn(response.text, [MARKER, stack.backend.url])).toEqual([]);
      });

      it('a non-JSON 200 from upstream is masked', async () => {
        const fetch: FetchFn = async () => ({ status: 200, headers: new Headers(), text: async () => `<html>${MARKER}</html>` });
        const response = await post(gatewayWith(mode, { fetch }), { query: '{ assignment(id: 1) { id } }' });
        expect(response.body.errors[0].extensions.code).toBe('UPSTREAM_UNAVAILABLE');
        expect(leaksIn(response.text, [MARKER, '<html>'])).toEqual([]);
      });

      it('an error thrown in a resolver becomes "Unexpected error." with its path, and the rest of the data stays', async () => {
        const now = () => {
          throw new TypeError(`clock broken ${MARKER} ${TOKENS.admin} ${FAKE_STACK}`);
        };
        const gateway = gatewayWith(mode, { now, fetch: keepAliveFetch });
        const response = await post(gateway, { query: '{ assignment(id: 1) { id ageHours } }' });
        expect(response.status).toBe(200);
        expect(response.body.data).toEqual({ assignment: null });
        expect(response.body.errors).toHaveLength(1);
        expect(response.body.errors[0]).toMatchObject({
          message: 'Unexpected error.',
          path: ['assignment', 'ageHours'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', retryable: false },
        });
        expect(response.body.errors[0].extensions).not.toHaveProperty('originalError');
        expect(response.body.errors[0].extensions).not.toHaveProperty('unexpected');
        expect(leaksIn(response.text, [MARKER, 'clock broken', 'TypeError'])).toEqual([]);
        expectRequestIds(response);
      });

      it('a failing context factory answers 500 "Unexpected error." and nothing more', async () => {
        const upstream = {
          ...stack.config.upstream,
          get fileUrlPrefix(): string {
            throw new Error(`context ${MARKER} ${TOKENS.admin} ${stack.backend.url} ${FAKE_STACK}`);
          },
        };
        const gateway = createGateway({ ...stack.config, env: mode, upstream });
        const response = await post(gateway, { query: '{ assignment(id: 1) { id } }' });
        expect(response.status).toBe(500);
        expect(response.body.data).toBeUndefined();
        expect(messages(response)).toEqual(['Unexpected error.']);
        expect(response.body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
        expect(leaksIn(response.text, [MARKER, stack.backend.url, 'context '])).toEqual([]);
        expectRequestIds(response);
      });
    });
  }

  it('the caller token never appears in any answer, whatever goes wrong', async () => {
    const queries = [
      '{ assignment(id: 1) { id } }',
      '{ assignment(id: "abc") { id } }',
      '{ assignments(first: 1000) { totalCount } }',
      '{ assignments(after: "not-a-cursor") { totalCount } }',
      '{ nope }',
      '{',
    ];
    for (const query of queries) {
      for (const token of [TOKENS.admin, TOKENS.bob, 'not-a-real-token-123']) {
        const response = await post(stack.gateway, { query }, { token });
        expect(leaksIn(response.text, ['not-a-real-token-123']), query).toEqual([]);
      }
    }
  });
});
