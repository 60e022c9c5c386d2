import { CombinedGraphQLErrors } from '@apollo/client/errors';
import type { CombinedError } from '@urql/core';

/**
 * One line per problem, with the gateway's `extensions.code` (UNAUTHENTICATED, FORBIDDEN,
 * NOT_FOUND, BAD_USER_INPUT, RATE_LIMITED, ...). Input problems of a mutation are not
 * errors: they come back in its payload's `userErrors`, with HTTP 200.
 */
export function describeUrqlError(error: CombinedError): string[] {
  if (error.networkError) return [`network: ${error.networkError.message}`];
  return error.graphQLErrors.map((e) => `${String(e.extensions.code)}: ${e.message}`);
}

export function describeApolloError(error: unknown): string[] {
  if (CombinedGraphQLErrors.is(error)) return error.errors.map((e) => `${String(e.extensions?.code)}: ${e.message}`);
  return [`network: ${error instanceof Error ? error.message : String(error)}`];
}
