import type { UserError, UserErrorCode } from '../__generated__/resolvers-types.ts';
import { gatewayError } from '../errors.ts';
import type { Loaders } from '../loaders/create-loaders.ts';
import type { TagModel } from '../models.ts';
import type { SetTagsMode, SynapseClient } from '../upstream/client.ts';
import { UpstreamError, writeOutcomeUnknown } from '../upstream/errors.ts';

/** Most assignment ids one `set_tags` call carries. */
export const MAX_IDS_PER_WRITE = 1000;

export function userError(code: UserErrorCode, message: string, field: (string | number)[] | null = null): UserError {
  return { code, message, field: field?.map(String) ?? null };
}

/** One planned `set_tags` call: these tags onto these assignments of one project. */
export interface TagWrite {
  projectId: number;
  tagIds: number[];
  assignmentIds: number[];
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

/** Longest tag name accepted in mutation input (Synapse tag names are short labels). */
const MAX_TAG_NAME_LENGTH = 100;

/** A trimmed tag name, or a user error at `field` when it is empty or too long. */
export function parseTagName(raw: string, field: (string | number)[]): { name: string } | { error: UserError } {
  const name = raw.trim();
  if (name === '' || name.length > MAX_TAG_NAME_LENGTH) {
    return { error: userError('INVALID', `A tag name must have 1 to ${MAX_TAG_NAME_LENGTH} characters.`, field) };
  }
  return { name };
}

/** A tag name with the input field it came from, so an unknown name is reported at its own field. */
export interface NamedTag {
  name: string;
  field: (string | number)[];
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

/** One assignment that should get one tag (by name, resolved in the assignment's project). */
export interface TagAssignment {
  projectId: number;
  assignmentId: number;
  tagName: string;
}

/**
 * Batches what workflows decide per assignment into `set_tags` calls: one per
 * (project, tag), split into chunks of MAX_IDS_PER_WRITE. Tag ids differ per project,
 * so with one project this is one call per tag, never one per assignment. Every name
 * must already be resolved in `tags` (workflows refuse unknown names before planning).
 */
export function planTagWrites(items: Iterable<TagAssignment>, tags: ReadonlyMap<number, ReadonlyMap<string, TagModel>>): TagWrite[] {
  const groups = new Map<string, { projectId: number; tagId: number; ids: Set<number> }>();
  for (const item of items) {
    const tag = tags.get(item.projectId)?.get(item.tagName);
    if (!tag) throw new Error(`Tag "${item.tagName}" was not resolved in project ${item.projectId}`);
    const key = `${item.projectId}:${tag.id}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { projectId: item.projectId, tagId: tag.id, ids: new Set() }));
    group.ids.add(item.assignmentId);
  }
  const writes = [...groups.values()]
    .sort((a, b) => a.projectId - b.projectId || a.tagId - b.tagId)
    .map((group) => ({ projectId: group.projectId, tagIds: [group.tagId], assignmentIds: [...group.ids] }));
  return chunkWrites(writes);
}

/** Splits writes so that none carries more than MAX_IDS_PER_WRITE assignment ids. */
export function chunkWrites(writes: readonly TagWrite[], size = MAX_IDS_PER_WRITE): TagWrite[] {
  return writes.flatMap((write) => {
    const ids = [...write.assignmentIds].sort((a, b) => a - b);
    const chunks: TagWrite[] = [];
    for (let i = 0; i < ids.length; i += size) chunks.push({ ...write, assignmentIds: ids.slice(i, i + size) });
    return chunks;
  });
}

/** Outcome of a batch of writes that all went through. */
export interface WriteOutcome {
  writeCalls: number;
  /** Field errors of a 400 on the first write: nothing was changed, report as userErrors. */
  userErrors: UserError[];
}

/**
 * Runs the writes one after another. Writes are never retried. A 400 on the first
 * write becomes userErrors (nothing changed). Any other upstream failure is a
 * top-level error listing which assignment ids were applied, which were not, and
 * which may or may not have been (the write left but its answer was lost), so no
 * write is silently lost or silently doubtful.
 */
export async function executeTagWrites(
  client: SynapseClient,
  writes: readonly TagWrite[],
  options: { mode: SetTagsMode; notify: boolean },
): Promise<WriteOutcome> {
  const applied: number[] = [];
  for (const [index, write] of writes.entries()) {
    try {
      await client.setTags({ assignmentIds: write.assignmentIds, tagIds: write.tagIds, mode: options.mode, notify: options.notify });
      applied.push(...write.assignmentIds);
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      if (index === 0 && error.code === 'BAD_USER_INPUT') {
        return {
          writeCalls: 1,
          userErrors: error.fieldErrors.length
            ? error.fieldErrors.map((f) => userError('REJECTED_BY_UPSTREAM', `${f.field}: ${f.message}`, ['input']))
            : [userError('REJECTED_BY_UPSTREAM', 'The Synapse backend rejected the tagging request.', ['input'])],
        };
      }
      // A refusal of the first write (403, 404...) changed nothing: the plain error says it all.
      if (index === 0 && error.code !== 'UPSTREAM_UNAVAILABLE') throw error;
      const unknown = writeOutcomeUnknown(error);
      throw gatewayError(error.code, `Tagging stopped at upstream write ${index + 1} of ${writes.length}: ${error.message}`, {
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
        appliedAssignmentIds: applied,
        notAppliedAssignmentIds: writes.slice(index + (unknown ? 1 : 0)).flatMap((w) => w.assignmentIds),
        unknownOutcomeAssignmentIds: unknown ? write.assignmentIds : [],
      });
    }
  }
  return { writeCalls: writes.length, userErrors: [] };
}
