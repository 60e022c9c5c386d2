import type { MutationSetAssignmentTagsArgs, Resolvers, UserError } from '../../__generated__/resolvers-types.ts';
import { toSynapseId } from '../../contract/index.ts';
import { tagListTag } from '../../cache/response-cache.ts';
import type { GatewayContext } from '../../context.ts';
import { parseTagName, userError } from '../../workflows/input.ts';
import { MAX_IDS_PER_WRITE, type TagWrite } from '../../workflows/write-plan.ts';
import { MODE_TO_WIRE } from '../enums.ts';
import type { SetAssignmentTagsPayloadModel, TagModel } from '../models.ts';
import { parseId } from './args.ts';
import { executeTagWrites, loadAssignments, resolveTagNames } from './tag-writes.ts';

/** Cap of tags per `setAssignmentTags` call. */
export const MAX_TAGS_PER_MUTATION = 50;

export const tagResolvers: Resolvers = {
  Query: {
    tags: (_root, { projectId }, ctx) => {
      const id = parseId(projectId, 'projectId');
      ctx.cacheTags.add(tagListTag(id));
      return ctx.loaders.tagsByProject.load(id);
    },
  },
  Mutation: {
    setAssignmentTags: (_root, args, ctx) => setAssignmentTags(ctx, args.input),
  },
  SetAssignmentTagsPayload: {
    // Read back through the loader, whose written ids were cleared: one batched call, after the write.
    assignments: (payload, _args, ctx) => Promise.all(payload.assignmentIds.map((id) => ctx.loaders.assignmentById.load(id))),
  },
  Tag: {
    id: (tag) => tag.id,
    projectId: (tag) => tag.projectId,
    name: (tag) => tag.name,
    color: (tag) => tag.color ?? null,
    description: (tag) => tag.description ?? null,
  },
};

type Payload = SetAssignmentTagsPayloadModel;

const refused = (userErrors: UserError[]): Payload => ({ assignmentIds: [], tags: [], writeCalls: 0, userErrors });

/**
 * Validates everything it can before the first write (ids, tag names, tag projects),
 * then makes one `set_tags` call per project, and answers with the assignments read
 * fresh after the change.
 */
async function setAssignmentTags(ctx: GatewayContext, input: MutationSetAssignmentTagsArgs['input']): Promise<Payload> {
  const { ids, tagIds, tagNames, userErrors } = validateInput(input);
  if (userErrors.length > 0) return refused(userErrors);

  const { rows, userErrors: missing } = await loadAssignments(ctx.loaders, ids);
  if (missing.length > 0) return refused(missing);

  const byProject = new Map<number, number[]>();
  for (const row of rows) byProject.set(row.project, [...(byProject.get(row.project) ?? []), row.id]);

  const tagsPerProject = new Map<number, TagModel[]>();
  if (tagNames) {
    const resolved = await resolveTagNames(ctx.loaders, byProject.keys(), tagNames, ['input', 'tagNames']);
    if (resolved.userErrors.length > 0) return refused(resolved.userErrors);
    for (const [projectId, found] of resolved.byProject) tagsPerProject.set(projectId, [...found.values()]);
  } else {
    const projects = [...byProject.keys()];
    const lists = await Promise.all(projects.map((projectId) => ctx.loaders.tagsByProject.load(projectId)));
    projects.forEach((projectId, i) => {
      const byId = new Map(lists[i]!.map((tag) => [tag.id, tag]));
      const found: TagModel[] = [];
      for (const tagId of tagIds!) {
        const tag = byId.get(tagId);
        if (tag) found.push(tag);
        else {
          const sample = byProject.get(projectId)!.slice(0, 5).join(', ');
          userErrors.push(
            userError(
              'TAG_PROJECT_MISMATCH',
              `Tag ${tagId} is not a tag of project ${projectId}, the project of assignment(s) ${sample}.`,
              ['input', 'tagIds'],
            ),
          );
        }
      }
      tagsPerProject.set(projectId, found);
    });
    if (userErrors.length > 0) return refused(userErrors);
  }

  const writes: TagWrite[] = [...byProject].map(([projectId, assignmentIds]) => ({
    projectId,
    assignmentIds,
    tagIds: tagsPerProject.get(projectId)!.map((tag) => tag.id),
  }));
  const outcome = await executeTagWrites(
    ctx.client,
    writes,
    { mode: MODE_TO_WIRE[input.mode ?? 'ADD'], notify: input.notify ?? false },
    ctx.afterWrite,
  );
  if (outcome.userErrors.length > 0) return { ...refused(outcome.userErrors), writeCalls: outcome.writeCalls };

  // The loader holds the rows from before the write: the payload reads them back.
  for (const id of ids) ctx.loaders.assignmentById.clear(id);
  const tags = [...new Map([...tagsPerProject.values()].flat().map((tag) => [tag.id, tag])).values()];
  return { assignmentIds: ids, tags, writeCalls: outcome.writeCalls, userErrors: [] };
}

/** Checks the input without any upstream call; bad input never reaches Synapse. */
function validateInput(input: MutationSetAssignmentTagsArgs['input']): {
  ids: number[];
  tagIds: number[] | null;
  tagNames: string[] | null;
  userErrors: UserError[];
} {
  const userErrors: UserError[] = [];
  const ids: number[] = [];
  if (input.assignmentIds.length === 0) {
    userErrors.push(userError('INVALID', 'Give at least one assignment id.', ['input', 'assignmentIds']));
  } else if (input.assignmentIds.length > MAX_IDS_PER_WRITE) {
    userErrors.push(
      userError('TOO_MANY', `At most ${MAX_IDS_PER_WRITE} assignment ids per call, got ${input.assignmentIds.length}.`, [
        'input',
        'assignmentIds',
      ]),
    );
  } else {
    input.assignmentIds.forEach((raw, i) => {
      const id = toSynapseId(raw);
      if (id === null) userErrors.push(userError('INVALID', `"${String(raw).slice(0, 40)}" is not an assignment id.`, ['input', 'assignmentIds', i]));
      else if (!ids.includes(id)) ids.push(id);
    });
  }

  let tagIds: number[] | null = null;
  let tagNames: string[] | null = null;
  const given = [input.tagIds, input.tagNames].filter((list) => list != null);
  if (given.length !== 1) {
    userErrors.push(userError('INVALID', 'Give exactly one of tagIds and tagNames.', ['input']));
  } else if (given[0]!.length === 0) {
    userErrors.push(userError('INVALID', 'Give at least one tag.', ['input', input.tagIds ? 'tagIds' : 'tagNames']));
  } else if (given[0]!.length > MAX_TAGS_PER_MUTATION) {
    userErrors.push(userError('TOO_MANY', `At most ${MAX_TAGS_PER_MUTATION} tags per call.`, ['input', input.tagIds ? 'tagIds' : 'tagNames']));
  } else if (input.tagIds) {
    tagIds = [];
    input.tagIds.forEach((raw, i) => {
      const id = toSynapseId(raw);
      if (id === null) userErrors.push(userError('INVALID', `"${String(raw).slice(0, 40)}" is not a tag id.`, ['input', 'tagIds', i]));
      else if (!tagIds!.includes(id)) tagIds!.push(id);
    });
  } else {
    tagNames = [];
    input.tagNames!.forEach((raw, i) => {
      const parsed = parseTagName(raw, ['input', 'tagNames', i]);
      if ('error' in parsed) userErrors.push(parsed.error);
      else if (!tagNames!.includes(parsed.name)) tagNames!.push(parsed.name);
    });
  }
  return { ids, tagIds, tagNames, userErrors };
}
