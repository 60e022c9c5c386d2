import type { DatabaseSync } from 'node:sqlite';
import { REQUEST_ORIGIN } from './media-urls.ts';
import { seedReviewHistory } from './seed-reviews.ts';
import { inTransaction } from './sqlite.ts';

/** Stored in `PRAGMA user_version`; 0 means a new, unseeded database. */
export const SCHEMA_VERSION = 3;

/**
 * JSON columns (`data`, `files`, `metadata`, notification lists) hold JSON text: the
 * backend only ever returns them whole, and `search` scans their text. Timestamps are
 * fixed-width UTC text (see timestamps.ts), so plain indexes order and range-scan them.
 */
const TABLES = `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  token TEXT UNIQUE,
  is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1))
);

CREATE TABLE projects (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL
);

CREATE TABLE user_projects (
  user_id INTEGER NOT NULL REFERENCES users(id),
  project_id INTEGER NOT NULL REFERENCES projects(id),
  role TEXT NOT NULL CHECK (role IN ('member', 'viewer')),
  PRIMARY KEY (user_id, project_id)
) WITHOUT ROWID;

CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  color TEXT NOT NULL,
  description TEXT NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE assignments (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  status TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'completed', 'rejected')),
  assignee_id INTEGER REFERENCES users(id),
  data TEXT,
  files TEXT NOT NULL,
  metadata TEXT NOT NULL,
  priority INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE assignment_tags (
  assignment_id INTEGER NOT NULL REFERENCES assignments(id),
  tag_id INTEGER NOT NULL REFERENCES tags(id),
  PRIMARY KEY (assignment_id, tag_id)
) WITHOUT ROWID;

CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  assignment_ids TEXT NOT NULL,
  tag_ids TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('add', 'replace', 'remove')),
  created_at TEXT NOT NULL
);
`;

/**
 * What the v2 endpoints add (schema version 3), in tables of their own so that a kept
 * database's rows stay exactly as they were. A tag's v2 attributes (`category`, `meta`)
 * live beside it; reviews and their tags follow a tag's deletion; a skip is a reviewer
 * passing on a pending assignment (v2's `skipped`). `position` is JSON text.
 */
const V2_TABLES = `
CREATE TABLE IF NOT EXISTS tag_attributes (
  tag_id INTEGER PRIMARY KEY REFERENCES tags(id) ON DELETE CASCADE,
  category TEXT NOT NULL CHECK (category IN ('project', 'export')),
  meta TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS reviews (
  id INTEGER PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES assignments(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  scope TEXT NOT NULL CHECK (scope IN ('project', 'group', 'assignment', 'annotation')),
  is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  object_id TEXT,
  description TEXT NOT NULL,
  position TEXT NOT NULL,
  created TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS review_tags (
  review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (review_id, tag_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS assignment_skips (
  assignment_id INTEGER PRIMARY KEY REFERENCES assignments(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  created TEXT NOT NULL
);
`;

/**
 * Built after the seed's bulk insert (sorting once beats growing each B-tree row by
 * row), and again on every open of a kept database, which so gains those added since.
 * One index per assignment filter: each implicitly ends in the rowid (= assignment id),
 * the tie-breaker of every ordering, so index order is result order. Then the reviews'.
 */
export const INDEXES = `
-- The project filter is served by this index's leftmost column.
CREATE INDEX IF NOT EXISTS assignments_project_status ON assignments (project_id, status, id);
-- Deep pages of one project in id order (the default ordering, and every "read all
-- pages" workflow): covering, so OFFSET walks the index instead of sorting the project
-- on each page (100,000 rows: 2-5 ms a page instead of 50-70 ms, and count in 5 ms).
CREATE INDEX IF NOT EXISTS assignments_project_id ON assignments (project_id, id, created_at, status);
CREATE INDEX IF NOT EXISTS assignments_status ON assignments (status);
CREATE INDEX IF NOT EXISTS assignments_assignee ON assignments (assignee_id);
CREATE INDEX IF NOT EXISTS assignments_created_at ON assignments (created_at);
CREATE INDEX IF NOT EXISTS assignments_updated_at ON assignments (updated_at);
CREATE INDEX IF NOT EXISTS assignments_priority ON assignments (priority);
CREATE INDEX IF NOT EXISTS assignment_tags_tag ON assignment_tags (tag_id);
-- An assignment's reviews, newest first (the list's default order), without sorting.
CREATE INDEX IF NOT EXISTS reviews_assignment ON reviews (assignment_id, created, id);
CREATE INDEX IF NOT EXISTS reviews_created ON reviews (created, id);
CREATE INDEX IF NOT EXISTS review_tags_tag ON review_tags (tag_id);
`;

/**
 * Creates the schema around `populate` (the seed), all in one transaction: a crash
 * mid-seed leaves an empty file that the next start seeds again, never a half one.
 */
export function createSchema(db: DatabaseSync, populate: () => void): void {
  inTransaction(db, () => {
    db.exec(TABLES);
    db.exec(V2_TABLES);
    populate();
    db.exec(INDEXES);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  });
}

/**
 * Upgrades of a database made by an earlier build, keyed by the version they start from.
 * Version 1 seeded `.jpg`/`.webp`/`.pdf` files, some on example.com hosts, and nothing
 * served them; version 2 names the same files (same keys, forms and sizes) as the PNGs
 * media.ts serves, so a kept database gets images too, with its tag edits intact.
 * Version 3 adds the v2 tables and gives the kept rows the review history a new seed
 * would give them (from their verdict tags and statuses), so the review page has a past.
 */
const MIGRATIONS: Readonly<Record<number, string | ((db: DatabaseSync) => void)>> = {
  1: `UPDATE assignments SET files =
        replace(replace(replace(replace(replace(replace(replace(files,
          'https://assets.example.com/', '${REQUEST_ORIGIN}/media/'),
          'https://docs.example.com/', '${REQUEST_ORIGIN}/media/'),
          '.jpg"', '.png"'), '.webp"', '.png"'), '.pdf"', '.png"'),
          '"image/jpeg"', '"image/png"'), '"image/webp"', '"image/png"')`,
  2: (db) => {
    db.exec(V2_TABLES);
    seedReviewHistory(db);
  },
};

/** Whether a database of this version can be upgraded to SCHEMA_VERSION. */
export function canMigrate(version: number): boolean {
  if (version < 1 || version >= SCHEMA_VERSION) return false;
  for (let v = version; v < SCHEMA_VERSION; v++) if (MIGRATIONS[v] === undefined) return false;
  return true;
}

/** Runs every upgrade from `version` on, in one transaction. */
export function migrate(db: DatabaseSync, version: number): void {
  inTransaction(db, () => {
    for (let v = version; v < SCHEMA_VERSION; v++) {
      const step = MIGRATIONS[v]!;
      if (typeof step === 'string') db.exec(step);
      else step(db);
    }
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  });
}
