import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireAssignment } from '../../src/contract/index.ts';
import { rest, restAll } from '../helpers/rest.ts';
import { SEED_NOW, startStack, TOKENS, type Stack } from '../helpers/stack.ts';

const DETAIL = /* GraphQL */ `
  query Detail($id: ID!, $asOf: DateTime) {
    assignment(id: $id) {
      id projectId status assigneeId priority data metadata createdAt updatedAt
      ageHours(asOf: $asOf)
      files { key url meta }
      tags { id name projectId color description }
    }
  }
`;

describe('assignment(id) end to end', () => {
  let stack: Stack;
  let sample: WireAssignment;

  beforeAll(async () => {
    stack = await startStack();
    const rows = await restAll(stack.backend.url, 'project=1');
    sample = rows.find((row) => row.tags.length > 0 && Object.keys(row.files).length > 1)!;
    expect(sample).toBeDefined();
  });
  afterAll(() => stack.close());

  it('answers with every field of the upstream row', async () => {
    const raw = await rest<WireAssignment>(stack.backend.url, `assignments/${sample.id}/`);
    const asOf = '2026-11-25T00:00:00.000Z';
    const { body } = await stack.gql(DETAIL, { id: String(sample.id), asOf });
    expect(body.errors).toBeUndefined();
    const a = body.data!.assignment;
    expect(a.id).toBe(String(raw.id));
    expect(a.projectId).toBe(String(raw.project));
    expect(a.status).toBe(raw.status.toUpperCase());
    expect(a.assigneeId).toBe(raw.assignee === null ? null : String(raw.assignee));
    expect(a.priority).toBe(raw.priority);
    expect(a.data).toEqual(raw.data);
    expect(a.metadata).toEqual(raw.metadata);
    expect(Date.parse(a.createdAt)).toBe(Math.floor(Date.parse(raw.created_at)));
    expect(a.ageHours).toBeCloseTo((Date.parse(asOf) - Date.parse(raw.created_at)) / 3_600_000, 6);
    expect(a.tags.map((t: { id: string }) => Number(t.id))).toEqual(raw.tags);
    for (const tag of a.tags) expect(tag.projectId).toBe(String(raw.project));
    expect(a.files.map((f: { key: string }) => f.key)).toEqual(Object.keys(raw.files));
  });

  it('makes relative file URLs absolute and keeps the object form keys in meta', async () => {
    const rows = await restAll(stack.backend.url, 'project=2');
    const withObject = rows.find((row) => Object.values(row.files).some((f) => typeof f === 'object' && f.url.startsWith('/')))!;
    const { body } = await stack.gql(DETAIL, { id: String(withObject.id) });
    const origin = new URL(stack.backend.url).origin;
    for (const file of body.data!.assignment.files) {
      const raw = withObject.files[file.key]!;
      const rawUrl = typeof raw === 'string' ? raw : raw.url;
      expect(file.url).toBe(rawUrl.startsWith('/') ? origin + rawUrl : new URL(rawUrl).href);
      if (typeof raw === 'string') expect(file.meta).toBeNull();
      else {
        const { url: _u, ...meta } = raw;
        expect(file.meta).toEqual(meta);
      }
    }
  });

  it('returns file URLs that load without credentials, as an <img> tag fetches them', async () => {
    const { body } = await stack.gql(
      '{ assignments(filter: { project: 3 }, first: 40) { nodes { id files { key url meta } } } }',
    );
    expect(body.errors).toBeUndefined();
    const files = body.data!.assignments.nodes.flatMap((n: { files: { url: string; meta: any }[] }) => n.files);
    expect(files.length).toBeGreaterThan(40);
    for (const file of files) {
      const response = await fetch(file.url);
      expect({ url: file.url, status: response.status }).toEqual({ url: file.url, status: 200 });
      expect(response.headers.get('content-type')).toBe(file.meta?.mime ?? 'image/png');
      expect(Buffer.from(await response.arrayBuffer()).subarray(1, 4).toString('latin1')).toBe('PNG');
    }
  });

  it('uses FILE_URL_PREFIX for relative URLs, string and {url} forms, in every read of an assignment', async () => {
    const PREFIX = 'https://cdn.example.com/assets/';
    const prefixed = await startStack({ assignments: 50, upstream: { fileUrlPrefix: PREFIX } });
    try {
      const rows = await restAll(prefixed.backend.url, 'page=1');
      const byId = new Map(rows.map((row) => [row.id, row]));
      const isAbsolute = (url: string) => /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(url);
      const FILES = 'id files { key url meta }';
      const { body } = await prefixed.gql(
        `query($id: ID!, $ids: [ID!]!) {
          assignment(id: $id) { ${FILES} }
          assignmentsByIds(ids: $ids) { ${FILES} }
          assignments(first: 50) { nodes { ${FILES} } }
        }`,
        { id: String(rows[0]!.id), ids: rows.slice(0, 10).map((row) => String(row.id)) },
      );
      expect(body.errors).toBeUndefined();
      const read: { id: string; files: { key: string; url: string | null; meta: unknown }[] }[] = [
        body.data!.assignment,
        ...body.data!.assignmentsByIds,
        ...body.data!.assignments.nodes,
      ];
      const kinds = new Set<string>();
      for (const assignment of read) {
        const raw = byId.get(Number(assignment.id))!;
        expect(assignment.files.map((f) => f.key)).toEqual(Object.keys(raw.files));
        for (const file of assignment.files) {
          const rawFile = raw.files[file.key]!;
          const rawUrl = typeof rawFile === 'string' ? rawFile : rawFile.url;
          kinds.add(`${typeof rawFile}-${isAbsolute(rawUrl) ? 'absolute' : 'relative'}`);
          expect(file.url).toBe(isAbsolute(rawUrl) ? new URL(rawUrl).href : `${PREFIX}${rawUrl.replace(/^\/+/, '')}`);
          expect(file.url).not.toContain('assets//');
        }
      }
      expect([...kinds].sort()).toEqual(expect.arrayContaining(['object-relative', 'string-absolute', 'string-relative']));
    } finally {
      await prefixed.close();
    }
  });

  it('refuses a request without credentials before any upstream call', async () => {
    stack.backend.resetRequests();
    const { status, headers, body } = await stack.gql('{ assignment(id: 1) { id status } }', undefined, { token: null });
    expect(status).toBe(401);
    expect(headers.get('www-authenticate')).toBe('Token');
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(stack.backend.requests).toHaveLength(0);
  });

  it('serves introspection without credentials (GraphiQL loads the schema first)', async () => {
    const { body } = await stack.gql('{ __schema { queryType { name } } }', undefined, { token: null });
    expect(body.errors).toBeUndefined();
    expect(body.data!.__schema.queryType.name).toBe('Query');
  });

  it('answers null with NOT_FOUND for an unknown id, and the path of the field', async () => {
    const { body } = await stack.gql('{ assignment(id: 999999) { id } }');
    expect(body.data!.assignment).toBeNull();
    expect(body.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    expect(body.errors![0]!.path).toEqual(['assignment']);
  });

  it('answers null with FORBIDDEN for a member outside the project; the viewer can read', async () => {
    const forbidden = await stack.gql('query($id: ID!) { assignment(id: $id) { id } }', { id: String(sample.id) }, { token: TOKENS.bob });
    expect(forbidden.body.data!.assignment).toBeNull();
    expect(forbidden.body.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    const viewer = await stack.gql('query($id: ID!) { assignment(id: $id) { id } }', { id: String(sample.id) }, { token: TOKENS.viewer });
    expect(viewer.body.data!.assignment.id).toBe(String(sample.id));
  });

  it('refuses an invalid token with UNAUTHENTICATED from upstream', async () => {
    const { body } = await stack.gql('{ assignment(id: 1) { id } }', undefined, { token: 'not-a-token' });
    expect(body.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a malformed id before any upstream call', async () => {
    stack.backend.resetRequests();
    const { body } = await stack.gql('{ assignment(id: "12abc") { id } }');
    expect(body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(stack.backend.requests).toHaveLength(0);
  });

  it('forwards the caller token from Synapse-Access-Token and the tenant header', async () => {
    stack.backend.resetRequests();
    const { body } = await stack.gql('{ assignment(id: 1) { id } }', undefined, {
      token: null,
      headers: { 'synapse-access-token': `Token ${TOKENS.alice}`, 'synapse-tenant': 'Token acme' },
    });
    expect(body.errors).toBeUndefined();
    expect(stack.backend.requests.length).toBeGreaterThan(0);
    for (const request of stack.backend.requests) {
      expect(request.token).toBe(TOKENS.alice);
      expect(request.tenant).toBe('Token acme');
    }
  });

  it('reports the upstream cost and a request id in extensions and headers', async () => {
    const { body, headers } = await stack.gql('{ a: assignment(id: 1) { id } b: assignment(id: 2) { id } }', undefined, {
      headers: { 'x-request-id': 'test-request-0001' },
    });
    expect(body.extensions!.upstream).toMatchObject({ requests: 1, retries: 0 });
    expect(typeof body.extensions!.upstream.ms).toBe('number');
    expect(body.extensions!.requestId).toBe('test-request-0001');
    expect(headers.get('x-request-id')).toBe('test-request-0001');
    const failed = await stack.gql('{ assignment(id: 999999) { id } }');
    expect(failed.body.errors![0]!.extensions!.requestId).toBe(failed.headers.get('x-request-id'));
  });

  it('computes ageHours from createdAt at now by default', async () => {
    const { body } = await stack.gql('query($id: ID!) { assignment(id: $id) { createdAt ageHours } }', { id: String(sample.id) });
    const expected = (SEED_NOW.getTime() - Date.parse(body.data!.assignment.createdAt)) / 3_600_000;
    expect(body.data!.assignment.ageHours).toBeCloseTo(expected, 2);
  });
});
