import type { Client } from '@urql/core';
import type { ReviewAssignmentsMutation, ReviewVerdict } from './__generated__/graphql.ts';
import { ReviewAssignments } from './operations.ts';

/** What one decision came to: the assignment after it, or why not (userErrors, a failed review). */
export type ReviewOutcome = ReviewAssignmentsMutation['reviewAssignments'];

/**
 * A decision on one assignment with its reason. The same `idempotencyKey` sent again
 * (the person clicks again after a failure) writes only what is missing, never a second
 * review: keep the key until the decision went through, make a new one for the next.
 */
export async function reviewAssignment(
  client: Client,
  assignmentId: string,
  decision: { verdict: ReviewVerdict; comment: string; idempotencyKey: string },
): Promise<ReviewOutcome> {
  const input = { assignmentIds: [assignmentId], ...decision };
  const { data, error } = await client.mutation(ReviewAssignments, { input }).toPromise();
  if (error) throw error;
  return data!.reviewAssignments;
}
