import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { OperationDeadlines } from '../../src/reliability/deadline.ts';
import { keepAliveFetch, type FetchFn } from '../../src/upstream/transport.ts';
import type { WireAssignment } from '../../src/contract/index.ts';
import { startCraftedServer, type CraftedServer } from '../helpers/crafted-server.ts';
import { restAll } from '../helpers/rest.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

describe('OperationDeadlines', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts with a TimeoutError when the budget counted from arrival is spent', () => {
    let now = 1_000;
    const deadlines = new OperationDeadlines(500, () => now);
    const request = new Request('http://x/graphql');
    now = 1_200;
    const { signal, expiresAt } = deadlines.for(request, 1_000);
    expect(expiresAt).toBe(1_500);
    vi.advanceTimersByTime(299);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('aborts when the client goes away, and gives one deadline per request', () => {
    const deadlines = new OperationDeadlines(10_000);
    const client = new AbortController();
    const request = new Request('http://x/graphql', { signal: client.signal });
    const deadline = deadlines.for(request);
    expect(deadlines.for(request)).toBe(deadline);
    client.abort();
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as DOMException).name).toBe('AbortError');
  });

  it('release clears the timer and cancels what is still running', () => {
    const deadlines = new OperationDeadlines(10_000);
    const request = new Request('http://x/graphql');
    const { signal } = deadlines.for(request);
    expect(vi.getTimerCount()).toBe(1);
    deadlines.release(request);
    expect(vi.getTimerCount()).toBe(0);
    expect(signal.aborted).toBe(true);
  });
});

const DETAIL = /* GraphQL */ `
  query Detail($id: ID!) {
    assignment(id: $id) { id status }
  }
`;

describe('deadline of an operation against a hanging upstream', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ assignments: 50, env: { OPERATION_TIMEOUT_MS: '800', SYNAPSE_RETRY_BASE_MS: '1', SYNAPSE_RETRY_MAX_MS: '5' } });
  });
  afterAll(() => stack.close());
  beforeEach(() => {
    stack.backend.setFaults({ hang: false });
    stack.backend.resetRequests();
  });

  it('ends at its deadline with UPSTREAM_UNAVAILABLE at the field path, and leaves no upstream request open', async () => {
    stack.backend.setFaults({ hang: true });
    const started = performance.now();
    const { status, body } = await stack.gql(DETAIL, { id: '1' });
    const elapsed = performance.now() - started;
    expect(status).toBe(200);
    expect(body.data).toEqual({ assignment: null });
    expect(body.errors).toHaveLength(1);
    const [error] = body.errors!;
    expect(error!.path).toEqual(['assignment']);
    expect(error!.message).toMatch(/deadline exceeded/);
    expect(error!.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
    expect(error!.extensions!['requestId']).toBe(body.extensions!['requestId']);
    // Generous bound: the deadline, not the 15 s per-call timeout, ended it.
    expect(elapsed).toBeLessThan(8_000);
    // The hung call was aborted, not retried, and its socket closed.
    expect(stack.upstreamCalls()).toHaveLength(1);
    await waitFor(() => stack.backend.inFlight === 0, 5_000, 'the backend to see the call closed');
  });

  it('a client that goes away aborts its in-flight upstream calls', async () => {
    stack.backend.setFaults({ hang: true });
    const controller = new AbortController();
    const pending = Promise.resolve(
      stack.gateway.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Token dev-admin-token' },
        body: JSON.stringify({ query: DETAIL, variables: { id: '2' } }),
        signal: controller.signal,
      }),
    ).catch((error: unknown) => error);
    await waitFor(() => stack.backend.inFlight === 1, 5_000, 'the upstream call to start');
    controller.abort();
    await pending;
    await waitFor(() => stack.backend.inFlight === 0, 2_000, 'the upstream call to be aborted');
    expect(stack.upstreamCalls()).toHaveLength(1);
  });

  it('after the hang ends, the same gateway answers normally', async () => {
    const { body } = await stack.gql(DETAIL, { id: '3' });
    expect(body.errors).toBeUndefined();
    expect(body.data!['assignment'].id).toBe('3');
  });
});

describe('partial results', () => {
  let stack: Stack;
  let hanging: CraftedServer;
  let withTags: WireAssignment;
  let withoutTags: WireAssignment;

  beforeAll(async () => {
    hanging = await startCraftedServer();
    hanging.reset({ hang: true });
    // Tag lists go to a server that never answers; everything else to the real backend.
    let backendUrl = '';
    const routed: FetchFn = (url, init) =>
      keepAliveFetch(url.includes('/projects/') ? url.replace(backendUrl, hanging.url) : url, init);
    stack = await startStack({ assignments: 50, env: { OPERATION_TIMEOUT_MS: '800' }, deps: { fetch: routed } });
    backendUrl = stack.backend.url;
    const rows = await restAll(stack.backend.url, 'project=1');
    withTags = rows.find((row) => row.tags.length > 0)!;
    withoutTags = rows.find((row) => row.tags.length === 0)!;
    expect(withTags && withoutTags).toBeTruthy();
  });
  afterAll(async () => {
    await hanging.close();
    await stack.close();
  });

  it('a field whose upstream hangs is null with its path; the rest of the response arrives', async () => {
    const { status, body } = await stack.gql(
      /* GraphQL */ `
        query Partial($a: ID!, $b: ID!) {
          ok: assignment(id: $a) { id tags { name } }
          slow: assignment(id: $b) { id tags { name } }
        }
      `,
      { a: String(withoutTags.id), b: String(withTags.id) },
    );
    expect(status).toBe(200);
    expect(body.data!['ok']).toEqual({ id: String(withoutTags.id), tags: [] });
    // `tags` is non-null, so its failure nulls the nearest nullable parent.
    expect(body.data!['slow']).toBeNull();
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.path).toEqual(['slow', 'tags']);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
    expect(typeof body.errors![0]!.extensions!['requestId']).toBe('string');
    await hanging.waitForClientClose(0, 5_000);
  });

  it('a NOT_FOUND next to a good field: null plus a typed, non-retryable error', async () => {
    const { body } = await stack.gql(`{ ok: assignment(id: ${withoutTags.id}) { id } bad: assignment(id: 999999) { id } }`);
    expect(body.data).toEqual({ ok: { id: String(withoutTags.id) }, bad: null });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.path).toEqual(['bad']);
    expect(body.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    expect(body.errors![0]!.extensions!['requestId']).toBe(body.extensions!['requestId']);
  });
});
