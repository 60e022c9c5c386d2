import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { keepAliveFetch, type FetchFn } from '../../src/upstream/transport.ts';
import type { WireAssignment, WirePage } from '../../src/contract/index.ts';
import { metricValue } from '../helpers/metrics.ts';
import { rest, restAll, restTags } from '../helpers/rest.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { getText } from './helpers.ts';

const LIST = /* GraphQL */ `
  query List {
    assignments(first: 50) { totalCount nodes { id status tags { id name } } }
  }
`;
const DETAIL = /* GraphQL */ `
  query Detail($id: ID!) {
    assignment(id: $id) { id status tags { id name } }
  }
`;
const SET_TAGS = /* GraphQL */ `
  mutation SetTags($input: SetAssignmentTagsInput!) {
    setAssignmentTags(input: $input) { writeCalls userErrors { code } }
  }
`;

describe('with DEV_BACKEND_FAIL_RATE=0.3', () => {
  let stack: Stack;
  let rows: WireAssignment[];
  let tagNames: Map<number, string>;

  beforeAll(async () => {
    stack = await startStack({
      assignments: 200,
      env: {
        // Five retries make a call fail only when six draws in a row do (0.3^6 = 0.07 %).
        SYNAPSE_RETRIES: '5',
        SYNAPSE_RETRY_BASE_MS: '1',
        SYNAPSE_RETRY_MAX_MS: '10',
        // A 30 % failure rate needs ~0.43 retries per call. This run sends its queries back
        // to back on the real clock, faster than the default budget's floor (10 a second)
        // plus 20 % covers, so it allows half a retry per call (the quiet-gateway case with
        // the defaults is test/reliability/retry-budget.e2e.test.ts).
        SYNAPSE_RETRY_BUDGET_RATIO: '0.5',
        // Random 30 % failures are not an outage: a window that small could trip on a streak.
        BREAKER_MIN_REQUESTS: '40',
      },
    });
    rows = (await rest<WirePage<WireAssignment>>(stack.backend.url, 'sdk/assignments/?ordering=id&page=1&page_size=50')).results;
    tagNames = new Map();
    for (const project of new Set(rows.map((row) => row.project))) {
      for (const tag of await restTags(stack.backend.url, project)) tagNames.set(tag.id, tag.name);
    }
    const { failRate } = loadConfig({ DEV_BACKEND_FAIL_RATE: '0.3' }).devBackend;
    stack.backend.setFaults({ failRate });
    stack.backend.resetRequests();
  });
  afterAll(() => stack.close());

  it('list and detail queries still succeed with the right data, and report their retries', async () => {
    let reportedRetries = 0;
    for (let i = 0; i < 12; i++) {
      const list = await stack.gql(LIST);
      expect(list.body.errors).toBeUndefined();
      const nodes = list.body.data!['assignments'].nodes as { id: string; tags: { name: string }[] }[];
      expect(nodes.map((node) => Number(node.id))).toEqual(rows.map((row) => row.id));
      nodes.forEach((node, j) => expect(node.tags.map((t) => t.name)).toEqual(rows[j]!.tags.map((id) => tagNames.get(id))));
      reportedRetries += list.body.extensions!['upstream'].retries;

      const row = rows[(i * 7) % rows.length]!;
      const detail = await stack.gql(DETAIL, { id: String(row.id) });
      expect(detail.body.errors).toBeUndefined();
      expect(detail.body.data!['assignment'].id).toBe(String(row.id));
      reportedRetries += detail.body.extensions!['upstream'].retries;
    }
    const failed = stack.upstreamCalls().filter((call) => call.status === 503).length;
    expect(failed).toBeGreaterThan(10);
    // Every 503 was retried (and a retry eventually succeeded): the counts agree three ways.
    expect(reportedRetries).toBe(failed);
    const metrics = (await getText(stack.gateway, '/metrics')).text;
    expect(metricValue(metrics, 'synapse_upstream_retries_total')).toBe(failed);
    expect(metricValue(metrics, 'synapse_upstream_requests_total', { status: '503' })).toBe(failed);
  });

  it('writes are never retried: one POST per planned write, whatever its answer', async () => {
    const posts = () => stack.upstreamCalls().filter((call) => call.method === 'POST');
    let failedWrites = 0;
    for (let i = 0; i < 40 && failedWrites < 2; i++) {
      const before = posts().length;
      const { body } = await stack.gql(SET_TAGS, { input: { assignmentIds: [String(rows[i]!.id)], tagNames: ['urgent'] } });
      const sent = posts().slice(before);
      expect(sent.length).toBeLessThanOrEqual(1);
      if (sent[0]?.status === 503) {
        failedWrites++;
        expect(body.data).toBeNull();
        expect(body.errors![0]!.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryable: true });
      } else if (sent.length === 1) {
        // The write went through; the read-back after it may still have failed after its retries.
        if (!body.errors) expect(body.data!['setAssignmentTags'].writeCalls).toBe(1);
      }
    }
    expect(failedWrites).toBeGreaterThan(0);
  });
});

describe('a write whose answer is lost', () => {
  let stack: Stack;
  let posts = 0;

  beforeAll(async () => {
    // The second POST reaches the backend (and is applied), then its answer is lost.
    const losing: FetchFn = async (url, init) => {
      if (init.method !== 'POST') return keepAliveFetch(url, init);
      posts++;
      const response = await keepAliveFetch(url, init);
      if (posts === 2) {
        await response.text();
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      return response;
    };
    stack = await startStack({ assignments: 100, deps: { fetch: losing } });
  });
  afterAll(() => stack.close());

  it('is reported with the ids whose outcome is unknown, and not retried', async () => {
    const p1 = (await restAll(stack.backend.url, 'project=1')).find((row) => row.tags.length === 0)!;
    const p2 = (await restAll(stack.backend.url, 'project=2')).find((row) => row.tags.length === 0)!;
    const { body } = await stack.gql(SET_TAGS, { input: { assignmentIds: [String(p1.id), String(p2.id)], tagNames: ['urgent'] } });
    expect(posts).toBe(2);
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      retryable: true,
      appliedAssignmentIds: [p1.id],
      notAppliedAssignmentIds: [],
      unknownOutcomeAssignmentIds: [p2.id],
    });
    // "Unknown" was the honest answer: the backend did apply it.
    const after = await rest<WireAssignment>(stack.backend.url, `assignments/${p2.id}/`);
    expect(after.tags).toHaveLength(1);
  });
});
