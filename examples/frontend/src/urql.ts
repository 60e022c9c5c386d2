import { Client, cacheExchange, fetchExchange } from '@urql/core';
import type { AssignmentCardFragment, AssignmentFilter, AssignmentsPageQueryVariables } from './__generated__/graphql.ts';
import { AssignmentsPage } from './operations.ts';
import { clientHeaders, documentIdExchange } from './trusted-documents.ts';

/**
 * urql with its defaults (queries go out as GET, mutations as POST; no CSRF header needed),
 * naming this build and, unless told otherwise, sending each document's id instead of its text.
 */
export function createUrqlClient(url: string, token: string, options: { documentIds?: boolean } = {}): Client {
  return new Client({
    url,
    exchanges: [cacheExchange, ...(options.documentIds === false ? [] : [documentIdExchange]), fetchExchange],
    fetchOptions: { headers: { authorization: `Token ${token}`, ...clientHeaders } },
  });
}

/** Every assignment matching `filter`, `first` per request, following `endCursor`. */
export async function walkWithUrql(client: Client, filter: AssignmentFilter, first = 50): Promise<AssignmentCardFragment[]> {
  const rows: AssignmentCardFragment[] = [];
  let variables: AssignmentsPageQueryVariables = { filter, first };
  for (;;) {
    const { data, error } = await client.query(AssignmentsPage, variables).toPromise();
    // A refused field is null, its error beside it (partial data): stop on either.
    const page = data?.assignments;
    if (error || !page) throw error ?? new Error('no assignments in the answer');
    rows.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return rows;
    variables = { ...variables, after: page.pageInfo.endCursor };
  }
}
