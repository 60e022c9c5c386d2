import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type {
  WireAssignment,
  WireAssignmentFilter,
  WireOrdering,
  WireSetTagsAction,
  WireStatus,
  WireTag,
} from '../contract/index.ts';
import { REQUEST_ORIGIN } from './media-urls.ts';
import { Statements, inTransaction, userVersion } from './sqlite.ts';
import { INDEXES, SCHEMA_VERSION, canMigrate, createSchema, migrate } from './schema.ts';
import { seedDatabase, type SeedOptions } from './seed.ts';
import { V2Store } from './v2-store.ts';
import type { ProjectRole } from './users.ts';

export interface DevUser {
  id: number;
  name: string;
  isAdmin: boolean;
  /** Role per project the user belongs to. */
  projects: ReadonlyMap<number, ProjectRole>;
}

/** Just what permission and tag checks need about an assignment. */
export interface AssignmentRef {
  id: number;
  project: number;
  assignee: number | null;
}

export interface TagRef {
  id: number;
  project: number;
}

export type ProjectTag = WireTag & { project: number };

export interface DevNotification {
  id: number;
  user: number;
  assignment_ids: number[];
  tag_ids: number[];
  action: WireSetTagsAction;
  created_at: string;
}

export interface AssignmentQuery {
  /** Timestamps already in stored form (see timestamps.ts). */
  filter: WireAssignmentFilter;
  /** The caller's visibility: every project, or only these. */
  visibleProjects: 'all' | readonly number[];
}

export interface Slice {
  limit: number;
  offset: number;
}

/** One assignment as the API answers it: its JSON text, and the project permission checks need. */
export interface StoredAssignment {
  project: number;
  json: string;
}

/** A filtered, ordered listing: its count, and any slice of it as the rows' JSON texts. */
export interface AssignmentListing {
  count: number;
  page(slice: Slice): string[];
}

export interface SetTagsOperation {
  assignmentIds: readonly number[];
  tagIds: readonly number[];
  action: WireSetTagsAction;
  notify: boolean;
  /** Stored timestamp: the new `updated_at` and the notifications' `created_at`. */
  now: string;
}

interface AssignmentRow {
  id: number;
  project_id: number;
  status: WireStatus;
  assignee_id: number | null;
  data: string | null;
  files: string;
  metadata: string;
  priority: number | null;
  created_at: string;
  updated_at: string;
  tags: string;
}

const ORDER_COLUMNS = { id: 'id', created_at: 'created_at', updated_at: 'updated_at', priority: 'priority' } as const;

const SELECT_ASSIGNMENTS = `
  SELECT a.id, a.project_id, a.status, a.assignee_id, a.data, a.files, a.metadata, a.priority,
         a.created_at, a.updated_at,
         (SELECT json_group_array(tag_id ORDER BY tag_id) FROM assignment_tags WHERE assignment_id = a.id) AS tags
  FROM assignments a
  WHERE a.id IN (SELECT value FROM json_each(?))`;

/** Listings whose ordered ids are kept between requests, and how many ids they may hold in all. */
const MAX_LISTINGS = 32;
const MAX_LISTED_IDS = 2_000_000;
/** Tokens whose user is kept; users never change while the backend runs. */
const MAX_USERS = 1024;

/**
 * The development backend's data, in SQLite. All calls are synchronous; since Node
 * runs one handler section at a time, a check followed by a write cannot interleave
 * with another request.
 *
 * Reads are built to cost little per page, so benchmarks measure the gateway and
 * not this stand-in: rows are answered as the JSON text they are stored as (no
 * parse/stringify round trip), and a listing's ordered ids are computed once and
 * kept until the next write, so its count and every page (deep ones included) are
 * slices instead of a count query and an OFFSET scan per page.
 */
export class DevStore {
  /** Whether this open created and seeded the database (false: existing file reused). */
  readonly seeded: boolean;
  /** Reviews, v2 assignment details and project tags with their v2 attributes. */
  readonly v2: V2Store;
  private readonly db: DatabaseSync;
  /** Listing SQL varies with the filters given; each variant is prepared once. */
  private readonly statements: Statements;
  /** Ordered ids per listing (SQL and parameters), in least-recently-used order; emptied by every write. */
  private readonly listings = new Map<string, number[]>();
  private listedIds = 0;
  private readonly users = new Map<string, DevUser>();

  /**
   * Opens (or creates) the database. A new one gets the schema and the seed in one
   * transaction; an existing one is never reseeded, whatever `seed` says.
   */
  static open(path: string, seed: SeedOptions = { assignments: 0 }): DevStore {
    const db = new DatabaseSync(path);
    try {
      if (path !== ':memory:' && path !== '') db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA foreign_keys = ON');
      let version = userVersion(db);
      if (canMigrate(version)) {
        migrate(db, version);
        version = SCHEMA_VERSION;
      }
      if (version !== 0 && version !== SCHEMA_VERSION) {
        throw new Error(`${path}: schema version ${version}, expected ${SCHEMA_VERSION}; delete the file to reseed`);
      }
      const isNew = version === 0;
      if (isNew) createSchema(db, () => seedDatabase(db, seed));
      // A database made by an earlier build gets indexes added since (no-op otherwise).
      else db.exec(INDEXES);
      return new DevStore(db, isNew);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private constructor(db: DatabaseSync, seeded: boolean) {
    this.db = db;
    this.seeded = seeded;
    this.statements = new Statements(db);
    this.v2 = new V2Store(this.statements, () => this.forgetListings());
    // JavaScript's toLowerCase, not SQLite's lower(): lower() folds ASCII only.
    db.function('icontains', { deterministic: true }, (text: unknown, needle: unknown) =>
      typeof text === 'string' && text.toLowerCase().includes(String(needle)) ? 1 : 0,
    );
  }

  findUserByToken(token: string): DevUser | undefined {
    const known = this.users.get(token);
    if (known) return known;
    const user = this.row<{ id: number; name: string; is_admin: number }>('SELECT id, name, is_admin FROM users WHERE token = ?', token);
    if (!user) return undefined;
    const memberships = this.rows<{ project_id: number; role: ProjectRole }>(
      'SELECT project_id, role FROM user_projects WHERE user_id = ?',
      user.id,
    );
    const found: DevUser = {
      id: user.id,
      name: user.name,
      isAdmin: user.is_admin === 1,
      projects: new Map(memberships.map((m) => [m.project_id, m.role])),
    };
    if (this.users.size >= MAX_USERS) this.users.clear();
    this.users.set(token, found);
    return found;
  }

  /** `GET assignments/{id}/`'s answer. */
  getAssignmentJson(id: number, origin?: string): StoredAssignment | undefined {
    const row = this.row<AssignmentRow>(SELECT_ASSIGNMENTS, JSON.stringify([id]));
    return row && { project: row.project_id, json: rowJson(row, origin) };
  }

  /** Makes a token stop working, as when a user's token is revoked (tests of refused credentials). */
  revokeToken(token: string): void {
    this.users.delete(token);
    this.prepare('UPDATE users SET token = NULL WHERE token = ?').run(token);
  }

  getAssignment(id: number): WireAssignment | undefined {
    const stored = this.getAssignmentJson(id);
    return stored && (JSON.parse(stored.json) as WireAssignment);
  }

  /**
   * A listing. Its ordered ids come from one index-only query, kept until the next
   * write (or until other listings push it out); then only a page's rows are read,
   * with their tags. A listing too long to keep is counted and paged with OFFSET.
   * Ties are broken by id in the direction of the first ordering term.
   */
  assignmentListing(query: AssignmentQuery, ordering: readonly WireOrdering[], origin?: string): AssignmentListing {
    const { where, params } = whereClause(query);
    const sql = `SELECT id FROM assignments ${where} ${orderBy(ordering)}`;
    const key = `${sql}\u0000${JSON.stringify(params)}`;
    let ids = this.listings.get(key);
    if (ids) {
      // Most recently used last: Map order is the eviction order.
      this.listings.delete(key);
      this.listings.set(key, ids);
    } else {
      const count = this.statements.column(`SELECT count(*) FROM assignments ${where}`, params)[0] as number;
      if (count > MAX_LISTED_IDS / 4) {
        return {
          count,
          page: (slice) =>
            this.rowsJson(this.statements.column(`${sql} LIMIT @limit OFFSET @offset`, { ...params, ...slice }) as number[], origin),
        };
      }
      ids = this.statements.column(sql, params) as number[];
      this.keepListing(key, ids);
    }
    const listed = ids;
    return { count: listed.length, page: (slice) => this.rowsJson(listed.slice(slice.offset, slice.offset + slice.limit), origin) };
  }

  countAssignments(query: AssignmentQuery): number {
    return this.assignmentListing(query, ['id']).count;
  }

  listAssignments(query: AssignmentQuery, ordering: readonly WireOrdering[], slice: Slice): WireAssignment[] {
    return this.assignmentListing(query, ordering)
      .page(slice)
      .map((json) => JSON.parse(json) as WireAssignment);
  }

  /** The rows of these ids, in this order, as JSON texts (ids are known to exist). */
  private rowsJson(ids: readonly number[], origin: string | undefined): string[] {
    if (ids.length === 0) return [];
    const rows = this.rows<AssignmentRow>(SELECT_ASSIGNMENTS, JSON.stringify(ids));
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => rowJson(byId.get(id)!, origin));
  }

  /** Before a write that changes tags or `updated_at`: every kept listing may be stale. */
  private forgetListings(): void {
    this.listings.clear();
    this.listedIds = 0;
  }

  private keepListing(key: string, ids: number[]): void {
    this.listings.set(key, ids);
    this.listedIds += ids.length;
    for (const [oldKey, old] of this.listings) {
      if (this.listings.size <= MAX_LISTINGS && this.listedIds <= MAX_LISTED_IDS) break;
      this.listings.delete(oldKey);
      this.listedIds -= old.length;
    }
  }

  /** Refs of those ids that exist, in id order. */
  assignmentRefs(ids: readonly number[]): AssignmentRef[] {
    return this.rows<AssignmentRef>(
      `SELECT id, project_id AS project, assignee_id AS assignee FROM assignments
       WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
      JSON.stringify(ids),
    );
  }

  /** Refs of those tag ids that exist, in id order. */
  tagRefs(ids: readonly number[]): TagRef[] {
    return this.rows<TagRef>(
      'SELECT id, project_id AS project FROM tags WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id',
      JSON.stringify(ids),
    );
  }

  projectExists(id: number): boolean {
    return this.prepare('SELECT 1 FROM projects WHERE id = ?').get(id) !== undefined;
  }

  countTags(project: number): number {
    return this.statements.column('SELECT count(*) FROM tags WHERE project_id = ?', project)[0] as number;
  }

  listTags(project: number, slice: Slice): ProjectTag[] {
    return this.rows<ProjectTag>(
      `SELECT id, name, color, description, project_id AS project FROM tags
       WHERE project_id = @project ORDER BY id LIMIT @limit OFFSET @offset`,
      { project, ...slice },
    );
  }

  /**
   * Applies a validated set_tags operation in one transaction: the tag change, the
   * `updated_at` bump of every listed assignment and, with `notify`, one notification
   * per distinct assignee. Returns how many notifications were recorded.
   */
  setTags(operation: SetTagsOperation): number {
    this.forgetListings();
    return inTransaction(this.db, () => {
      const params = { ids: JSON.stringify(operation.assignmentIds), tags: JSON.stringify(operation.tagIds) };
      if (operation.action === 'replace') {
        this.prepare('DELETE FROM assignment_tags WHERE assignment_id IN (SELECT value FROM json_each(@ids))').run(params);
      }
      if (operation.action === 'remove') {
        this.prepare(
          `DELETE FROM assignment_tags WHERE assignment_id IN (SELECT value FROM json_each(@ids))
           AND tag_id IN (SELECT value FROM json_each(@tags))`,
        ).run(params);
      } else {
        this.prepare(
          `INSERT OR IGNORE INTO assignment_tags (assignment_id, tag_id)
           SELECT a.value, t.value FROM json_each(@ids) a, json_each(@tags) t`,
        ).run(params);
      }
      this.prepare('UPDATE assignments SET updated_at = @now WHERE id IN (SELECT value FROM json_each(@ids))').run({
        ids: params.ids,
        now: operation.now,
      });
      if (!operation.notify) return 0;
      return this.prepare(
        `INSERT INTO notifications (user_id, assignment_ids, tag_ids, action, created_at)
         SELECT assignee_id, json_group_array(id ORDER BY id), @tags, @action, @now FROM assignments
         WHERE id IN (SELECT value FROM json_each(@ids)) AND assignee_id IS NOT NULL
         GROUP BY assignee_id ORDER BY assignee_id`,
      ).run({ ...params, action: operation.action, now: operation.now }).changes as number;
    });
  }

  listNotifications(): DevNotification[] {
    const rows = this.rows<{ id: number; user_id: number; assignment_ids: string; tag_ids: string; action: WireSetTagsAction; created_at: string }>(
      'SELECT id, user_id, assignment_ids, tag_ids, action, created_at FROM notifications ORDER BY id',
    );
    return rows.map((row) => ({
      id: row.id,
      user: row.user_id,
      assignment_ids: JSON.parse(row.assignment_ids) as number[],
      tag_ids: JSON.parse(row.tag_ids) as number[],
      action: row.action,
      created_at: row.created_at,
    }));
  }

  close(): void {
    this.db.close();
  }

  private prepare(sql: string): StatementSync {
    return this.statements.prepare(sql);
  }

  private rows<T>(sql: string, ...params: [Record<string, SQLInputValue>] | SQLInputValue[]): T[] {
    return this.statements.rows<T>(sql, ...params);
  }

  private row<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.statements.row<T>(sql, ...params);
  }
}

function whereClause(query: AssignmentQuery): { where: string; params: Record<string, SQLInputValue> } {
  const { filter } = query;
  const conditions: string[] = [];
  const params: Record<string, SQLInputValue> = {};
  const add = (condition: string, name: string, value: SQLInputValue) => {
    conditions.push(condition);
    params[name] = value;
  };
  if (query.visibleProjects !== 'all') {
    add('project_id IN (SELECT value FROM json_each(@visible))', 'visible', JSON.stringify(query.visibleProjects));
  }
  if (filter.project !== undefined) add('project_id = @project', 'project', filter.project);
  if (filter.status !== undefined) add('status = @status', 'status', filter.status);
  if (filter.assignee !== undefined) add('assignee_id = @assignee', 'assignee', filter.assignee);
  if (filter.created_after !== undefined) add('created_at >= @createdAfter', 'createdAfter', filter.created_after);
  if (filter.updated_after !== undefined) add('updated_at >= @updatedAfter', 'updatedAfter', filter.updated_after);
  if (filter.priority !== undefined) add('priority = @priority', 'priority', filter.priority);
  if (filter.search !== undefined) {
    add('(icontains(data, @search) OR icontains(metadata, @search))', 'search', filter.search.toLowerCase());
  }
  if (filter.ids !== undefined) add('id IN (SELECT value FROM json_each(@ids))', 'ids', JSON.stringify(filter.ids));
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

function orderBy(ordering: readonly WireOrdering[]): string {
  const terms = ordering.map((term) => {
    const descending = term.startsWith('-');
    const field = (descending ? term.slice(1) : term) as keyof typeof ORDER_COLUMNS;
    return { column: ORDER_COLUMNS[field], descending };
  });
  const tieBreakDescending = terms[0]?.descending ?? false;
  if (!terms.some((term) => term.column === 'id')) terms.push({ column: 'id', descending: tieBreakDescending });
  return `ORDER BY ${terms.map((t) => `${t.column} ${t.descending ? 'DESC' : 'ASC'}`).join(', ')}`;
}

/**
 * The wire form of a row, written around its stored JSON text: `data`, `files` and
 * `metadata` are stored as JSON.stringify wrote them and `tags` comes from
 * json_group_array, so they are copied, not parsed and serialized again.
 */
function rowJson(row: AssignmentRow, origin: string | undefined): string {
  // Stored absolute file URLs on REQUEST_ORIGIN are answered on the client's origin (see media-urls.ts).
  const files = origin === undefined ? row.files : row.files.replaceAll(`"${REQUEST_ORIGIN}/`, `"${origin}/`);
  return (
    `{"id":${row.id},"project":${row.project_id},"status":${JSON.stringify(row.status)},"assignee":${row.assignee_id ?? 'null'},` +
    `"data":${row.data ?? 'null'},"files":${files},"metadata":${row.metadata},"priority":${row.priority ?? 'null'},` +
    `"created_at":${JSON.stringify(row.created_at)},"updated_at":${JSON.stringify(row.updated_at)},"tags":${row.tags}}`
  );
}
