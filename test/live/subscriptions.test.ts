import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DevBackend } from '../../src/dev-backend/server.ts';
import { subscribeSse, subscribeWs, wsClient, type Subscription } from '../helpers/live-clients.ts';
import { restSetTags } from '../helpers/rest.ts';
import { serve } from '../helpers/serve.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';

// Seed layout: assignment i is in project ((i - 1) % 4) + 1; every project has the same 13
// tags in id blocks of 13 (project 1: 1..13, project 3: 27..39); the 7th is "escalated".
const ESCALATED = { 1: 7, 2: 20, 3: 33 } as const;

const TAG = /* GraphQL */ `
  mutation Tag($ids: [ID!]!) {
    setAssignmentTags(input: { assignmentIds: $ids, tagNames: ["escalated"], mode: ADD }) { writeCalls userErrors { message } }
  }
`;

/** The reads that start a group (one per caller and filter on a replica): its token check and starting point. */
const startReads = (backend: DevBackend) =>
  backend.requests.filter((r) => r.path === '/sdk/assignments/' && r.query['ordering'] === '-updated_at' && r.query['page_size'] === '1');

const polls = (backend: DevBackend) => backend.requests.filter((r) => r.path === '/sdk/assignments/' && r.query['ordering'] === 'updated_at');

/** Polls /metrics until a gauge satisfies `predicate`. */
async function waitUntilMetric(graphqlUrl: string, name: string, predicate: (value: number) => boolean): Promise<void> {
  const url = graphqlUrl.replace(/\/graphql$/, '/metrics');
  for (let attempt = 0; attempt < 250; attempt++) {
    const text = await (await fetch(url)).text();
    const value = Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    if (predicate(value)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${name} never reached the expected value`);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('assignmentUpdated: writes through the gateway arrive at once (no interval poll can happen in these tests)', () => {
  let stack: Stack;
  let server: Awaited<ReturnType<typeof serve>>;
  const open: Subscription[] = [];

  beforeAll(async () => {
    stack = await startStack({ assignments: 80, env: { SUBSCRIPTION_POLL_MS: '600000', RESPONSE_CACHE_TTL_MS: '0' } });
    server = await serve(stack.gateway);
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await server.close();
    await stack.close();
  });

  it('over SSE (graphql-sse): the matching assignment with its new tags, nothing of another project', async () => {
    const before = startReads(stack.backend).length;
    const alice = subscribeSse(server.url, TOKENS.alice, { project: '1' });
    open.push(alice);
    await waitFor(() => startReads(stack.backend).length > before, 'the subscription to start');
    const write = await stack.gql(TAG, { ids: ['1', '2'] });
    expect(write.body.data!.setAssignmentTags).toEqual({ writeCalls: 2, userErrors: [] });
    await alice.until((events) => events.length >= 1, 5_000, 'assignment 1');
    expect(alice.events[0]!.data!['assignmentUpdated']).toMatchObject({ id: '1', projectId: '1' });
    expect(alice.events[0]!.data!['assignmentUpdated'].tags.map((t: { name: string }) => t.name)).toContain('escalated');
    // The write-triggered read was made with alice's token, filtered to her project upstream.
    const read = polls(stack.backend).at(-1)!;
    expect(read).toMatchObject({ token: TOKENS.alice, query: { project: '1' } });
    await stack.gql(TAG, { ids: ['6'] });
    await alice.until((events) => events.length >= 1, 200);
    expect(alice.ids()).toEqual(['1']);
  });

  it('over WebSocket (graphql-ws, token in the connection init payload)', async () => {
    const client = wsClient(server.wsUrl, TOKENS.alice);
    const before = startReads(stack.backend).length;
    const watch = subscribeWs(client, { project: '1', status: 'PENDING' });
    open.push(watch);
    await waitFor(() => startReads(stack.backend).length > before, 'the subscription to start');
    // 5 is a pending assignment of project 1; 9 is in progress, outside the filter.
    await stack.gql(TAG, { ids: ['9', '5'] });
    await watch.until((events) => events.length >= 1, 5_000, 'assignment 5');
    expect(watch.ids()).toEqual(['5']);
    await watch.close();
    await client.dispose();
  });

  it('refuses anonymous subscribers, over both transports, before any upstream call', async () => {
    const count = stack.backend.requests.length;
    // SSE: an HTTP 401 with the challenge, as for any anonymous operation.
    const sse = subscribeSse(server.url, null);
    await sse.until(() => sse.done, 5_000, 'the refusal');
    expect(String(sse.failure)).toMatch(/401/);
    const raw = await fetch(server.url, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'subscription { assignmentUpdated { id } }' }),
    });
    expect(raw.status).toBe(401);
    expect(await raw.text()).toContain('UNAUTHENTICATED');
    // WebSocket: an error result with the code, and none of yoga's internal HTTP details.
    const client = wsClient(server.wsUrl, null);
    const ws = subscribeWs(client);
    await ws.until(() => ws.done, 5_000, 'the refusal');
    await client.dispose();
    expect(ws.events).toHaveLength(1);
    expect(ws.events[0]!.errors![0]!.extensions).toEqual({ code: 'UNAUTHENTICATED', retryable: false });
    expect(stack.backend.requests.length).toBe(count);
  });
});

describe('assignmentUpdated: changes made elsewhere, isolation, credentials and limits', () => {
  let stack: Stack;
  let server: Awaited<ReturnType<typeof serve>>;
  const open: Subscription[] = [];

  beforeAll(async () => {
    stack = await startStack({
      assignments: 80,
      env: { SUBSCRIPTION_POLL_MS: '150', MAX_SUBSCRIPTIONS_PER_TOKEN: '2', RESPONSE_CACHE_TTL_MS: '0' },
    });
    server = await serve(stack.gateway, { keepAliveMs: 100 });
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await server.close();
    await stack.close();
  });

  it('finds a change written straight to the backend within a poll interval, each change once', async () => {
    const viewer = subscribeSse(server.url, TOKENS.viewer, { project: '1' });
    open.push(viewer);
    await waitFor(() => polls(stack.backend).some((r) => r.token === TOKENS.viewer), 'the first poll');
    await restSetTags(stack.backend.url, [13, 17], [ESCALATED[1]]);
    await viewer.until((events) => events.length >= 2, 5_000, 'assignments 13 and 17');
    const pollsAfter = polls(stack.backend).filter((r) => r.token === TOKENS.viewer).length;
    await waitFor(() => polls(stack.backend).filter((r) => r.token === TOKENS.viewer).length >= pollsAfter + 3, 'three more polls');
    // Later polls read the same rows again (updated_after is inclusive); nothing is sent twice.
    expect(viewer.ids().sort()).toEqual(['13', '17']);
    await viewer.close();
  });

  it('never crosses callers: bob (project 3 only) hears of project 3 and never of project 1 (changes are re-read with his own token)', async () => {
    const bob = subscribeSse(server.url, TOKENS.bob);
    open.push(bob);
    await waitFor(() => polls(stack.backend).some((r) => r.token === TOKENS.bob), 'bob\'s first poll');
    await stack.gql(TAG, { ids: ['21'] }); // project 1
    await restSetTags(stack.backend.url, [23], [ESCALATED[3]]); // project 3
    await bob.until((events) => events.length >= 1, 5_000, 'assignment 23');
    const bobPolls = polls(stack.backend).filter((r) => r.token === TOKENS.bob).length;
    await waitFor(() => polls(stack.backend).filter((r) => r.token === TOKENS.bob).length >= bobPolls + 2, 'two more polls');
    expect(bob.ids()).toEqual(['23']);
    await bob.close();
  });

  it('ends the stream with UNAUTHENTICATED once the token stops working', async () => {
    const token = TOKENS.bob;
    const bob = subscribeSse(server.url, token, { project: '3' });
    open.push(bob);
    await waitFor(() => polls(stack.backend).some((r) => r.token === token && r.query['project'] === '3'), 'the first poll');
    stack.backend.store.revokeToken(token);
    await bob.until(() => bob.done, 5_000, 'the stream to end');
    expect(bob.events.at(-1)!.errors![0]!.extensions!['code']).toBe('UNAUTHENTICATED');
    expect(bob.failure).toBeUndefined();
  });

  it('holds at most MAX_SUBSCRIPTIONS_PER_TOKEN streams per token; a closed one frees its place', async () => {
    const first = subscribeSse(server.url, TOKENS.alice, { project: '1' });
    const second = subscribeSse(server.url, TOKENS.alice, { project: '2' });
    open.push(first, second);
    await waitFor(() => stack.gateway !== undefined && polls(stack.backend).filter((r) => r.token === TOKENS.alice).length >= 2, 'both to poll');
    const third = subscribeSse(server.url, TOKENS.alice, { project: '1', status: 'PENDING' });
    await third.until(() => third.done, 5_000, 'the refusal');
    expect(third.events[0]!.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 2 });
    await second.close();
    // The server notices the closed stream asynchronously; its gauge says when the place is free.
    await waitUntilMetric(server.url, 'synapse_live_subscriptions', (value) => value === 1);
    const before = startReads(stack.backend).length;
    const fourth = subscribeSse(server.url, TOKENS.alice, { project: '2' });
    open.push(fourth);
    // Changes count from the subscription's first read on.
    await waitFor(() => startReads(stack.backend).length > before, 'the subscription to start');
    await stack.gql(TAG, { ids: ['10'] });
    await fourth.until((events) => events.length >= 1, 5_000, 'assignment 10 on the freed place');
    expect(fourth.ids()).toEqual(['10']);
  });

  it('keeps idle streams alive: SSE comment pings, WebSocket ping frames', async () => {
    const controller = new AbortController();
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Token ${TOKENS.admin}` },
      body: JSON.stringify({ query: 'subscription { assignmentUpdated(filter: { project: 4 }) { id } }' }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let text = '';
    for (let reads = 0; reads < 50 && (text.match(/^:\n\n/gm) ?? []).length < 3; reads++) {
      text += new TextDecoder().decode((await reader.read()).value);
    }
    controller.abort();
    expect((text.match(/^:\n\n/gm) ?? []).length).toBeGreaterThanOrEqual(3);

    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    let pings = 0;
    socket.on('ping', () => pings++);
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Token ${TOKENS.admin}` } }));
    await waitFor(() => pings >= 2, 'two pings');
    socket.close();
  });
});
