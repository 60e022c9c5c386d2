import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevBackend } from '../../src/dev-backend/server.ts';
import { userVersion } from '../../src/dev-backend/sqlite.ts';
import { SCHEMA_VERSION } from '../../src/dev-backend/schema.ts';
import { DevStore } from '../../src/dev-backend/store.ts';
import type { WireAssignment, WireStatus } from '../../src/contract/index.ts';
import { REQUEST_ORIGIN } from '../../src/dev-backend/media-urls.ts';
import { call, everyAssignment, listAll } from './helpers.ts';

/** Rows with the backend's own origin (in absolute file URLs) taken out, to compare two backends. */
const originFree = (rows: unknown, backend: { url: string }) => JSON.parse(JSON.stringify(rows).replaceAll(new URL(backend.url).origin, 'ORIGIN'));

const NOW = new Date('2026-11-20T10:00:00Z');
const HOUR = 3_600_000;

const ageHours = (a: WireAssignment) => (NOW.getTime() - Date.parse(a.created_at)) / HOUR;

describe('seed data (default 2000 assignments over 4 projects)', () => {
  let store: DevStore;
  let rows: WireAssignment[];

  beforeAll(() => {
    store = DevStore.open(':memory:', { assignments: 2000, now: NOW });
    rows = everyAssignment(store);
  });

  afterAll(() => store.close());

  it('has the requested size, spread over the projects', () => {
    expect(rows).toHaveLength(2000);
    expect(store.seeded).toBe(true);
    for (const project of [1, 2, 3, 4]) {
      expect(rows.filter((a) => a.project === project)).toHaveLength(500);
    }
  });

  it('has every status in every project: most work decided, a backlog of about a tenth', () => {
    // What a steady queue with waits of hours to days leaves at now (seed-history.test.ts checks its shape).
    const mix: Record<WireStatus, number> = { pending: 0.06, in_progress: 0.05, completed: 0.74, rejected: 0.15 };
    for (const [status, share] of Object.entries(mix)) {
      const actual = rows.filter((a) => a.status === status).length / rows.length;
      expect(Math.abs(actual - share), status).toBeLessThan(0.03);
      for (const project of [1, 2, 3, 4]) expect(rows.filter((a) => a.project === project && a.status === status).length).toBeGreaterThan(10);
    }
  });

  it('writes DRF-style fixed-width UTC timestamps within the 60 days before now', () => {
    const format = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
    for (const a of rows) {
      expect(a.created_at).toMatch(format);
      expect(a.updated_at).toMatch(format);
      expect(ageHours(a)).toBeGreaterThanOrEqual(0);
      expect(ageHours(a)).toBeLessThanOrEqual(60 * 24);
      expect(a.updated_at <= '2026-11-20T10:00:00.000000Z').toBe(true);
      if (a.status === 'pending') expect(a.updated_at).toBe(a.created_at);
      else expect(a.updated_at > a.created_at).toBe(true);
    }
  });

  it("gives every project matches on both sides of each automation rule and of a 30-day window", () => {
    const rules: [WireStatus, number][] = [
      ['pending', 24],
      ['in_progress', 72],
      ['completed', 168],
    ];
    for (const project of [1, 2, 3, 4]) {
      const own = rows.filter((a) => a.project === project);
      for (const [status, hours] of rules) {
        const withStatus = own.filter((a) => a.status === status);
        expect(withStatus.some((a) => ageHours(a) > hours)).toBe(true);
        expect(withStatus.some((a) => ageHours(a) < hours)).toBe(true);
      }
      expect(own.some((a) => ageHours(a) < 30 * 24)).toBe(true);
      expect(own.some((a) => ageHours(a) > 30 * 24)).toBe(true);
    }
  });

  it("skews project 1's completed work: one assignee >= 50, one 20-49, one < 20", () => {
    const counts = new Map<number, number>();
    for (const a of rows) {
      if (a.project === 1 && a.status === 'completed' && a.assignee !== null) {
        counts.set(a.assignee, (counts.get(a.assignee) ?? 0) + 1);
      }
    }
    const values = [...counts.values()];
    expect(values.some((n) => n >= 50)).toBe(true);
    expect(values.some((n) => n >= 20 && n < 50)).toBe(true);
    expect(values.some((n) => n < 20)).toBe(true);
    expect([...counts.keys()].every((id) => id >= 100)).toBe(true);
  });

  it('leaves some pending unassigned, and assigns every other status', () => {
    const pending = rows.filter((a) => a.status === 'pending');
    expect(pending.some((a) => a.assignee === null)).toBe(true);
    expect(pending.some((a) => a.assignee !== null)).toBe(true);
    expect(rows.filter((a) => a.status !== 'pending').every((a) => a.assignee !== null)).toBe(true);
  });

  it('has priorities 1..5 and a few nulls', () => {
    const priorities = new Set(rows.map((a) => a.priority));
    expect(priorities).toEqual(new Set([null, 1, 2, 3, 4, 5]));
    expect(rows.filter((a) => a.priority === null).length).toBeLessThan(rows.length * 0.1);
  });

  it('has data with annotations, searchable words and metadata', () => {
    const withAnnotations = rows.filter((a) => Array.isArray(a.data?.annotations) && (a.data.annotations as unknown[]).length > 0);
    expect(withAnnotations.length).toBeGreaterThan(1000);
    expect(withAnnotations[0]!.data!.annotations).toEqual(
      expect.arrayContaining([{ label: expect.any(String), score: expect.any(Number) }]),
    );
    expect(rows.some((a) => JSON.stringify(a.data).includes('Quokka'))).toBe(true);
    expect(rows.every((a) => typeof a.metadata.batch === 'string' && typeof a.metadata.language === 'string')).toBe(true);
  });

  it('mixes relative and absolute file URLs, as strings and {url, size, mime} objects, all PNGs of this backend', () => {
    const files = rows.flatMap((a) => Object.values(a.files));
    expect(files.some((f) => typeof f === 'string' && f.startsWith('/media/'))).toBe(true);
    // Stored on a placeholder origin; the API answers them on the origin the client used (media.test.ts).
    expect(files.some((f) => typeof f === 'string' && f.startsWith(`${REQUEST_ORIGIN}/media/`))).toBe(true);
    expect(files.some((f) => typeof f === 'object' && f.url.startsWith('/media/') && typeof f.size === 'number' && f.mime === 'image/png')).toBe(true);
    const urls = files.map((f) => (typeof f === 'string' ? f : f.url));
    expect(urls.filter((url) => !/^(\/|http:\/\/synapse\.invalid\/)media\/p[1-4]\/(img|thumb|report)_\d{5}\.png$/.test(url))).toEqual([]);
  });

  it("tags some assignments already, always with their project's tags", () => {
    const tagged = rows.filter((a) => a.tags.length > 0);
    expect(tagged.length).toBeGreaterThan(100);
    for (const a of tagged) {
      expect(store.tagRefs(a.tags).every((tag) => tag.project === a.project)).toBe(true);
    }
  });
});

describe('seed options', () => {
  it('is deterministic: two backends with the same now answer identical pages', async () => {
    const [a, b] = await Promise.all([
      createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 300, now: NOW } }),
      createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 300, now: NOW } }),
    ]);
    try {
      for (const query of ['', '?ordering=-updated_at&page_size=50', '?status=completed&page=2&page_size=20']) {
        const [first, second] = await Promise.all([call(a, `sdk/assignments/${query}`), call(b, `sdk/assignments/${query}`)]);
        expect(first.status).toBe(200);
        expect(originFree(second.body.results, b)).toEqual(originFree(first.body.results, a));
        expect(second.body.count).toBe(first.body.count);
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('anchors only the timestamps on now: a week later, the same rows a week later', () => {
    // Whole weeks: weekends are calendar days, so another weekday would shift the rhythm.
    const later = new Date(NOW.getTime() + 7 * 24 * HOUR);
    const first = DevStore.open(':memory:', { assignments: 100, now: NOW });
    const second = DevStore.open(':memory:', { assignments: 100, now: later });
    try {
      const strip = (a: WireAssignment) => ({ ...a, created_at: undefined, updated_at: undefined });
      const [x, y] = [everyAssignment(first), everyAssignment(second)];
      expect(y.map(strip)).toEqual(x.map(strip));
      // In microseconds: a shift by exactly a week, to the digit.
      const times = (a: WireAssignment) => [a.created_at, a.updated_at].map((t) => Date.parse(t) * 1000 + Number(t.slice(23, 26)));
      expect(y.map(times)).toEqual(x.map((a) => times(a).map((t) => t + (later.getTime() - NOW.getTime()) * 1000)));
    } finally {
      first.close();
      second.close();
    }
  });

  it('puts everything in project 1 with projects: 1, and creates only that project', () => {
    const store = DevStore.open(':memory:', { assignments: 200, projects: 1, now: NOW });
    try {
      expect(everyAssignment(store).every((a) => a.project === 1)).toBe(true);
      expect(store.projectExists(1)).toBe(true);
      expect(store.projectExists(2)).toBe(false);
      // Alice's membership of project 2 is dropped with the project.
      expect([...store.findUserByToken('dev-alice-token')!.projects.keys()]).toEqual([1]);
    } finally {
      store.close();
    }
  });

  it('rejects invalid sizes', () => {
    expect(() => DevStore.open(':memory:', { assignments: -1 })).toThrow(RangeError);
    expect(() => DevStore.open(':memory:', { assignments: 10, projects: 0 })).toThrow(RangeError);
  });

  it('seeds 100,000 assignments into one project', () => {
    const started = performance.now();
    const store = DevStore.open(':memory:', { assignments: 100_000, projects: 1 });
    const elapsed = Math.round(performance.now() - started);
    try {
      console.log(`seeded 100,000 assignments in ${elapsed} ms`);
      expect(store.countAssignments({ filter: {}, visibleProjects: 'all' })).toBe(100_000);
      expect(store.countAssignments({ filter: { project: 1 }, visibleProjects: 'all' })).toBe(100_000);
    } finally {
      store.close();
    }
  });
});

describe('persistence', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dev-backend-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps data across restarts and never reseeds an existing file', async () => {
    const dbPath = join(dir, 'dev.sqlite');
    const first = await createDevBackend({ dbPath, port: 0, seed: { assignments: 50, now: NOW } });
    expect(first.store.seeded).toBe(true);
    const write = await call(first, 'assignments/set_tags/?replace=true', {
      method: 'POST',
      body: { assignment_ids: [5], tag_ids: [6, 7] },
    });
    expect(write.status).toBe(200);
    const before = originFree(await listAll(first), first);
    await first.close();

    const second = await createDevBackend({
      dbPath,
      port: 0,
      seed: { assignments: 10, now: new Date(NOW.getTime() + 24 * HOUR) },
    });
    try {
      expect(second.store.seeded).toBe(false);
      const after = await listAll(second);
      expect(originFree(after, second)).toEqual(before);
      expect(after).toHaveLength(50);
      expect(after.find((a) => a.id === 5)!.tags).toEqual([6, 7]);
    } finally {
      await second.close();
    }
  });

  it('refuses a database of another schema version', async () => {
    const dbPath = join(dir, 'future.sqlite');
    DevStore.open(dbPath).close();
    const db = new DatabaseSync(dbPath);
    db.exec('PRAGMA user_version = 99');
    db.close();
    expect(() => DevStore.open(dbPath)).toThrow(/schema version 99/);
  });

  it('upgrades a version-1 database: its files become the PNGs a new seed names, everything else kept', async () => {
    // Files exactly as the version-1 seed wrote them for these ids (NOW, 4 projects): every form it had.
    const version1: Record<number, object> = {
      1: { image: '/media/p1/img_00001.jpg' },
      2: { image: '/media/p2/img_00002.jpg', thumbnail: { url: '/media/p2/thumb_00002.webp', size: 8774, mime: 'image/webp' } },
      3: {
        image: { url: '/media/p3/img_00003.jpg', size: 124658, mime: 'image/jpeg' },
        thumbnail: { url: '/media/p3/thumb_00003.webp', size: 4381, mime: 'image/webp' },
      },
      15: { image: 'https://assets.example.com/p3/img_00015.jpg', thumbnail: { url: '/media/p3/thumb_00015.webp', size: 12924, mime: 'image/webp' } },
      16: { image: '/media/p4/img_00016.jpg', report: 'https://docs.example.com/p4/report_00016.pdf' },
      30: {
        image: { url: '/media/p2/img_00030.jpg', size: 49515, mime: 'image/jpeg' },
        thumbnail: { url: '/media/p2/thumb_00030.webp', size: 5786, mime: 'image/webp' },
        report: 'https://docs.example.com/p2/report_00030.pdf',
      },
    };
    const fresh = DevStore.open(':memory:', { assignments: 40, now: NOW });
    const expected = everyAssignment(fresh);
    fresh.close();

    const dbPath = join(dir, 'version1.sqlite');
    DevStore.open(dbPath, { assignments: 40, now: NOW }).close();
    const db = new DatabaseSync(dbPath);
    const update = db.prepare('UPDATE assignments SET files = ? WHERE id = ?');
    for (const [id, files] of Object.entries(version1)) update.run(JSON.stringify(files), Number(id));
    db.prepare('INSERT INTO assignment_tags (assignment_id, tag_id) VALUES (?, ?)').run(1, 6);
    db.exec('PRAGMA user_version = 1');
    db.close();

    const upgraded = DevStore.open(dbPath);
    try {
      expect(upgraded.seeded).toBe(false);
      const rows = everyAssignment(upgraded);
      // The tag written while on version 1 survives; files equal what version 2 seeds.
      expect(rows.find((a) => a.id === 1)!.tags).toContain(6);
      const strip = (a: WireAssignment) => ({ ...a, tags: undefined });
      expect(rows.map(strip)).toEqual(expected.map(strip));
    } finally {
      upgraded.close();
    }
    const reopened = new DatabaseSync(dbPath);
    expect(userVersion(reopened)).toBe(SCHEMA_VERSION);
    reopened.close();
  });
});
