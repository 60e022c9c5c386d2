import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { mapExchange, type Exchange } from '@urql/core';
import { Kind, type DocumentNode } from 'graphql';

/**
 * Who this build is. The gateway labels its metrics and logs with it, shows it in a refusal,
 * and looks this build's ids up in the manifest deployed as `<TRUSTED_DOCUMENTS_DIR>/starter-kit/1.0.0.json`
 * (`src/__generated__/persisted-documents.json`, written by `npm run codegen:frontend`). A real
 * app takes its version from its package.json and deploys the manifest before the build.
 */
export const CLIENT = { name: 'starter-kit', version: '1.0.0' } as const;

/** The headers that name this build (Hive's and Apollo's convention), sent with every operation. */
export const clientHeaders = { 'graphql-client-name': CLIENT.name, 'graphql-client-version': CLIENT.version };

/** The id the client preset gave a document (`sha256:<hex>` of its text), or undefined for one it did not generate. */
export function documentIdOf(document: DocumentNode): string | undefined {
  return (document as { __meta__?: { documentId?: string } }).__meta__?.documentId;
}

/**
 * urql: each operation goes out as its `documentId` instead of its text (urql's fetch sends
 * a document that has a `documentId` and no definitions that way, in the URL of a GET query).
 * Placed after the cache exchange, so the cache still reads the full document.
 */
export const documentIdExchange: Exchange = mapExchange({
  onOperation(operation) {
    const documentId = documentIdOf(operation.query);
    if (documentId === undefined || operation.kind === 'teardown') return operation;
    return { ...operation, query: { kind: Kind.DOCUMENT, definitions: [], documentId } as DocumentNode };
  },
});

/**
 * Apollo Client: the persisted-query link sends `extensions.persistedQuery.sha256Hash` (the id's
 * hex) and no text. It never falls back to sending the document: a gateway that enforces its
 * manifests would refuse that too, and the refusal (`PERSISTED_QUERY_NOT_FOUND`) says more.
 */
export function persistedDocumentLink(): PersistedQueryLink {
  return new PersistedQueryLink({
    generateHash(document) {
      const documentId = documentIdOf(document);
      if (documentId === undefined) throw new Error('This document has no id: write it with the generated graphql() and run codegen.');
      return documentId.replace(/^sha256:/, '');
    },
    retry: () => false,
    disable: () => false,
    // Queries as GET, like urql's: the browser keeps a preflight per URL, and the gateway marks every answer private.
    useGETForHashedQueries: true,
  });
}
