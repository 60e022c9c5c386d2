import type { DatabaseSync } from 'node:sqlite';
import { choose, mulberry32, type Random } from './prng.ts';
import { HOUR, logNormal, SEED } from './seed-timeline.ts';
import { formatMicros, storedMicros } from './timestamps.ts';
import { ANNOTATORS } from './users.ts';

/** Its own stream, so the assignments' content and timeline stay as they were seeded before reviews existed. */
const REVIEW_SEED = SEED + 2;

type Verdict = 'approved' | 'needs_review' | 'rejected';
const VERDICTS: readonly Verdict[] = ['approved', 'needs_review', 'rejected'];

/** What reviewers wrote with each verdict; the first word of a review tells its verdict at a glance. */
const VERDICT_COMMENTS: Readonly<Record<Verdict, readonly string[]>> = {
  approved: [
    'Approved: boxes are tight and every label matches the guideline.',
    'Approved: clean work, nothing to add.',
    'Approved: checked the edge cases, all consistent.',
    'Approved after a second look at the small objects.',
  ],
  needs_review: [
    'Needs review: two labels disagree with the image, second opinion please.',
    'Needs review: occluded objects are labelled inconsistently.',
    'Needs review: unsure about the class of the object on the left.',
    'Needs review: transcription has gaps around the noisy part.',
  ],
  rejected: [
    'Rejected: wrong class on most objects, please redo.',
    'Rejected: annotations missing for half of the items.',
    'Rejected: boxes are far too loose, see the guideline section 3.',
    'Rejected: this is a duplicate of an earlier assignment.',
  ],
};

/** Comments without a verdict: questions and notes left before (or instead of) a decision. */
const NOTES: readonly string[] = [
  'Left a note on the cropped region; the rest looks fine so far.',
  'Is the blurry frame in scope? Asking the project lead.',
  'Started checking; labels on the right side still to do.',
  'Flagging for calibration: good example for the next training round.',
];

/** Why work was sent back without a verdict tag (v1 status `rejected`). */
const SEND_BACK: readonly string[] = [
  'Sent back: the source file does not match the task description.',
  'Sent back: annotation started on the wrong version of the data.',
  'Sent back: most required fields are empty.',
];

interface ReviewedRow {
  id: number;
  project_id: number;
  status: string;
  assignee_id: number | null;
  updated_at: string;
  /** JSON array of [tag id, tag name] pairs. */
  tags: string;
}

/**
 * A review history consistent with the seeded rows: every assignment carrying a verdict
 * tag has that verdict's review (its tag on the review, its reason in the text), some
 * with an earlier note; rows sent back (`rejected`) have a review saying why; a few
 * completed rows have a note only, a few pending ones were skipped. Authors are
 * annotators other than the assignee and the project's members; every review comes
 * after the decision it records and before now. Deterministic, like the seed; a
 * database that already has reviews is left alone. `now` (µs) is the seed's; without it
 * (a migration), the current hour or, for a database seeded ahead of it, its newest row.
 */
export function seedReviewHistory(db: DatabaseSync, now?: number): void {
  db.exec(`INSERT OR IGNORE INTO tag_attributes (tag_id, category, meta) SELECT id, 'project', '{}' FROM tags`);
  if (db.prepare('SELECT 1 FROM reviews LIMIT 1').get() !== undefined) return;
  const rows = db
    .prepare(
      `SELECT a.id, a.project_id, a.status, a.assignee_id, a.updated_at,
         (SELECT json_group_array(json_array(t.id, t.name)) FROM assignment_tags x JOIN tags t ON t.id = x.tag_id
          WHERE x.assignment_id = a.id) AS tags
       FROM assignments a ORDER BY a.id`,
    )
    .all() as unknown as ReviewedRow[];
  const end = now ?? migrationNow(rows);
  const members = new Map<number, number[]>();
  for (const { project_id, user_id } of db
    .prepare("SELECT project_id, user_id FROM user_projects WHERE role = 'member' ORDER BY project_id, user_id")
    .all() as { project_id: number; user_id: number }[]) {
    members.set(project_id, [...(members.get(project_id) ?? []), user_id]);
  }
  const insertReview = db.prepare(
    `INSERT INTO reviews (assignment_id, user_id, scope, is_active, object_id, description, position, created)
     VALUES (?, ?, 'assignment', 1, NULL, ?, 'null', ?)`,
  );
  const insertTag = db.prepare('INSERT INTO review_tags (review_id, tag_id) VALUES (?, ?)');
  const insertSkip = db.prepare('INSERT INTO assignment_skips (assignment_id, user_id, created) VALUES (?, ?, ?)');
  const random = mulberry32(REVIEW_SEED);

  for (const row of rows) {
    const tags = JSON.parse(row.tags) as [number, string][];
    const reviewers = [...ANNOTATORS.map((a) => a.id), ...(members.get(row.project_id) ?? [])].filter((id) => id !== row.assignee_id);
    const author = () => reviewers[Math.floor(random() * reviewers.length)]!;
    let at = storedMicros(row.updated_at);
    const later = () => (at = between(at, end, random));
    const review = (text: string, tagIds: number[]) => {
      const id = Number(insertReview.run(row.id, author(), text, formatMicros(later())).lastInsertRowid);
      for (const tagId of tagIds) insertTag.run(id, tagId);
    };

    const verdict = VERDICTS.find((name) => tags.some(([, tag]) => tag === name));
    if (verdict) {
      if (random() < (verdict === 'approved' ? 0.1 : verdict === 'needs_review' ? 0.6 : 0.3)) review(choose(NOTES, random), []);
      // The verdict's review carries its tag, and a defect tag the row has (blurry, duplicate) when it explains it.
      const reasons = tags.filter(([, tag]) => tag === verdict || (verdict !== 'approved' && (tag === 'blurry' || tag === 'duplicate')));
      review(choose(VERDICT_COMMENTS[verdict], random), reasons.map(([id]) => id));
    } else if (row.status === 'rejected') {
      if (random() < 0.7) review(choose(SEND_BACK, random), []);
    } else if (row.status === 'completed') {
      if (random() < 0.1) review(choose(NOTES, random), []);
    } else if (row.status === 'pending' && random() < 0.08) {
      insertSkip.run(row.id, author(), formatMicros(later()));
    }
  }
}

/**
 * `now` for a migration: the current hour or, since a kept database may have been seeded
 * with a later `now` than today's, an hour past its newest row, so its reviews still
 * follow its decisions.
 */
function migrationNow(rows: readonly ReviewedRow[]): number {
  const newest = rows.reduce((max, row) => Math.max(max, storedMicros(row.updated_at)), 0);
  return Math.max(Math.floor(Date.now() / 3_600_000) * HOUR, newest + HOUR);
}

/** A time after `from` and before `end`: hours after it in the median, never at or past `end`. */
function between(from: number, end: number, random: Random): number {
  const delay = Math.floor(logNormal(4, 1, random) * HOUR);
  return from + delay < end ? from + delay : from + Math.floor((end - from) * random());
}

