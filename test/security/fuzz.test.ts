import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/gateway.ts';
import { SEED_NOW, startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { runFuzz, type FuzzTarget } from './fuzz-run.ts';
import { GRAPHQL_URL, read } from './helpers.ts';

/** Documents per run; `npm run fuzz` sets 10000. Random bodies: half as many. */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 2000);
const SEED = process.env['FUZZ_SEED'] === undefined ? Date.now() % 2 ** 31 : Number(process.env['FUZZ_SEED']);

describe('fuzz: generated documents and random bodies against the production configuration', () => {
  let stack: Stack;
  let targets: FuzzTarget[];

  beforeAll(async () => {
    stack = await startStack({
      assignments: 60,
      env: {
        NODE_ENV: 'production',
        LOG_LEVEL: 'silent',
        RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0',
        // Relative file URLs go to a CDN: the backend's address may appear in no answer but in
        // the absolute file URLs Synapse wrote itself (fuzz-run.ts).
        FILE_URL_PREFIX: 'https://cdn.example.test',
      },
    });
    // Production as shipped (introspection off), and with introspection on so that
    // generated introspection documents run too; both over the same backend.
    const open = { ...stack.config, security: { ...stack.config.security, introspection: true } };
    targets = [
      { gateway: stack.gateway, hidden: true },
      { gateway: createGateway(open, { now: () => SEED_NOW }), hidden: false },
    ];
  });
  afterAll(() => stack.close());

  it(
    `${RUNS} documents and ${Math.ceil(RUNS / 2)} random bodies: well-formed answers, no 5xx, no leak, and the gateway stays up`,
    async () => {
      const started = performance.now();
      const counts = await runFuzz(targets, stack.backend.url, RUNS, SEED);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(
        `fuzz: ${counts.documents} documents, ${counts.randomBodies} random-byte bodies, 5xx: ${counts.serverErrors}, leaks: ${counts.leaks}` +
          ` (statuses ${JSON.stringify(counts.byStatus)}, unexpected errors: ${counts.unexpectedErrors}, seed ${SEED}, ${seconds} s)`,
      );
      expect(counts.documents).toBe(RUNS);
      expect(counts.serverErrors).toBe(0);
      expect(counts.leaks).toBe(0);
      for (const { gateway } of targets) {
        const alive = await read(
          await gateway.fetch(GRAPHQL_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }),
        );
        expect(alive.body.data).toEqual({ __typename: 'Query' });
      }
      const upstream = await fetch(`${stack.backend.url}assignments/1/`, { headers: { authorization: `Token ${TOKENS.admin}` } });
      expect(upstream.status).toBe(200);
    },
    60_000 + RUNS * 40,
  );
});
