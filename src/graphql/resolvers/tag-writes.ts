import type { UserError } from '../../__generated__/resolvers-types.ts';
import type { WireAssignment } from '../../contract/index.ts';
import type { AssignmentChange } from '../../live/live-updates.ts';
import type { SetTagsMode, SynapseClient } from '../../upstream/client.ts';
import { UpstreamError, writeOutcomeUnknown } from '../../upstream/errors.ts';
import { userError, type NamedTag } from '../../workflows/input.ts';
import type { TagWrite } from '../../workflows/write-plan.ts';
import { gatewayError, refusalAbout } from '../errors.ts';
import type { Loaders } from '../loaders/create-loaders.ts';
import type { TagModel } from '../models.ts';

/**
 * Reads the assignments a mutation names (one batched call) before it writes anything:
 * a missing one is a userError at its index in `ids`, any other failure is thrown.
 */
export async function loadAssignments(loaders: Loaders, ids: readonly number[]): Promise<{ rows: WireAssignment[]; userErrors: UserError[] }> {
  const loaded = await loaders.assignmentById.loadMany(ids);
  const rows: WireAssignment[] = [];
  const userErrors: UserError[] = [];
  loaded.forEach((result, i) => {
    if (result instanceof UpstreamError && result.code === 'NOT_FOUND') {
      userErrors.push(userError('NOT_FOUND', `Assignment ${ids[i]} does not exist.`, ['input', 'assignmentIds', i]));
    } else if (result instanceof Error) {
      throw result;
    } else {
      rows.push(result);
    }
  });
  return { rows, userErrors };
}

/**
 * Finds each tag name in each project. Names are per project in Synapse, so the
 * same name has a different id in each project.
 */
export async function resolveTagNames(
  loaders: Loaders,
  projectIds: Iterable<number>,
  names: readonly string[],
  field: (string | number)[],
): Promise<{ byProject: Map<number, Map<string, TagModel>>; userErrors: UserError[] }> {
  const projects = [...new Set(projectIds)];
  const lists = await Promise.all(projects.map((projectId) => loaders.tagsByProject.load(projectId)));
  const byProject = new Map<number, Map<string, TagModel>>();
  const userErrors: UserError[] = [];
  projects.forEach((projectId, i) => {
    const byName = new Map(lists[i]!.map((tag) => [tag.name, tag]));
    const found = new Map<string, TagModel>();
    for (const name of names) {
      const tag = byName.get(name);
      if (tag) found.set(name, tag);
      else userErrors.push(userError('UNKNOWN_TAG', `Tag "${name}" does not exist in project ${projectId}.`, field));
    }
    byProject.set(projectId, found);
  });
  return { byProject, userErrors };
}

/**
 * resolveTagNames for names that come from different input fields. The per-request
 * loader caches each project's tag list, so this still costs one call per project.
 */
export async function resolveNamedTags(
  loaders: Loaders,
  projectIds: Iterable<number>,
  tags: readonly NamedTag[],
): Promise<{ byProject: Map<number, Map<string, TagModel>>; userErrors: UserError[] }> {
  const projects = [...new Set(projectIds)];
  const resolved = await Promise.all(tags.map((tag) => resolveTagNames(loaders, projects, [tag.name], tag.field)));
  const byProject = new Map<number, Map<string, TagModel>>(projects.map((projectId) => [projectId, new Map()]));
  for (const one of resolved) {
    for (const [projectId, found] of one.byProject) for (const [name, tag] of found) byProject.get(projectId)!.set(name, tag);
  }
  return { byProject, userErrors: resolved.flatMap((one) => one.userErrors) };
}

/**
 * Synapse's refusal of a write's input (a 400) as userErrors: one per field message, at the
 * input field `inputField` names for it, or `fallback` when the answer named no field.
 */
export function rejectedByUpstream(
  error: UpstreamError,
  fallback: string,
  inputField: (upstreamField: string) => (string | number)[] = () => ['input'],
): UserError[] {
  return error.fieldErrors.length > 0
    ? error.fieldErrors.map((f) => userError('REJECTED_BY_UPSTREAM', `${f.field}: ${f.message}`, inputField(f.field)))
    : [userError('REJECTED_BY_UPSTREAM', fallback, ['input'])];
}

/** Outcome of a batch of writes that all went through. */
export interface WriteOutcome {
  writeCalls: number;
  /** Field errors of a 400 on the first write: nothing was changed, report as userErrors. */
  userErrors: UserError[];
}

/**
 * Runs a write plan against the caller's client, one write after another: the one
 * executor of every mutation (a dry run never gets here; it returns the plan). A write
 * may carry its own action (a review adds one verdict's tag and removes the others').
 * Writes are never retried. A 400 on the first write becomes userErrors (nothing
 * changed). Any other upstream failure is a top-level error listing which assignment
 * ids were applied, which were not, and which may or may not have been (the write
 * left but its answer was lost), so no write is silently lost or silently doubtful.
 * Whatever was (or may have been) written is reported to `afterWrite` before this
 * returns or throws: the response cache drops what it showed, live subscribers hear.
 */
export async function executeTagWrites(
  client: SynapseClient,
  writes: readonly (TagWrite & { action?: SetTagsMode })[],
  options: { mode: SetTagsMode; notify: boolean },
  afterWrite: (change: AssignmentChange) => Promise<void> = async () => {},
): Promise<WriteOutcome> {
  const applied: number[] = [];
  const touched: TagWrite[] = [];
  const report = () =>
    touched.length === 0
      ? Promise.resolve()
      : afterWrite({ assignmentIds: touched.flatMap((w) => w.assignmentIds), projectIds: touched.map((w) => w.projectId) });
  for (const [index, write] of writes.entries()) {
    try {
      await client.setTags({ assignmentIds: write.assignmentIds, tagIds: write.tagIds, mode: write.action ?? options.mode, notify: options.notify });
      applied.push(...write.assignmentIds);
      touched.push(write);
    } catch (caught) {
      if (caught instanceof UpstreamError && writeOutcomeUnknown(caught)) touched.push(write);
      await report();
      if (!(caught instanceof UpstreamError)) throw caught;
      const error = refusalAbout.tagWrite(caught, write.projectId) as UpstreamError;
      if (index === 0 && error.code === 'BAD_USER_INPUT') {
        return {
          writeCalls: 1,
          userErrors: rejectedByUpstream(error, 'The Synapse backend rejected the tagging request.'),
        };
      }
      // A refusal of the first write (403, 404...) changed nothing: the plain error says it all.
      if (index === 0 && error.code !== 'UPSTREAM_UNAVAILABLE') throw error;
      const unknown = writeOutcomeUnknown(error);
      throw gatewayError(error.code, `Tagging stopped at upstream write ${index + 1} of ${writes.length}: ${error.message}`, {
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
        ...(error.resource === undefined ? {} : { resource: { type: error.resource.type, id: String(error.resource.id) } }),
        appliedAssignmentIds: applied,
        notAppliedAssignmentIds: writes.slice(index + (unknown ? 1 : 0)).flatMap((w) => w.assignmentIds),
        unknownOutcomeAssignmentIds: unknown ? write.assignmentIds : [],
      });
    }
  }
  await report();
  return { writeCalls: writes.length, userErrors: [] };
}
