import fc from 'fast-check';
import { expect } from 'vitest';
import { buildSchema } from '../../src/graphql/schema.ts';
import type { Gateway } from '../../src/gateway.ts';
import { TOKENS } from '../helpers/stack.ts';
import { DocumentGenerator } from './fuzz-documents.ts';
import { GRAPHQL_URL, leaksIn, read, type RawResponse } from './helpers.ts';

export interface FuzzCounts {
  documents: number;
  randomBodies: number;
  byStatus: Record<number, number>;
  serverErrors: number;
  leaks: number;
  unexpectedErrors: number;
}

/** A gateway to fuzz; `hidden` when its introspection is off, so no suggestion may show. */
export interface FuzzTarget {
  gateway: Gateway;
  hidden: boolean;
}

/**
 * Sends `runs` generated documents and `runs / 2` random bodies, alternating between
 * the targets. Property: a JSON GraphQL response with status 200, 400 or 413, a
 * request id on the body and every error, no stack, token or upstream address, no
 * masked internal error, and no suggestion where introspection is off.
 */
export async function runFuzz(targets: readonly FuzzTarget[], upstreamUrl: string, runs: number, seed: number): Promise<FuzzCounts> {
  const schema = buildSchema();
  const counts: FuzzCounts = { documents: 0, randomBodies: 0, byStatus: {}, serverErrors: 0, leaks: 0, unexpectedErrors: 0 };

  const check = (response: RawResponse, sent: string, target: FuzzTarget) => {
    counts.byStatus[response.status] = (counts.byStatus[response.status] ?? 0) + 1;
    if (response.status >= 500) counts.serverErrors++;
    // Absolute file URLs Synapse itself wrote (DRF's build_absolute_uri: its own origin) are
    // data the client must load, passed through as the SDK's url_conversion does; any other
    // appearance of the backend's address is a leak.
    const media = new RegExp(`"${upstreamUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}media/[^"]*"`, 'g');
    const leaks = leaksIn(response.text.replace(media, '"<media url>"'), [upstreamUrl]);
    if (target.hidden && response.text.includes('Did you mean')) leaks.push('suggestion');
    if (leaks.length > 0) counts.leaks++;
    const unexpected = (response.body?.errors ?? []).filter((e: { extensions?: { code?: string } }) => e.extensions?.code === 'INTERNAL_SERVER_ERROR');
    if (unexpected.length > 0) counts.unexpectedErrors++;
    const context = `${sent.slice(0, 600)}\n→ ${response.status} ${response.text.slice(0, 600)}`;
    expect([200, 400, 413], context).toContain(response.status);
    expect(leaks, context).toEqual([]);
    expect(unexpected, context).toEqual([]);
    expect(response.body, context).toBeTypeOf('object');
    expect(Array.isArray(response.body), context).toBe(false);
    expect('data' in response.body || 'errors' in response.body, context).toBe(true);
    const requestId = response.headers.get('x-request-id');
    expect(response.body.extensions?.requestId, context).toBe(requestId);
    for (const error of response.body.errors ?? []) {
      expect(typeof error.message, context).toBe('string');
      expect(error.extensions?.requestId, context).toBe(requestId);
    }
  };

  let sent = 0;
  const send = async (body: string | Uint8Array, contentType = 'application/json') => {
    const target = targets[sent++ % targets.length]!;
    const response = await read(
      await target.gateway.fetch(GRAPHQL_URL, {
        method: 'POST',
        headers: { 'content-type': contentType, accept: 'application/graphql-response+json', authorization: `Token ${TOKENS.admin}` },
        body,
      }),
    );
    return { response, target };
  };

  await fc.assert(
    fc.asyncProperty(fc.gen(), async (g) => {
      const request = new DocumentGenerator(schema, g).request();
      const body = JSON.stringify(request);
      counts.documents++;
      const { response, target } = await send(body);
      check(response, body, target);
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );

  const randomBody = fc.oneof(
    { weight: 16, arbitrary: fc.uint8Array({ maxLength: 512 }) },
    { weight: 12, arbitrary: fc.string({ maxLength: 300 }).map((query) => JSON.stringify({ query })) },
    { weight: 8, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    {
      weight: 8,
      arbitrary: fc
        .record({ query: fc.jsonValue({ maxDepth: 1 }), variables: fc.jsonValue({ maxDepth: 2 }), operationName: fc.jsonValue({ maxDepth: 1 }), extensions: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] })
        .map((value) => JSON.stringify(value)),
    },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(1_048_577), `{"query":"{ __typename }","variables":{"a":"${'x'.repeat(1_048_576)}"}}`) },
  );
  await fc.assert(
    fc.asyncProperty(randomBody, fc.constantFrom('application/json', 'application/graphql+json', 'application/json; charset=utf-8'), async (body, contentType) => {
      counts.randomBodies++;
      const { response, target } = await send(body, contentType);
      check(response, typeof body === 'string' ? body : `bytes ${Buffer.from(body).toString('hex')}`, target);
    }),
    { numRuns: Math.ceil(runs / 2), seed: seed + 1, endOnFailure: true },
  );
  return counts;
}
