import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import type { WirePage, WireTag } from '../../src/contract/index.ts';
import { TOKENS, call, ids } from './helpers.ts';

let backend: DevBackend;

beforeAll(async () => {
  backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 600 } });
});

afterAll(async () => {
  await backend.close();
});

type TagPage = WirePage<WireTag & { project: number }>;

const REQUIRED = [
  'approved',
  'needs_review',
  'rejected',
  'high_priority',
  'low_priority',
  'urgent',
  'escalated',
  'archived',
  'high_performer',
  'regular_performer',
  'new_contributor',
];

describe('GET projects/{id}/tags/', () => {
  it("lists the project's tags with the workflow names, colors and descriptions", async () => {
    for (const project of [1, 2, 3, 4]) {
      const reply = await call<TagPage>(backend, `projects/${project}/tags/?page_size=1000`);
      expect(reply.status).toBe(200);
      const names = reply.body.results.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(REQUIRED));
      expect(new Set(names).size).toBe(names.length);
      for (const t of reply.body.results) {
        expect(t).toEqual({ id: expect.any(Number), name: expect.any(String), color: expect.stringMatching(/^#[0-9a-f]{6}$/), description: expect.any(String), project });
        expect(t.description.length).toBeGreaterThan(0);
      }
    }
  });

  it('gives tags global ids: the same name differs per project', async () => {
    const pages = await Promise.all([1, 2, 3, 4].map((p) => call<TagPage>(backend, `projects/${p}/tags/?page_size=1000`)));
    const every = pages.flatMap((page) => ids(page.body.results));
    expect(new Set(every).size).toBe(every.length);
    const approved = pages.map((page) => page.body.results.find((t) => t.name === 'approved')!.id);
    expect(new Set(approved).size).toBe(4);
  });

  it('paginates like the assignment list', async () => {
    const all = (await call<TagPage>(backend, 'projects/2/tags/?page_size=1000')).body.results;
    const pageSize = 5;
    const lastPage = Math.ceil(all.length / pageSize);
    const first = await call<TagPage>(backend, `projects/2/tags/?page_size=${pageSize}`);
    expect(first.body.count).toBe(all.length);
    expect(first.body.previous).toBeNull();
    expect(first.body.next).toBe(`${backend.url}projects/2/tags/?page_size=${pageSize}&page=2`);
    const last = await call<TagPage>(backend, `projects/2/tags/?page_size=${pageSize}&page=${lastPage}`);
    expect(ids(last.body.results)).toEqual(ids(all.slice((lastPage - 1) * pageSize)));
    expect(last.body.next).toBeNull();
    expect(last.body.previous).toBe(`${backend.url}projects/2/tags/?page_size=${pageSize}&page=${lastPage - 1}`);
    const past = await call(backend, `projects/2/tags/?page_size=${pageSize}&page=${lastPage + 1}`);
    expect(past.status).toBe(404);
    expect(past.body).toEqual({ detail: 'Invalid page.' });
    // page_size is never refused: over the maximum it is capped, as in DRF.
    const over = await call<TagPage>(backend, 'projects/2/tags/?page_size=1001');
    expect(over.status).toBe(200);
    expect(ids(over.body.results)).toEqual(ids(all));
  });

  it('answers 404 for an unknown project, to anyone', async () => {
    for (const token of [TOKENS.admin, TOKENS.bob]) {
      const reply = await call(backend, 'projects/99/tags/', { token });
      expect(reply.status).toBe(404);
      expect(reply.body).toEqual({ detail: 'Not found.' });
    }
  });

  it("answers 403 for another project's tags, 200 for members and viewers", async () => {
    const bob = await call(backend, 'projects/1/tags/', { token: TOKENS.bob });
    expect(bob.status).toBe(403);
    expect(bob.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect((await call(backend, 'projects/3/tags/', { token: TOKENS.bob })).status).toBe(200);
    expect((await call(backend, 'projects/1/tags/', { token: TOKENS.viewer })).status).toBe(200);
    expect((await call(backend, 'projects/3/tags/', { token: TOKENS.viewer })).status).toBe(403);
  });
});
