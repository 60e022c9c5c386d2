import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import { startRedis, type RedisServer } from '../helpers/redis-server.ts';
import { startReplica, type Replica } from '../helpers/replicas.ts';
import { SEED_NOW } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { apolloManifest, codes, manifestFolder, presetManifest, send, sha256 } from './helpers.ts';

const ONE = 'query One($id: ID!) { assignment(id: $id) { id status tags { name } } }';
const TWO = 'query Two { tags(projectId: 2) { id name } }';
const ARBITRARY = 'query Arbitrary { assignments(first: 2) { nodes { id } } }';
const SECRET = 'the-same-operators-secret-on-every-replica';

type Request = Parameters<typeof send>[1];

describe('two replicas on one Redis, reading the same manifests, answer alike', () => {
  let redis: RedisServer;
  let backend: DevBackend;
  let dir: string;
  let a: Replica;
  let b: Replica;

  /** What a client sees of an answer: status, data, error codes and the cache's word. */
  const seen = async (replica: Replica, request: Request) => {
    const answer = await send(replica.url, request);
    return { status: answer.status, data: answer.body.data, codes: codes(answer), cache: answer.body.extensions?.['cache'] };
  };

  beforeAll(async () => {
    redis = await startRedis();
    backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 80, projects: 4, now: SEED_NOW } });
    dir = manifestFolder({ 'web/2.0.0.json': presetManifest(ONE), 'mobile.json': apolloManifest(ONE, TWO) });
    const env = {
      SYNAPSE_BACKEND_URL: backend.url,
      SYNAPSE_IDS_FILTER: 'true',
      REDIS_URL: redis.url,
      TRUSTED_DOCUMENTS: 'enforce',
      TRUSTED_DOCUMENTS_DIR: dir,
      TRUSTED_DOCUMENTS_BYPASS_TOKEN: SECRET,
      RESPONSE_CACHE_TTL_MS: '60000',
    };
    [a, b] = await Promise.all([startReplica(env, { bundle: true }), startReplica(env, { bundle: true })]);
    const onRedis = async (replica: Replica) => ((await (await fetch(replica.url.replace(/graphql$/, 'ready'))).json()) as { redis: string }).redis === 'ok';
    await waitFor(async () => (await onRedis(a)) && (await onRedis(b)), 10_000, 'both replicas on Redis');
  }, 120_000);
  afterAll(async () => {
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await backend?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('give the same answer to every id form, every refusal and every client scope', async () => {
    const id = sha256(ONE);
    const requests: Request[] = [
      { body: { documentId: `sha256:${id}`, variables: { id: '4' } } },
      { body: { extensions: { persistedQuery: { version: 1, sha256Hash: id } }, variables: { id: '5' } } },
      { get: { documentId: id, variables: JSON.stringify({ id: '6' }) }, headers: { 'graphql-client-name': 'web', 'graphql-client-version': '2.0.0' } },
      { body: { documentId: `sha256:${sha256(TWO)}` }, headers: { 'graphql-client-name': 'web' } },
      { body: { documentId: `sha256:${sha256(TWO)}` }, headers: { 'graphql-client-name': 'mobile' } },
      { body: { query: ARBITRARY } },
      { body: { documentId: `sha256:${sha256(ARBITRARY)}` } },
      { body: { documentId: `sha256:${id}`, query: ARBITRARY } },
      { body: { query: ARBITRARY }, headers: { 'x-trusted-documents-bypass': 'not-the-secret' } },
    ];
    const onA: Awaited<ReturnType<typeof seen>>[] = [];
    const onB: typeof onA = [];
    for (const request of requests) {
      onA.push(await seen(a, request));
      onB.push(await seen(b, request));
    }
    // Caching aside (B may hit what A stored), the same answers.
    const withoutCache = (answers: typeof onA) => answers.map(({ cache: _cache, ...rest }) => rest);
    expect(withoutCache(onB)).toEqual(withoutCache(onA));
    expect(onA.map((answer) => answer.codes)).toEqual([
      [],
      [],
      [],
      ['PERSISTED_QUERY_NOT_FOUND'],
      [],
      ['PERSISTED_QUERY_NOT_IN_LIST'],
      ['PERSISTED_QUERY_NOT_FOUND'],
      ['PERSISTED_QUERY_ID_MISMATCH'],
      ['TRUSTED_DOCUMENTS_BYPASS_REFUSED'],
    ]);
  });

  it("never serves a refused document from the shared cache, though another replica's bypass stored its answer", async () => {
    const bypassed = await seen(a, { body: { query: ARBITRARY }, headers: { 'x-trusted-documents-bypass': SECRET } });
    expect(bypassed).toMatchObject({ status: 200, codes: [], cache: 'MISS' });
    expect(await seen(a, { body: { query: ARBITRARY }, headers: { 'x-trusted-documents-bypass': SECRET } })).toMatchObject({ cache: 'HIT' });
    expect(await seen(b, { body: { query: ARBITRARY } })).toMatchObject({ codes: ['PERSISTED_QUERY_NOT_IN_LIST'], data: undefined });
    // A listed document is one cache entry whichever replica and id form: B answers A's result.
    const byId = await seen(a, { body: { documentId: `sha256:${sha256(ONE)}`, variables: { id: '9' } } });
    const byText = await seen(b, { body: { query: ONE, variables: { id: '9' } } });
    expect([byId.cache, byText.cache]).toEqual(['MISS', 'HIT']);
    expect(byText.data).toEqual(byId.data);
  });
});
