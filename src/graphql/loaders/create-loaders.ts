import DataLoader from 'dataloader';
import { refusalAbout } from '../errors.ts';
import type { TagModel } from '../models.ts';
import type { SynapseClient } from '../../upstream/client.ts';
import type { WireAssignment, WireAssignmentV2, WireReview, WireReviewItem } from '../../contract/index.ts';
import type { V2Page } from '../../upstream/v2.ts';

/** One page of one assignment's reviews, as asked. */
export interface ReviewPageKey {
  assignmentId: number;
  cursor: string | null;
  perPage: number;
  /** Ask the list for these detail fields too (the operation selects them). */
  fields: readonly string[] | undefined;
}

/** The DataLoaders of one request. */
export interface Loaders {
  /** Assignments by id: every id asked in one tick becomes one batched fetch. */
  assignmentById: DataLoader<number, WireAssignment>;
  /** Every tag of a project: one tag-list call per project per request. */
  tagsByProject: DataLoader<number, TagModel[]>;
  /**
   * Pages of an assignment's reviews: each page read once per request however many
   * fields ask for it; v2 lists one assignment per call, so a batch is one call per key
   * (at most SYNAPSE_CONCURRENCY in flight, as every call of the operation).
   */
  reviewPages: DataLoader<ReviewPageKey, V2Page<WireReviewItem & Partial<WireReview>>, string>;
  /** A review's detail, for fields a lean list item lacks. */
  reviewById: DataLoader<number, WireReview>;
  /** v2's assignment detail (reviewer, review status, flags), only for the fields that need it. */
  assignmentV2ById: DataLoader<number, WireAssignmentV2>;
}

/**
 * Fresh loaders for one request, closed over that caller's client. Never build them
 * at module level: a shared cache would answer one caller with another's rows.
 */
export function createLoaders(client: SynapseClient): Loaders {
  return {
    assignmentById: new DataLoader(async (ids) => {
      const found = await client.getAssignmentsByIds(ids);
      return ids.map((id) => {
        const result = found.get(id);
        if (result === undefined) return new Error(`Assignment ${id} missing from the batch result`);
        return result instanceof Error ? toError(refusalAbout.assignment(result, id)) : result;
      });
    }),
    tagsByProject: new DataLoader((projectIds) =>
      eachOf(
        projectIds,
        async (projectId) => (await client.listProjectTags(projectId)).map((tag) => ({ ...tag, projectId })),
        (projectId, error) => refusalAbout.projectTags(error, projectId),
      ),
    ),
    reviewPages: new DataLoader(
      (keys) => eachOf(keys, (key) => client.listReviews(key.assignmentId, key), (key, error) => refusalAbout.assignment(error, key.assignmentId)),
      { cacheKeyFn: (key) => JSON.stringify([key.assignmentId, key.cursor, key.perPage, key.fields ?? null]) },
    ),
    reviewById: new DataLoader((ids) => eachOf(ids, (id) => client.getReview(id), (id, error) => refusalAbout.review(error, id))),
    assignmentV2ById: new DataLoader((ids) => eachOf(ids, (id) => client.getAssignmentV2(id), (id, error) => refusalAbout.assignment(error, id))),
  };
}

/** One upstream call per key, all at once (the client bounds how many are in flight); each failure stays its key's. */
async function eachOf<K, V>(keys: readonly K[], read: (key: K) => Promise<V>, refusal: (key: K, error: unknown) => unknown): Promise<(V | Error)[]> {
  const settled = await Promise.allSettled(keys.map(read));
  return settled.map((outcome, i) => (outcome.status === 'fulfilled' ? outcome.value : toError(refusal(keys[i]!, outcome.reason))));
}

/** Puts listed rows in the loader so later `assignment(id)` lookups cost nothing. */
export function primeAssignments(loaders: Loaders, rows: readonly WireAssignment[]): void {
  for (const row of rows) loaders.assignmentById.clear(row.id).prime(row.id, row);
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
