/** Most assignment ids one `set_tags` call carries. */
export const MAX_IDS_PER_WRITE = 1000;

/** One planned `set_tags` call: these tags onto these assignments of one project. */
export interface TagWrite {
  projectId: number;
  tagIds: number[];
  assignmentIds: number[];
}

/** One assignment that should get one tag (by name, resolved in the assignment's project). */
export interface TagAssignment {
  projectId: number;
  assignmentId: number;
  tagName: string;
}

/** How many assignments a plan gives one tag (a payload's `summary`). */
export interface TagTally {
  tagName: string;
  count: number;
}

/** Tag names resolved to ids, per project (names are per project in Synapse). */
export type ResolvedTags = ReadonlyMap<number, ReadonlyMap<string, { id: number }>>;

/**
 * Batches what workflows decide per assignment into `set_tags` calls: one per
 * (project, tag), split into chunks of MAX_IDS_PER_WRITE. Tag ids differ per project,
 * so with one project this is one call per tag, never one per assignment. Every name
 * must already be resolved in `tags` (workflows refuse unknown names before planning).
 */
export function planTagWrites(items: Iterable<TagAssignment>, tags: ResolvedTags): TagWrite[] {
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
