import type { DatabaseSync } from 'node:sqlite';
import type { WireFile, WireStatus } from '../contract/index.ts';
import { mediaPath, REQUEST_ORIGIN } from './media-urls.ts';
import { choose, mulberry32, shuffle, type Random } from './prng.ts';
import { seedReviewHistory } from './seed-reviews.ts';
import { DISTINCTIVE_WORDS, LABELS, LANGUAGES, PROJECT_TITLES, SOURCES, TAG_DEFINITIONS, WORDS } from './seed-data.ts';
import { createTimeline, HOUR, logNormal, SEED, type Timeline } from './seed-timeline.ts';
import { formatMicros } from './timestamps.ts';
import { ANNOTATORS, DEMO_USERS } from './users.ts';

export interface SeedOptions {
  assignments: number;
  /** Default 4. With 1, every assignment is in project 1. */
  projects?: number;
  /** Timestamps are relative to this; default: the current time rounded down to the hour. */
  now?: Date;
}

/**
 * When things happen draws from its own stream, so the fixed COVERAGE rows keep the
 * content (files, data, tags) they had before the timeline was modelled.
 */
const TIMELINE_SEED = SEED + 1;

/** Working hours before someone picks an assignment up (log-normal: median, spread). */
const WAIT = { median: 36, spread: 1.1 };
/** Working hours from pickup to a decision, beyond the first hour it always takes. */
const WORK = { median: 30, spread: 1 };
/** Decisions that reject the assignment rather than complete it. */
const REJECTED_SHARE = 0.18;

/**
 * The first rows of every project are fixed so that, even in tiny seeds, each
 * automation rule (24 h / 72 h / 168 h) and a 30-day window have rows on both sides.
 */
const COVERAGE: readonly { status: WireStatus; ageHours: number }[] = [
  { status: 'pending', ageHours: 2 },
  { status: 'pending', ageHours: 30 },
  { status: 'in_progress', ageHours: 12 },
  { status: 'in_progress', ageHours: 100 },
  { status: 'completed', ageHours: 48 },
  { status: 'completed', ageHours: 400 },
  { status: 'rejected', ageHours: 20 },
  { status: 'pending', ageHours: 45 * 24 },
];

/**
 * Zipf-like (s = 1) weights over the annotators: with the default 2000 assignments the
 * top one or two assignees of a project complete 50+, the next few 20 to 49, the tail
 * fewer than 20, which is what the seed's performer-tagging workflow sorts people into.
 */
const ASSIGNEE_CUMULATIVE = cumulative(ANNOTATORS.map((_, rank) => 1 / (rank + 1)));

/**
 * Fills a new database. Deterministic: everything but the timestamps' anchor comes
 * from fixed-seed PRNGs, so two seeds with the same `now` are identical (and two whose
 * `now` differs by whole weeks differ only in timestamps: weekends are calendar days).
 * Runs inside the caller's transaction with prepared statements: 100,000 rows take a
 * few seconds.
 */
export function seedDatabase(db: DatabaseSync, options: SeedOptions): void {
  const projects = options.projects ?? 4;
  if (!Number.isSafeInteger(options.assignments) || options.assignments < 0) {
    throw new RangeError(`seed.assignments must be a non-negative integer, got ${options.assignments}`);
  }
  if (!Number.isSafeInteger(projects) || projects < 1) {
    throw new RangeError(`seed.projects must be a positive integer, got ${projects}`);
  }
  const now = (options.now ?? currentHour()).getTime() * 1000;
  const random = mulberry32(SEED);
  const timing = mulberry32(TIMELINE_SEED);
  insertPeopleAndProjects(db, projects);

  // Each project ranks the annotators differently, so top performers differ per project.
  const rankings = Array.from({ length: projects }, () => shuffle(ANNOTATORS.map((a) => a.id), random));
  const timeline = createTimeline(now, timing);
  const arrivals = Array.from({ length: projects }, (_, p) =>
    timeline.arrivals(Math.max(0, Math.ceil((options.assignments - p) / projects) - COVERAGE.length)),
  );
  const insertAssignment = db.prepare(
    `INSERT INTO assignments (id, project_id, status, assignee_id, data, files, metadata, priority, created_at, updated_at)
     VALUES (@id, @project, @status, @assignee, @data, @files, @metadata, @priority, @createdAt, @updatedAt)`,
  );
  const insertTag = db.prepare('INSERT INTO assignment_tags (assignment_id, tag_id) VALUES (?, ?)');
  for (let index = 0; index < options.assignments; index++) {
    const project = (index % projects) + 1;
    const coverage = COVERAGE[Math.floor(index / projects)];
    const timestamps = coverage
      ? coverageTimestamps(coverage, now, random)
      : scheduleWork(arrivals[project - 1]!(), timeline, timing);
    const row = generateAssignment(index + 1, project, timestamps, rankings[project - 1]!, random);
    const { tagIds, ...columns } = row;
    insertAssignment.run(columns);
    for (const tagId of tagIds) insertTag.run(row.id, tagId);
  }
  seedReviewHistory(db, now);
}

interface GeneratedAssignment {
  id: number;
  project: number;
  status: WireStatus;
  assignee: number | null;
  data: string | null;
  files: string;
  metadata: string;
  priority: number | null;
  createdAt: string;
  updatedAt: string;
  tagIds: number[];
}

/** A row's status and times: `updated` is when it was picked up or decided, if it was. */
interface Timestamps {
  status: WireStatus;
  created: number;
  updated: number;
}

/**
 * An arrival's fate by `now`: pending until picked up, in progress until decided,
 * completed or rejected once decided; whatever would happen after now has not yet.
 */
function scheduleWork(created: number, timeline: Timeline, random: Random): Timestamps {
  const started = timeline.after(created, logNormal(WAIT.median, WAIT.spread, random));
  if (started === null) return { status: 'pending', created, updated: created };
  const decided = timeline.after(started, 1 + logNormal(WORK.median, WORK.spread, random));
  if (decided === null) return { status: 'in_progress', created, updated: started };
  return { status: random() < REJECTED_SHARE ? 'rejected' : 'completed', created, updated: decided };
}

/** A COVERAGE row's times, its update inside its age so that it lies before now. */
function coverageTimestamps(coverage: { status: WireStatus; ageHours: number }, now: number, random: Random): Timestamps {
  const created = now - coverage.ageHours * HOUR - Math.floor(random() * HOUR * 0.5);
  if (coverage.status === 'pending') return { status: coverage.status, created, updated: created };
  const lagHours = Math.min(119, coverage.ageHours - 2);
  return { status: coverage.status, created, updated: created + HOUR + Math.floor(random() * lagHours * HOUR) };
}

function generateAssignment(
  id: number,
  project: number,
  { status, created, updated }: Timestamps,
  ranking: readonly number[],
  random: Random,
): GeneratedAssignment {
  const assignee = status === 'pending' && random() < 0.4 ? null : ranking[pick(ASSIGNEE_CUMULATIVE, random)]!;
  const priority = random() < 0.05 ? null : 1 + Math.floor(random() * 5);
  const hasData = !(status === 'pending' && assignee === null && random() < 0.25);
  return {
    id,
    project,
    status,
    assignee,
    data: hasData ? JSON.stringify(generateData(status, random)) : null,
    files: JSON.stringify(generateFiles(id, project, random)),
    metadata: JSON.stringify({
      batch: `b-${String((Math.floor(id / 50) % 40) + 1).padStart(2, '0')}`,
      language: choose(LANGUAGES, random),
    }),
    priority,
    createdAt: formatMicros(created),
    updatedAt: formatMicros(updated),
    tagIds: generateTags(project, status, priority, random),
  };
}

function generateData(status: WireStatus, random: Random): Record<string, unknown> {
  const words = Array.from({ length: 6 + Math.floor(random() * 7) }, () => choose(WORDS, random));
  if (random() < 0.04) words.splice(Math.floor(random() * words.length), 0, choose(DISTINCTIVE_WORDS, random));
  const annotationCount = status === 'pending' ? 0 : 1 + Math.floor(random() * 3);
  const annotations = Array.from({ length: annotationCount }, () => ({
    label: choose(LABELS, random),
    score: Math.round((0.5 + random() * 0.5) * 100) / 100,
  }));
  return { text: words.join(' '), annotations, source: choose(SOURCES, random) };
}

/**
 * Mostly relative URLs (what FILE_URL_PREFIX rewrites), some absolute, strings and
 * `{url, size, mime}` objects: every one a PNG this backend serves (see media.ts).
 * `size` is the nominal size of the original upload, not of the generated stand-in.
 */
function generateFiles(id: number, project: number, random: Random): Record<string, WireFile> {
  const image = mediaPath(project, 'img', id);
  const kind = random();
  const files: Record<string, WireFile> = {
    image:
      kind < 0.1
        ? `${REQUEST_ORIGIN}${image}`
        : kind < 0.3
          ? { url: image, size: 20_000 + Math.floor(random() * 400_000), mime: 'image/png' }
          : image,
  };
  if (random() < 0.5) {
    files.thumbnail = { url: mediaPath(project, 'thumb', id), size: 2_000 + Math.floor(random() * 20_000), mime: 'image/png' };
  }
  if (random() < 0.05) files.report = `${REQUEST_ORIGIN}${mediaPath(project, 'report', id)}`;
  return files;
}

function generateTags(project: number, status: WireStatus, priority: number | null, random: Random): number[] {
  const names: string[] = [];
  if (status === 'completed' && random() < 0.3) {
    const quality = random();
    names.push(quality < 0.6 ? 'approved' : quality < 0.9 ? 'needs_review' : 'rejected');
  }
  if (priority === 5 && random() < 0.4) names.push('high_priority');
  if (priority === 1 && random() < 0.2) names.push('low_priority');
  if (random() < 0.02) names.push(random() < 0.5 ? 'duplicate' : 'blurry');
  return names.map((name) => tagId(project, name));
}

/** Tag ids are global: project p's tags are a block of TAG_DEFINITIONS.length ids. */
function tagId(project: number, name: string): number {
  return (project - 1) * TAG_DEFINITIONS.length + TAG_DEFINITIONS.findIndex((tag) => tag.name === name) + 1;
}

function insertPeopleAndProjects(db: DatabaseSync, projects: number): void {
  const insertUser = db.prepare('INSERT INTO users (id, username, name, token, is_admin) VALUES (?, ?, ?, ?, ?)');
  for (const user of DEMO_USERS) insertUser.run(user.id, user.username, user.name, user.token, user.isAdmin ? 1 : 0);
  for (const annotator of ANNOTATORS) insertUser.run(annotator.id, annotator.username, annotator.name, null, 0);

  const insertProject = db.prepare('INSERT INTO projects (id, title) VALUES (?, ?)');
  const insertTag = db.prepare('INSERT INTO tags (id, project_id, name, color, description) VALUES (?, ?, ?, ?, ?)');
  for (let project = 1; project <= projects; project++) {
    insertProject.run(project, PROJECT_TITLES[project - 1] ?? `Project ${project}`);
    for (const tag of TAG_DEFINITIONS) insertTag.run(tagId(project, tag.name), project, tag.name, tag.color, tag.description);
  }

  const insertMembership = db.prepare('INSERT INTO user_projects (user_id, project_id, role) VALUES (?, ?, ?)');
  for (const user of DEMO_USERS) {
    for (const { project, role } of user.projects) if (project <= projects) insertMembership.run(user.id, project, role);
  }
}

function currentHour(): Date {
  return new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
}

function cumulative(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0);
  let running = 0;
  return weights.map((w) => (running += w / total));
}

/** Index drawn from a cumulative distribution. */
function pick(cumulativeWeights: readonly number[], random: Random): number {
  const r = random();
  const index = cumulativeWeights.findIndex((bound) => r < bound);
  return index === -1 ? cumulativeWeights.length - 1 : index;
}
