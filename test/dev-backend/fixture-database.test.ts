import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { createDevBackend } from '../../src/dev-backend/server.ts';
import { SCHEMA_VERSION } from '../../src/dev-backend/schema.ts';
import { DevStore } from '../../src/dev-backend/store.ts';
import { TOKENS } from '../helpers/stack.ts';

/**
 * `test/fixtures/dev-backend-v2.sqlite` was written by the embedded backend as it was on
 * better-sqlite3 12 (schema version 2: a 24-row seed, then a `set_tags` add with notify), and
 * `dev-backend-v2.rows.json` is every row of every table as better-sqlite3 read them back.
 * A `.data/dev-backend.sqlite` a user kept from that version must open on node:sqlite as it was,
 * upgraded to the current version only by tables added beside its own.
 */
const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const TABLES = ['users', 'projects', 'user_projects', 'tags', 'assignments', 'assignment_tags', 'notifications'] as const;
const expected = JSON.parse(readFileSync(join(FIXTURES, 'dev-backend-v2.rows.json'), 'utf8')) as Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'fixture-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the fixture: opening a database may write to it (WAL, indexes added since). */
function copyOfFixture(name: string): string {
  const path = join(dir, name);
  copyFileSync(join(FIXTURES, 'dev-backend-v2.sqlite'), path);
  return path;
}

function readTables(path: string): Record<string, unknown> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows: Record<string, unknown> = { user_version: (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version };
    // Plain objects: node:sqlite answers rows with a null prototype.
    for (const table of TABLES) rows[table] = db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all().map((row) => ({ ...row }));
    return rows;
  } finally {
    db.close();
  }
}

describe('a database written by the better-sqlite3 version', () => {
  it('holds what the fixture says (the fixture itself is sound)', () => {
    expect(expected['user_version']).toBe(2);
    expect((expected['assignments'] as unknown[]).length).toBe(24);
    expect((expected['notifications'] as unknown[]).length).toBeGreaterThan(0);
  });

  it('opens without reseeding and keeps every row of every table', () => {
    const path = copyOfFixture('kept.sqlite');
    const store = DevStore.open(path, { assignments: 500 });
    try {
      expect(store.seeded).toBe(false);
      const query = { filter: {}, visibleProjects: 'all' as const };
      expect(store.countAssignments(query)).toBe(24);
      // The tag added after the seed is still there, with its updated_at and notification.
      const first = store.getAssignment(1)!;
      expect(first.tags).toContain(2);
      expect(first.updated_at).toBe('2026-11-30T12:30:00.123456Z');
      expect(store.listNotifications().length).toBe((expected['notifications'] as unknown[]).length);
    } finally {
      store.close();
    }
    expect(readTables(path)).toEqual({ ...expected, user_version: SCHEMA_VERSION });
  });

  it('gains the v2 tables by migration: a review history that agrees with its verdict tags', async () => {
    const path = copyOfFixture('v2.sqlite');
    const backend = await createDevBackend({ dbPath: path, port: 0 });
    try {
      const headers = { Authorization: `Token ${TOKENS.admin}` };
      const reviews = (await (await fetch(new URL('v2/reviews/?per_page=200&fields=assignment_id,tags,description', backend.url), { headers })).json()) as {
        data: { assignment_id: number; tags: number[]; description: string }[];
      };
      const verdictTags = new Set([1, 2, 3, 14, 15, 16, 27, 28, 29, 40, 41, 42]);
      const tagged = (expected['assignment_tags'] as { assignment_id: number; tag_id: number }[]).filter((row) => verdictTags.has(row.tag_id));
      expect(tagged.length).toBeGreaterThan(0);
      for (const { assignment_id, tag_id } of tagged) {
        const newest = reviews.data.find((review) => review.assignment_id === assignment_id);
        expect(newest?.tags, `assignment ${assignment_id}`).toContain(tag_id);
      }
      const tag = (await (await fetch(new URL('v2/projects/1/tags/1/', backend.url), { headers })).json()) as { data: { category: string } };
      expect(tag.data.category).toBe('project');
    } finally {
      await backend.close();
    }
    // And the reviews' indexes, which a kept database gets on open with the others, after the migration.
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('reviews', 'review_tags') AND sql IS NOT NULL").all();
      expect(indexes.map((row) => row.name).sort()).toEqual(['review_tags_tag', 'reviews_assignment', 'reviews_created']);
    } finally {
      db.close();
    }
  });

  it('is served over HTTP as it was: rows, tags and permissions', async () => {
    const backend = await createDevBackend({ dbPath: copyOfFixture('served.sqlite'), port: 0, seed: { assignments: 500 } });
    try {
      const response = await fetch(new URL('sdk/assignments/?page_size=100', backend.url), { headers: { Authorization: `Token ${TOKENS.admin}` } });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { count: number; results: { id: number; tags: number[]; updated_at: string }[] };
      expect(page.count).toBe(24);
      const stored = expected['assignments'] as { id: number; updated_at: string }[];
      expect(page.results.map((a) => [a.id, a.updated_at])).toEqual(stored.map((a) => [a.id, a.updated_at]));
      expect(page.results.find((a) => a.id === 5)!.tags).toContain(2);

      const viewer = await fetch(new URL('assignments/set_tags/', backend.url), {
        method: 'POST',
        headers: { Authorization: `Token ${TOKENS.viewer}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ assignment_ids: [1], tag_ids: [2] }),
      });
      expect(viewer.status).toBe(403);
    } finally {
      await backend.close();
    }
  });
});
