import type { CreateTagInput, DeleteTagInput, Resolvers, UserError } from '../../__generated__/resolvers-types.ts';
import { toSynapseId, type WireTagCreate } from '../../contract/index.ts';
import type { GatewayContext } from '../../context.ts';
import { UpstreamError } from '../../upstream/errors.ts';
import { parseTagName, userError } from '../../workflows/input.ts';
import { TAG_CATEGORY_TO_WIRE } from '../enums.ts';
import { refusalAbout } from '../errors.ts';
import type { CreateTagPayloadModel, DeleteTagPayloadModel, TagModel } from '../models.ts';
import { rejectedByUpstream } from './tag-writes.ts';

/** Longest tag description accepted. */
const MAX_TAG_DESCRIPTION = 1000;

/** Creating and deleting a project's tags (Synapse v2's project-tag routes). */
export const tagManagementResolvers: Resolvers = {
  Mutation: {
    createTag: (_root, { input }, ctx) => createTag(ctx, input),
    deleteTag: (_root, { input }, ctx) => deleteTag(ctx, input),
  },
  CreateTagPayload: {
    // From the project's list, read again after the write: the tag as every other field shows it (its color included).
    tag: async (payload, _args, ctx) =>
      payload.tagId === null ? null : ((await projectTags(ctx, payload.projectId)).find((tag) => tag.id === payload.tagId) ?? null),
    projectTags: (payload, _args, ctx) => projectTags(ctx, payload.projectId),
  },
  DeleteTagPayload: {
    projectTags: (payload, _args, ctx) => projectTags(ctx, payload.projectId),
  },
};

function projectTags(ctx: GatewayContext, projectId: number | null): Promise<TagModel[]> | TagModel[] {
  return projectId === null ? [] : ctx.loaders.tagsByProject.load(projectId);
}

/**
 * Checks the name, reads the project's tags (one call, shared with the operation) to
 * refuse a duplicate before writing, then `POST v2/projects/{id}/tags/`. The project's
 * tag list is dropped from the request's loader and the response cache, so every later
 * lookup, in this operation or another, sees the new tag.
 */
async function createTag(ctx: GatewayContext, input: CreateTagInput): Promise<CreateTagPayloadModel> {
  const dryRun = input.dryRun ?? false;
  const refused = (userErrors: UserError[], projectId: number | null = null): CreateTagPayloadModel => ({ projectId, tagId: null, dryRun, userErrors });
  const userErrors: UserError[] = [];
  const projectId = parseProjectId(input.projectId, userErrors);
  const name = parseTagName(input.name, ['input', 'name']);
  if ('error' in name) userErrors.push(name.error);
  const description = input.description?.trim() ?? '';
  if (description.length > MAX_TAG_DESCRIPTION) {
    userErrors.push(userError('INVALID', `A tag description has at most ${MAX_TAG_DESCRIPTION} characters.`, ['input', 'description']));
  }
  if (userErrors.length > 0 || 'error' in name) return refused(userErrors);
  await ctx.client.ensureV2();

  const existing = await ctx.loaders.tagsByProject.load(projectId!);
  if (existing.some((tag) => tag.name === name.name)) return refused([alreadyExists(name.name, projectId!)], projectId);
  const body: WireTagCreate = { name: name.name, category: TAG_CATEGORY_TO_WIRE[input.category ?? 'PROJECT'], description };
  try {
    if (dryRun) {
      await ctx.client.createProjectTag(projectId!, body, { dryRun: true });
      return { projectId, tagId: null, dryRun, userErrors: [] };
    }
    const created = await ctx.client.createProjectTag(projectId!, body);
    await tagListChanged(ctx, projectId!);
    return { projectId, tagId: created.id, dryRun, userErrors: [] };
  } catch (error) {
    const problems = upstreamInputProblems(error, name.name, projectId!);
    if (problems) return refused(problems, projectId);
    throw refusalAbout.tagManagement(error, projectId!);
  }
}

/**
 * Finds the tag (by id or name) in the project's list, then `DELETE
 * v2/projects/{id}/tags/{id}/`: Synapse takes it off every assignment and review. The
 * project's scopes and tag list are dropped from caches, so lists, aggregates and every
 * result showing its tags are read again.
 */
async function deleteTag(ctx: GatewayContext, input: DeleteTagInput): Promise<DeleteTagPayloadModel> {
  const dryRun = input.dryRun ?? false;
  const refused = (userErrors: UserError[], projectId: number | null = null): DeleteTagPayloadModel => ({ projectId, deletedTag: null, dryRun, userErrors });
  const userErrors: UserError[] = [];
  const projectId = parseProjectId(input.projectId, userErrors);
  if ((input.tagId == null) === (input.name == null)) userErrors.push(userError('INVALID', 'Give exactly one of tagId and name.', ['input']));
  const tagId = input.tagId == null ? null : toSynapseId(input.tagId);
  if (input.tagId != null && tagId === null) userErrors.push(userError('INVALID', `"${String(input.tagId).slice(0, 40)}" is not a tag id.`, ['input', 'tagId']));
  if (userErrors.length > 0) return refused(userErrors);
  await ctx.client.ensureV2();

  const tags = await ctx.loaders.tagsByProject.load(projectId!);
  const tag = tags.find((one) => (tagId === null ? one.name === input.name!.trim() : one.id === tagId));
  if (!tag) {
    const which = tagId === null ? `"${input.name!.trim().slice(0, 100)}"` : String(tagId);
    return refused([userError('UNKNOWN_TAG', `Tag ${which} does not exist in project ${projectId}.`, ['input', tagId === null ? 'name' : 'tagId'])], projectId);
  }
  try {
    await ctx.client.deleteProjectTag(projectId!, tag.id, { dryRun });
  } catch (error) {
    if (error instanceof UpstreamError && error.code === 'NOT_FOUND') {
      // Deleted meanwhile by someone else: what the caller wanted holds, but this call deleted nothing.
      await tagListChanged(ctx, projectId!);
      return refused([userError('UNKNOWN_TAG', `Tag ${tag.id} no longer exists in project ${projectId}.`, ['input'])], projectId);
    }
    throw refusalAbout.tagManagement(error, projectId!);
  }
  if (!dryRun) await tagListChanged(ctx, projectId!);
  return { projectId, deletedTag: tag, dryRun, userErrors: [] };
}

/**
 * After a tag was created or deleted: the request's loader and every cached result
 * showing the project's tags, or its lists and aggregates (a deletion untags
 * assignments), are dropped before the mutation answers.
 */
async function tagListChanged(ctx: GatewayContext, projectId: number): Promise<void> {
  ctx.loaders.tagsByProject.clear(projectId);
  // Rows in the loader may carry a deleted tag's id; Assignment.tags drops ids it does not find.
  await ctx.afterWrite({ assignmentIds: [], projectIds: [projectId], tagListProjectIds: [projectId] });
}

/** The input's project id, or null with a userError. */
function parseProjectId(raw: string, userErrors: UserError[]): number | null {
  const projectId = toSynapseId(raw);
  if (projectId === null) userErrors.push(userError('INVALID', `"${String(raw).slice(0, 40)}" is not a project id.`, ['input', 'projectId']));
  return projectId;
}

function alreadyExists(name: string, projectId: number): UserError {
  return userError('ALREADY_EXISTS', `Project ${projectId} already has a tag named "${name}".`, ['input', 'name']);
}

/** A refusal of the input by Synapse, as userErrors: a duplicate (409, created meanwhile) or its field messages. */
function upstreamInputProblems(error: unknown, name: string, projectId: number): UserError[] | undefined {
  if (!(error instanceof UpstreamError) || error.code !== 'BAD_USER_INPUT') return undefined;
  if (error.upstreamCode === 'CONFLICT' || error.status === 409) return [alreadyExists(name, projectId)];
  return rejectedByUpstream(error, 'The Synapse backend rejected the tag.', (field) => ['input', field === 'non_field_errors' ? 'name' : field]);
}
