import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryCacheStore } from '../../src/cache/stores.ts';
import { keepAliveFetch, type FetchFn } from '../../src/upstream/transport.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const ONE = /* GraphQL */ `
  query One($id: ID!) { assignment(id: $id) { id tags { name } } }
`;
const LIST = /* GraphQL */ `
  query List($project: ID!) { assignments(filter: { project: $project, status: PENDING }, first: 5) { totalCount nodes { id tags { name } } } }
`;
const ANALYTICS = /* GraphQL */ `
  query Numbers($project: ID!) { assignmentAnalytics(filter: { project: $project }, days: 90) { totalAssignments } }
`;
const TAG = /* GraphQL */ `
  mutation Tag($ids: [ID!]!, $tag: String!) {
    setAssignmentTags(input: { assignmentIds: $ids, tagNames: [$tag], mode: ADD }) { writeCalls assignments { id } userErrors { message } }
  }
`;

const tagNames = (node: { tags: { name: string }[] }) => node.tags.map((t) => t.name);

describe('per-caller response cache (one process, in memory)', () => {
  let stack: Stack;
  /** The answer to the next upstream call whose URL contains `marker` is held until released: a query caught mid-flight. */
  let gate: { marker: string; reached: () => void; wait: Promise<void> } | undefined;
  const holdNext = (marker: string) => {
    let release!: () => void;
    let reached!: () => void;
    const wait = new Promise<void>((resolve) => (release = resolve));
    const arrived = new Promise<void>((resolve) => (reached = resolve));
    gate = { marker, reached, wait };
    return { arrived, release };
  };
  const fetch: FetchFn = async (url, init) => {
    const held = gate;
    const response = await keepAliveFetch(url, init);
    if (!held || !url.includes(held.marker)) return response;
    gate = undefined;
    // Read now (before the write), delivered later (after it).
    const text = await response.text();
    held.reached();
    await held.wait;
    return { status: response.status, headers: response.headers, text: async () => text };
  };

  beforeAll(async () => {
    stack = await startStack({ assignments: 200, deps: { fetch } });
  });
  afterAll(() => stack.close());

  it('answers a repeated query from the cache: HIT, no upstream call, the same data', async () => {
    const first = await stack.gql(LIST, { project: '2' });
    expect(first.body.extensions).toMatchObject({ cache: 'MISS' });
    expect(first.body.extensions!['upstream'].requests).toBeGreaterThan(0);
    const calls = stack.backend.requests.length;
    const second = await stack.gql(LIST, { project: '2' });
    expect(second.body.extensions).toMatchObject({ cache: 'HIT', upstream: { requests: 0, writes: 0 } });
    expect(second.body.data).toEqual(first.body.data);
    expect(stack.backend.requests.length).toBe(calls);
    // Each answer keeps its own request id.
    expect(second.body.extensions!['requestId']).not.toBe(first.body.extensions!['requestId']);
  });

  it('never answers one caller with another caller\'s entry', async () => {
    await stack.gql(ONE, { id: '2' }, { token: TOKENS.admin });
    await stack.gql(ONE, { id: '2' }, { token: TOKENS.admin });
    const alice = await stack.gql(ONE, { id: '2' }, { token: TOKENS.alice });
    expect(alice.body.extensions).toMatchObject({ cache: 'MISS' });
    expect(stack.backend.requests.at(-1)!.token).toBe(TOKENS.alice);
    // Same token, another tenant: another caller.
    const tenant = await stack.gql(ONE, { id: '2' }, { token: TOKENS.admin, headers: { 'synapse-tenant': 'Token other' } });
    expect(tenant.body.extensions).toMatchObject({ cache: 'MISS' });
  });

  it('a write through the gateway drops every entry showing a touched assignment and every list or aggregate of its project, nothing else', async () => {
    for (const [query, variables] of [
      [ONE, { id: '1' }],
      [LIST, { project: '1' }],
      [ANALYTICS, { project: '1' }],
      [LIST, { project: '3' }],
      [ANALYTICS, { project: '3' }],
    ] as const) {
      await stack.gql(query, variables);
      expect((await stack.gql(query, variables)).body.extensions!['cache']).toBe('HIT');
    }
    const write = await stack.gql(TAG, { ids: ['1'], tag: 'archived' });
    expect(write.body.data!.setAssignmentTags.writeCalls).toBe(1);
    expect(write.body.extensions!['cache']).toBeUndefined();

    const one = await stack.gql(ONE, { id: '1' });
    expect(one.body.extensions!['cache']).toBe('MISS');
    expect(tagNames(one.body.data!.assignment)).toContain('archived');
    expect((await stack.gql(LIST, { project: '1' })).body.extensions!['cache']).toBe('MISS');
    expect((await stack.gql(ANALYTICS, { project: '1' })).body.extensions!['cache']).toBe('MISS');
    expect((await stack.gql(LIST, { project: '3' })).body.extensions!['cache']).toBe('HIT');
    expect((await stack.gql(ANALYTICS, { project: '3' })).body.extensions!['cache']).toBe('HIT');
  });

  it('caches the dashboard (series, percentiles, backlog) like any aggregate: a write in its project drops it', async () => {
    const DASHBOARD = /* GraphQL */ `
      query Dashboard($project: ID!) {
        assignmentAnalytics(filter: { project: $project }, days: 60, asOf: "2026-11-20T12:00:00Z") {
          series(bucket: DAY, timeZone: "Asia/Seoul") { date created completed }
          hoursToComplete { p50 p90 }
          backlog { pending inProgress oldestPendingAgeHours }
        }
      }
    `;
    await stack.gql(DASHBOARD, { project: '3' });
    const hit = await stack.gql(DASHBOARD, { project: '3' });
    expect(hit.body.extensions).toMatchObject({ cache: 'HIT', upstream: { requests: 0 } });
    await stack.gql(TAG, { ids: ['13'], tag: 'urgent' }); // project 1: out of scope
    expect((await stack.gql(DASHBOARD, { project: '3' })).body.extensions!['cache']).toBe('HIT');
    await stack.gql(TAG, { ids: ['3'], tag: 'urgent' }); // project 3
    const after = await stack.gql(DASHBOARD, { project: '3' });
    expect(after.body.extensions).toMatchObject({ cache: 'MISS' });
    expect(after.body.extensions!['upstream'].requests).toBeGreaterThan(0);
  });

  it('never stores a result read before a write that finished after it', async () => {
    const variables = { project: '1' };
    await stack.gql(TAG, { ids: ['5'], tag: 'blurry' }); // drops any entry of project 1
    const held = holdNext('status=pending');
    const slow = stack.gql(LIST, variables);
    await held.arrived;
    // While the list's read is held upstream, assignment 5 (pending, project 1) is tagged.
    const write = await stack.gql(TAG, { ids: ['5'], tag: 'duplicate' });
    expect(write.body.data!.setAssignmentTags.userErrors).toEqual([]);
    held.release();
    const stale = await slow;
    const five = stale.body.data!.assignments.nodes.find((n: { id: string }) => n.id === '5');
    expect(tagNames(five)).not.toContain('duplicate');
    const next = await stack.gql(LIST, variables);
    expect(next.body.extensions!['cache']).toBe('MISS');
    expect(tagNames(next.body.data!.assignments.nodes.find((n: { id: string }) => n.id === '5'))).toContain('duplicate');
  });

  it('a hit still counts against the per-caller limit, and its rateLimit and cost are this request\'s own', async () => {
    const first = await stack.gql(ANALYTICS, { project: '2' }, { token: TOKENS.alice });
    const second = await stack.gql(ANALYTICS, { project: '2' }, { token: TOKENS.alice });
    expect(second.body.extensions).toMatchObject({ cache: 'HIT', cost: first.body.extensions!['cost'] });
    expect(second.body.extensions!['rateLimit'].remaining).toBe(first.body.extensions!['rateLimit'].remaining - 1);
  });

  it('does not cache answers with errors', async () => {
    const missing = await stack.gql(ONE, { id: '999999' });
    expect(missing.body.errors![0]!.extensions!['code']).toBe('NOT_FOUND');
    expect((await stack.gql(ONE, { id: '999999' })).body.extensions!['cache']).toBe('MISS');
  });

  it('serves nothing cached for a caller once the upstream refused its token', async () => {
    const cached = await stack.gql(ONE, { id: '3' }, { token: TOKENS.bob });
    expect(cached.status).toBe(200);
    expect((await stack.gql(ONE, { id: '3' }, { token: TOKENS.bob })).body.extensions!['cache']).toBe('HIT');
    stack.backend.store.revokeToken(TOKENS.bob);
    const refused = await stack.gql(ONE, { id: '7' }, { token: TOKENS.bob });
    expect(refused.body.errors![0]!.extensions!['code']).toBe('UNAUTHENTICATED');
    const after = await stack.gql(ONE, { id: '3' }, { token: TOKENS.bob });
    expect(after.body.extensions!['cache']).toBe('MISS');
    expect(after.body.errors![0]!.extensions!['code']).toBe('UNAUTHENTICATED');
  });
});

describe('RESPONSE_CACHE_TTL_MS=0', () => {
  it('turns the cache off: no cache extension, every query goes upstream', async () => {
    const stack = await startStack({ assignments: 20, env: { RESPONSE_CACHE_TTL_MS: '0' } });
    try {
      const first = await stack.gql(ONE, { id: '1' });
      const second = await stack.gql(ONE, { id: '1' });
      expect(first.body.extensions!['cache']).toBeUndefined();
      expect(second.body.extensions!['upstream'].requests).toBe(1);
    } finally {
      await stack.close();
    }
  });
});

describe('memory cache store', () => {
  const result = (n: number) => ({ data: { n } });

  it('keeps at most maxEntries results, dropping the least recently used with their tags', async () => {
    const store = createMemoryCacheStore({ maxEntries: 2, markerTtlMs: 60_000 });
    for (const key of ['a', 'b']) {
      const miss = await store.get(key);
      await store.set(key, result(1), ['T'], 60_000, (miss as { miss: string }).miss);
    }
    await store.get('a');
    await store.set('c', result(3), ['T'], 60_000, '0');
    expect(await store.get('b')).toEqual({ miss: '0' });
    expect(await store.get('a')).toEqual({ hit: result(1) });
    await store.invalidate(['T']);
    expect(await store.get('a')).toEqual({ miss: '1' });
    expect(await store.get('c')).toEqual({ miss: '1' });
  });

  it('refuses to store a result whose tag was invalidated after its miss', async () => {
    const store = createMemoryCacheStore({ maxEntries: 10, markerTtlMs: 60_000 });
    const miss = (await store.get('k')) as { miss: string };
    await store.invalidate(['Assignment:1']);
    await store.set('k', result(1), ['Assignment:1', 'Scope:all'], 60_000, miss.miss);
    expect(await store.get('k')).toEqual({ miss: '1' });
    await store.set('k', result(2), ['Assignment:1'], 60_000, '1');
    expect(await store.get('k')).toEqual({ hit: result(2) });
  });
});
