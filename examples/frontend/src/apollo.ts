import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { relayStylePagination } from '@apollo/client/utilities';
import type { AssignmentCardFragment, AssignmentFilter } from './__generated__/graphql.ts';
import { AssignmentsPage } from './operations.ts';
import { clientHeaders, persistedDocumentLink } from './trusted-documents.ts';

/**
 * Apollo Client with a normalized cache (each Assignment and Tag is stored once, by id),
 * naming this build and, unless told otherwise, sending each document's id instead of its
 * text. Its incremental handler reads `@defer` and `@stream` answers in the format the
 * gateway speaks.
 */
export function createApolloClient(uri: string, token: string, options: { documentIds?: boolean } = {}): ApolloClient {
  const http = new HttpLink({ uri, headers: { authorization: `Token ${token}`, ...clientHeaders } });
  return new ApolloClient({
    link: options.documentIds === false ? http : persistedDocumentLink().concat(http),
    incrementalHandler: new Defer20220824Handler(),
    cache: new InMemoryCache({
      typePolicies: {
        // Pages of one filter merge into one list; another filter or order is another list.
        Query: { fields: { assignments: relayStylePagination(['filter', 'orderBy']) } },
      },
    }),
  });
}

/** Every assignment matching `filter`: the first page, then fetchMore at `endCursor` until the end. */
export async function walkWithApollo(client: ApolloClient, filter: AssignmentFilter, first = 50): Promise<AssignmentCardFragment[]> {
  const list = client.watchQuery({ query: AssignmentsPage, variables: { filter, first } });
  let { data } = await list.refetch();
  // Apollo's default errorPolicy ('none') throws on any error, so a page is never silently missing.
  while (data?.assignments?.pageInfo.hasNextPage) {
    ({ data } = await list.fetchMore({ variables: { after: data.assignments.pageInfo.endCursor } }));
  }
  // The merged list, as the cache now holds it for this filter.
  const merged = client.readQuery({ query: AssignmentsPage, variables: { filter, first } });
  return merged?.assignments?.edges.map((edge) => edge.node) ?? [];
}
