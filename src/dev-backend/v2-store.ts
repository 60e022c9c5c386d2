import type { SQLInputValue } from 'node:sqlite';
import type {
  WireAssignmentV2,
  WireReview,
  WireReviewScope,
  WireStatus,
  WireStatusLabel,
  WireStatusReview,
  WireTagCategory,
  WireTagV2,
} from '../contract/index.ts';
import { inTransaction, type Statements } from './sqlite.ts';

/**
 * Where a keyset page starts: after (or, walking back, before) the row whose sort key is
 * `key`. The sort key is the sort column then the id, so it is unique.
 */
export interface Keyset {
  key: SQLInputValue[];
  backwards: boolean;
}

/** One page of a keyset listing: `limit` rows at most, and whether more lie beyond them. */
export interface KeysetPage<T> {
  rows: T[];
  more: boolean;
}

/** How a listing is sorted: by `created` or `id`, newest or largest first when descending. */
export interface KeysetOrder {
  column: 'created' | 'id';
  descending: boolean;
}

export interface ReviewQuery {
  visibleProjects: 'all' | readonly number[];
  assignment?: number;
  scope?: WireReviewScope;
  order: KeysetOrder;
  from?: Keyset;
  limit: number;
}

export interface NewReview {
  assignment: number;
  user: number;
  scope: WireReviewScope;
  tags: readonly number[];
  objectId: string | null;
  description: string;
  position: unknown;
  /** Stored timestamp: the review's `created` and the assignment's new `updated_at`. */
  now: string;
}

export interface NewTag {
  project: number;
  name: string;
  category: WireTagCategory;
  description: string;
  meta: Record<string, unknown>;
}

interface ReviewRow {
  id: number;
  assignment_id: number;
  project_id: number;
  user_id: number;
  scope: WireReviewScope;
  is_active: number;
  object_id: string | null;
  description: string;
  position: string;
  created: string;
  tags: string;
}

interface TagRow {
  id: number;
  project_id: number;
  name: string;
  category: WireTagCategory;
  description: string;
  meta: string;
}

const SELECT_REVIEWS = `
  SELECT r.id, r.assignment_id, a.project_id, r.user_id, r.scope, r.is_active, r.object_id, r.description, r.position, r.created,
         (SELECT json_group_array(tag_id ORDER BY tag_id) FROM review_tags WHERE review_id = r.id) AS tags
  FROM reviews r JOIN assignments a ON a.id = r.assignment_id`;

const SELECT_TAGS = `
  SELECT t.id, t.project_id, t.name, coalesce(x.category, 'project') AS category, t.description, coalesce(x.meta, '{}') AS meta
  FROM tags t LEFT JOIN tag_attributes x ON x.tag_id = t.id`;

/** A new tag's display color (v2 tags have none; the v1 list shows one): one per category. */
const CATEGORY_COLORS: Readonly<Record<WireTagCategory, string>> = { project: '#546e7a', export: '#00897b' };

/** The v2 side of the store: reviews, v2 assignment details, project tags with their v2 attributes. */
export class V2Store {
  constructor(
    private readonly sql: Statements,
    /** Called before every write: the assignment store's kept listings may be stale after it. */
    private readonly onWrite: () => void,
  ) {}

  /**
   * `GET v2/assignments/{id}/`. The embedded backend keeps no v2 state of its own beyond
   * reviews and skips, so the rest is derived from v1's: the newest review's author is the
   * reviewer, the verdict tags give `status_review` and `is_confirmed`, `duplicate` marks
   * it discarded, and each project is one task.
   */
  assignment(id: number): { project: number; detail: WireAssignmentV2 } | undefined {
    const row = this.sql.row<{
      id: number;
      project_id: number;
      status: WireStatus;
      assignee_id: number | null;
      data: string | null;
      created_at: string;
      tags: string;
      names: string;
      reviewer: number | null;
      skipped: number;
    }>(
      `SELECT a.id, a.project_id, a.status, a.assignee_id, a.data, a.created_at,
         (SELECT json_group_array(tag_id ORDER BY tag_id) FROM assignment_tags WHERE assignment_id = a.id) AS tags,
         (SELECT json_group_array(t.name) FROM assignment_tags x JOIN tags t ON t.id = x.tag_id WHERE x.assignment_id = a.id) AS names,
         (SELECT user_id FROM reviews WHERE assignment_id = a.id ORDER BY created DESC, id DESC LIMIT 1) AS reviewer,
         EXISTS (SELECT 1 FROM assignment_skips WHERE assignment_id = a.id) AS skipped
       FROM assignments a WHERE a.id = ?`,
      id,
    );
    if (!row) return undefined;
    const names = new Set(JSON.parse(row.names) as string[]);
    const skipped = row.skipped === 1 && row.status === 'pending';
    const label: WireStatusLabel = row.status === 'pending' ? (skipped ? 'skipped' : 'stand_by') : row.status === 'in_progress' ? 'in_progress' : 'completed';
    const review: WireStatusReview =
      row.status === 'rejected' || names.has('rejected')
        ? 'rejected'
        : names.has('approved')
          ? 'completed'
          : names.has('needs_review')
            ? 'in_progress'
            : skipped
              ? 'skipped'
              : 'stand_by';
    return {
      project: row.project_id,
      detail: {
        id: row.id,
        user_id: row.assignee_id,
        task_id: row.project_id,
        reviewer_id: row.reviewer,
        status_label: label,
        status_review: review,
        is_confirmed: names.has('approved'),
        is_discarded: names.has('duplicate'),
        data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>),
        tags: JSON.parse(row.tags) as number[],
        created: row.created_at,
      },
    };
  }

  /** A page of reviews in detail form (the handler trims them to the fields asked for). */
  listReviews(query: ReviewQuery): KeysetPage<WireReview> {
    const conditions: string[] = [];
    const params: Record<string, SQLInputValue> = {};
    if (query.visibleProjects !== 'all') {
      conditions.push('a.project_id IN (SELECT value FROM json_each(@visible))');
      params.visible = JSON.stringify(query.visibleProjects);
    }
    if (query.assignment !== undefined) {
      conditions.push('r.assignment_id = @assignment');
      params.assignment = query.assignment;
    }
    if (query.scope !== undefined) {
      conditions.push('r.scope = @scope');
      params.scope = query.scope;
    }
    const page = this.keysetPage<ReviewRow>(SELECT_REVIEWS, 'r', conditions, params, query);
    return { rows: page.rows.map(toReview), more: page.more };
  }

  review(id: number): { project: number; review: WireReview } | undefined {
    const row = this.sql.row<ReviewRow>(`${SELECT_REVIEWS} WHERE r.id = ?`, id);
    return row && { project: row.project_id, review: toReview(row) };
  }

  /** Writes a review with its tags and bumps its assignment's `updated_at` (so pollers of changes see it), in one transaction. */
  createReview(review: NewReview): WireReview {
    this.onWrite();
    const id = inTransaction(this.sql.db, () => {
      const created = this.sql
        .prepare(
          `INSERT INTO reviews (assignment_id, user_id, scope, is_active, object_id, description, position, created)
           VALUES (@assignment, @user, @scope, 1, @objectId, @description, @position, @now)`,
        )
        .run({
          assignment: review.assignment,
          user: review.user,
          scope: review.scope,
          objectId: review.objectId,
          description: review.description,
          position: JSON.stringify(review.position ?? null),
          now: review.now,
        });
      const reviewId = Number(created.lastInsertRowid);
      const insertTag = this.sql.prepare('INSERT OR IGNORE INTO review_tags (review_id, tag_id) VALUES (?, ?)');
      for (const tagId of review.tags) insertTag.run(reviewId, tagId);
      this.sql.prepare('UPDATE assignments SET updated_at = ? WHERE id = ?').run(review.now, review.assignment);
      return reviewId;
    });
    return this.review(id)!.review;
  }

  /** A page of a project's tags, in id order. */
  listTags(project: number, category: WireTagCategory | undefined, from: Keyset | undefined, limit: number): KeysetPage<WireTagV2> {
    const conditions = ['t.project_id = @project'];
    const params: Record<string, SQLInputValue> = { project };
    if (category !== undefined) {
      conditions.push("coalesce(x.category, 'project') = @category");
      params.category = category;
    }
    const page = this.keysetPage<TagRow>(SELECT_TAGS, 't', conditions, params, {
      order: { column: 'id', descending: false },
      ...(from ? { from } : {}),
      limit,
    });
    return { rows: page.rows.map(toTag), more: page.more };
  }

  tag(project: number, id: number): WireTagV2 | undefined {
    const row = this.sql.row<TagRow>(`${SELECT_TAGS} WHERE t.id = ? AND t.project_id = ?`, id, project);
    return row && toTag(row);
  }

  tagNamed(project: number, name: string): WireTagV2 | undefined {
    const row = this.sql.row<TagRow>(`${SELECT_TAGS} WHERE t.project_id = ? AND t.name = ?`, project, name);
    return row && toTag(row);
  }

  createTag(tag: NewTag): WireTagV2 {
    const id = inTransaction(this.sql.db, () => {
      const created = this.sql
        .prepare('INSERT INTO tags (project_id, name, color, description) VALUES (?, ?, ?, ?)')
        .run(tag.project, tag.name, CATEGORY_COLORS[tag.category], tag.description);
      const tagId = Number(created.lastInsertRowid);
      this.sql.prepare('INSERT INTO tag_attributes (tag_id, category, meta) VALUES (?, ?, ?)').run(tagId, tag.category, JSON.stringify(tag.meta));
      return tagId;
    });
    return this.tag(tag.project, id)!;
  }

  /**
   * Deletes a tag everywhere, as a Django delete cascades its many-to-many rows: off every
   * assignment (whose `updated_at` moves, since its tags changed) and every review.
   * The bump comes first, while `assignment_tags` still says which assignments carried it.
   */
  deleteTag(id: number, now: string): void {
    this.onWrite();
    inTransaction(this.sql.db, () => {
      this.sql
        .prepare('UPDATE assignments SET updated_at = ? WHERE id IN (SELECT assignment_id FROM assignment_tags WHERE tag_id = ?)')
        .run(now, id);
      this.sql.prepare('DELETE FROM assignment_tags WHERE tag_id = ?').run(id);
      this.sql.prepare('DELETE FROM tags WHERE id = ?').run(id);
    });
  }

  /**
   * `limit` rows after (or before) a keyset position, plus one more to tell whether the
   * listing goes on. A page walked backwards is read in reverse and turned around.
   */
  private keysetPage<T>(
    select: string,
    alias: string,
    conditions: string[],
    params: Record<string, SQLInputValue>,
    query: { order: KeysetOrder; from?: Keyset; limit: number },
  ): KeysetPage<T> {
    const columns = query.order.column === 'id' ? [`${alias}.id`] : [`${alias}.created`, `${alias}.id`];
    const backwards = query.from?.backwards ?? false;
    const descending = query.order.descending !== backwards;
    if (query.from) {
      const placeholders = columns.map((_, i) => `@key${i}`);
      conditions.push(`(${columns.join(', ')}) ${descending ? '<' : '>'} (${placeholders.join(', ')})`);
      query.from.key.forEach((value, i) => (params[`key${i}`] = value));
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const order = columns.map((column) => `${column} ${descending ? 'DESC' : 'ASC'}`).join(', ');
    const rows = this.sql.rows<T>(`${select} ${where} ORDER BY ${order} LIMIT @limit`, { ...params, limit: query.limit + 1 });
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    return { rows: backwards ? page.reverse() : page, more };
  }
}

function toReview(row: ReviewRow): WireReview {
  return {
    id: row.id,
    assignment_id: row.assignment_id,
    user_id: row.user_id,
    scope: row.scope,
    is_active: row.is_active === 1,
    tags: JSON.parse(row.tags) as number[],
    object_id: row.object_id,
    description: row.description,
    position: JSON.parse(row.position) as unknown,
    created: row.created,
  };
}

function toTag(row: TagRow): WireTagV2 {
  return {
    id: row.id,
    project_id: row.project_id,
    name: row.name,
    category: row.category,
    description: row.description,
    meta: JSON.parse(row.meta) as Record<string, unknown>,
  };
}
