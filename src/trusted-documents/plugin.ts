import { parse, type GraphQLError } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { gatewayError, type TrustedDocumentCode } from '../graphql/errors.ts';
import { isIntrospectionOnly } from '../graphql/introspection.ts';
import type { Logger } from '../observability/logger.ts';
import { CLIENT_NAME_HEADER, CLIENT_VERSION_HEADER, sentClient, type ClientLabels } from '../observability/request-state.ts';
import { BYPASS_HEADER } from './clients.ts';
import type { Scope } from './document-set.ts';
import { hashIdMismatch, sha256Hex } from './manifest.ts';
import type { ManifestStore } from './store.ts';

/**
 * What became of one request's document, as `synapse_trusted_documents_total{outcome}` counts it:
 * `trusted` (a manifest holds it, sent by id or as text), `unknown` (in no manifest, ran in
 * `log` mode), `refused`, `bypassed` (the operator's header) or `exempt` (GraphiQL or
 * introspection outside production).
 */
export type DocumentOutcome = 'trusted' | 'unknown' | 'refused' | 'bypassed' | 'exempt';

/** What the gate needs besides the manifests. */
export interface GateOptions {
  store: ManifestStore;
  mode: 'log' | 'enforce';
  production: boolean;
  /** Tells a bypass header's secret from a wrong one; undefined: no bypass is configured. */
  bypass: ((given: string) => boolean) | undefined;
  /** The client name GraphiQL's page sends, when this gateway serves GraphiQL. */
  graphiqlClient: string | undefined;
  /** MAX_TOKENS: the most a document parsed here (to see whether it is introspection) may have. */
  maxTokens: number;
  /** The request's client as metrics label it. */
  clientOf: (request: Request) => ClientLabels;
  onOutcome: (client: string, outcome: DocumentOutcome) => void;
  logger: Logger;
}

/** Most document hashes remembered as logged: past it, the oldest may be logged again. */
const LOGGED_HASHES = 10_000;

const MESSAGES: Record<TrustedDocumentCode, string> = {
  PERSISTED_QUERY_NOT_IN_LIST:
    'This document is not in the trusted documents of your client: send the id of a document your build shipped (`documentId`), or add the document to its manifest.',
  PERSISTED_QUERY_NOT_FOUND: 'No trusted document has this id for your client: its manifest may not be deployed to the gateway yet.',
  PERSISTED_QUERY_ID_MISMATCH: 'The request carries a document id and a different document: send one of them.',
  TRUSTED_DOCUMENTS_BYPASS_REFUSED: 'The X-Trusted-Documents-Bypass header does not hold the configured secret.',
};

/**
 * Decides, from a request's parameters alone and so before anything is parsed or any
 * upstream call is made, which document runs: the manifest's document for an id
 * (`documentId` in the body or the GET query, or Apollo's `extensions.persistedQuery.sha256Hash`),
 * the text sent when a manifest holds it, and any other text only in `log` mode, with the
 * operator's bypass secret, or (outside production) from GraphiQL or for introspection.
 */
export class DocumentGate {
  readonly #options: GateOptions;
  readonly #logged = new LRUCache<string, true>({ max: LOGGED_HASHES });

  constructor(options: GateOptions) {
    this.#options = options;
  }

  /** The parameters to run (the id replaced by its document), or a thrown refusal. */
  admit(params: GraphQLParams & { documentId?: unknown }, request: Request): GraphQLParams {
    const { store, mode } = this.#options;
    const client = this.#options.clientOf(request).name;
    const bypassed = this.#bypassed(request, client);
    const scope: Scope = store.current.scope(request.headers.get(CLIENT_NAME_HEADER), request.headers.get(CLIENT_VERSION_HEADER));
    const id = documentIdOf(params, request);
    const { documentId: _id, ...rest } = params;
    const query = params.query;
    if (id !== undefined) {
      const document = scope.byId.get(id);
      if (document) {
        if (query != null && query !== document.body) throw this.#refuse('PERSISTED_QUERY_ID_MISMATCH', request, client);
        this.#options.onOutcome(client, 'trusted');
        return { ...rest, query: document.body };
      }
      if (query == null) throw this.#refuse('PERSISTED_QUERY_NOT_FOUND', request, client, { documentId: id.slice(0, 100) });
      // A hash id must be the text's hash, as in a manifest; a custom id cannot be checked.
      if (hashIdMismatch(id, query) !== undefined) throw this.#refuse('PERSISTED_QUERY_ID_MISMATCH', request, client);
    }
    // No text (or not a string): yoga refuses the parameters itself, with its BAD_REQUEST.
    if (typeof query !== 'string') return rest;
    if (scope.byText.has(query)) this.#options.onOutcome(client, 'trusted');
    else if (bypassed) this.#options.onOutcome(client, 'bypassed');
    else if (this.#exempt(query, client)) this.#options.onOutcome(client, 'exempt');
    else if (mode === 'log') this.#unknown(query, request, client);
    else throw this.#refuse('PERSISTED_QUERY_NOT_IN_LIST', request, client);
    return rest;
  }

  /** True with the right secret; a wrong one is refused outright, so an operator sees the mistake. */
  #bypassed(request: Request, client: string): boolean {
    const given = request.headers.get(BYPASS_HEADER);
    if (given === null) return false;
    if (this.#options.bypass?.(given)) return true;
    throw this.#refuse('TRUSTED_DOCUMENTS_BYPASS_REFUSED', request, client);
  }

  /**
   * Outside production, GraphiQL's documents and introspection run as they always did. `client`
   * is the request's label, which is GraphiQL's name exactly when its header says so.
   */
  #exempt(query: string, client: string): boolean {
    const { production, graphiqlClient, maxTokens } = this.#options;
    if (production) return false;
    if (graphiqlClient !== undefined && client === graphiqlClient) return true;
    try {
      return isIntrospectionOnly(parse(query, { noLocation: true, maxTokens }));
    } catch {
      // Not a document at all: not introspection either.
      return false;
    }
  }

  /** `log` mode: runs, counted, and logged the first time its hash is seen (never the document itself). */
  #unknown(query: string, request: Request, client: string): void {
    this.#options.onOutcome(client, 'unknown');
    const hash = sha256Hex(query);
    if (this.#logged.has(hash)) return;
    this.#logged.set(hash, true);
    this.#options.logger.warn(
      { documentId: `sha256:${hash}`, client: sentClient(request), clientLabel: client },
      'trusted documents: a document in no manifest ran (TRUSTED_DOCUMENTS=enforce would refuse it)',
    );
  }

  #refuse(code: TrustedDocumentCode, request: Request, client: string, extra: Record<string, unknown> = {}): GraphQLError {
    this.#options.onOutcome(client, 'refused');
    // A spec-level refusal: 400 with application/graphql-response+json, 200 with application/json.
    const http = code === 'TRUSTED_DOCUMENTS_BYPASS_REFUSED' ? { status: 403 } : { spec: true, status: 400 };
    return gatewayError(code, MESSAGES[code], { client: sentClient(request), ...extra, http });
  }
}

/** The id a request sends: `documentId` (body, or the query string of a GET), else Apollo's persisted-query hash. */
function documentIdOf(params: GraphQLParams & { documentId?: unknown }, request: Request): string | undefined {
  if (typeof params.documentId === 'string') return params.documentId;
  if (request.method === 'GET' && request.url.includes('documentId=')) {
    const id = new URL(request.url).searchParams.get('documentId');
    if (id !== null) return id;
  }
  const persisted = (params.extensions as { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return persisted?.version === 1 && typeof persisted.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
}

/**
 * The gate as a yoga plugin: HTTP requests are admitted while their parameters are read
 * (onParams, before yoga checks them, so an id alone is not a missing `query`); WebSocket
 * operations, which never pass there, are admitted by their text when it is parsed.
 */
export function useTrustedDocuments(gate: DocumentGate): Plugin {
  const admitted = new WeakSet<Request>();
  return {
    onParams({ params, request, setParams }) {
      setParams(gate.admit(params, request));
      admitted.add(request);
    },
    onParse({ context, params }) {
      const request = (context as { request?: Request }).request;
      if (!request || admitted.has(request)) return;
      gate.admit({ query: typeof params.source === 'string' ? params.source : params.source.body }, request);
    },
  };
}
