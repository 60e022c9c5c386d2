import type { Client } from '@urql/core';
import type { AssignmentCardFragment } from './__generated__/graphql.ts';
import { TagAssignments } from './operations.ts';

/** Adds tags by name; the assignments come back as they are after the write, or userErrors say why nothing changed. */
export async function tagAssignments(
  client: Client,
  assignmentIds: string[],
  tagNames: string[],
): Promise<{ assignments: AssignmentCardFragment[]; userErrors: { field: string[] | null; message: string; code: string }[] }> {
  const { data, error } = await client.mutation(TagAssignments, { input: { assignmentIds, tagNames, mode: 'ADD' } }).toPromise();
  if (error) throw error;
  return data!.setAssignmentTags;
}
