import DataLoader from 'dataloader';
import { refusalAbout } from '../errors.ts';
import type { TagModel } from '../models.ts';
import type { SynapseClient } from '../../upstream/client.ts';
import type { WireAssignment } from '../../contract/index.ts';

/** The DataLoaders of one request. */
export interface Loaders {
  /** Assignments by id: every id asked in one tick becomes one batched fetch. */
  assignmentById: DataLoader<number, WireAssignment>;
  /** Every tag of a project: one tag-list call per project per request. */
  tagsByProject: DataLoader<number, TagModel[]>;
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
    tagsByProject: new DataLoader(async (projectIds) => {
      const settled = await Promise.allSettled(projectIds.map((projectId) => client.listProjectTags(projectId)));
      return settled.map((outcome, i) =>
        outcome.status === 'fulfilled'
          ? outcome.value.map((tag) => ({ ...tag, projectId: projectIds[i]! }))
          : toError(refusalAbout.projectTags(outcome.reason, projectIds[i]!)),
      );
    }),
  };
}

/** Puts listed rows in the loader so later `assignment(id)` lookups cost nothing. */
export function primeAssignments(loaders: Loaders, rows: readonly WireAssignment[]): void {
  for (const row of rows) loaders.assignmentById.clear(row.id).prime(row.id, row);
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
