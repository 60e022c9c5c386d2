import { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { UpstreamError, type FieldError, type ResourceRef, type UpstreamErrorCode } from '../upstream/errors.ts';

/**
 * Codes of requests refused at the HTTP level, before any operation runs (docs/operations.md,
 * "HTTP-level refusals"). Yoga's own `BAD_REQUEST` (malformed parameters), `GRAPHQL_PARSE_FAILED`
 * and `GRAPHQL_VALIDATION_FAILED` keep their names.
 */
export type HttpRefusalCode =
  | 'CSRF_HEADER_REQUIRED'
  | 'CORS_ORIGIN_NOT_ALLOWED'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_ACCEPTABLE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'BATCHING_NOT_SUPPORTED'
  | 'BATCH_LIMIT_EXCEEDED';

/**
 * Codes of documents refused by the trusted documents (docs/operations.md, "Refusal codes"):
 * the first two are the names Apollo's and Yoga's persisted-document support use.
 */
export type TrustedDocumentCode =
  | 'PERSISTED_QUERY_NOT_IN_LIST'
  | 'PERSISTED_QUERY_NOT_FOUND'
  | 'PERSISTED_QUERY_ID_MISMATCH'
  | 'TRUSTED_DOCUMENTS_BYPASS_REFUSED';

/** Every `extensions.code` the gateway itself sets. */
export type ErrorCode = UpstreamErrorCode | HttpRefusalCode | TrustedDocumentCode | 'RATE_LIMITED' | 'INTERNAL_SERVER_ERROR';

/** Whether the same request may succeed if sent again later. */
const RETRYABLE: Record<ErrorCode, boolean> = {
  BAD_USER_INPUT: false,
  UNAUTHENTICATED: false,
  FORBIDDEN: false,
  NOT_FOUND: false,
  UPSTREAM_UNAVAILABLE: true,
  UPSTREAM_FEATURE_UNAVAILABLE: false,
  RATE_LIMITED: true,
  INTERNAL_SERVER_ERROR: false,
  CSRF_HEADER_REQUIRED: false,
  CORS_ORIGIN_NOT_ALLOWED: false,
  METHOD_NOT_ALLOWED: false,
  NOT_ACCEPTABLE: false,
  UNSUPPORTED_MEDIA_TYPE: false,
  BATCHING_NOT_SUPPORTED: false,
  BATCH_LIMIT_EXCEEDED: false,
  PERSISTED_QUERY_NOT_IN_LIST: false,
  PERSISTED_QUERY_NOT_FOUND: false,
  PERSISTED_QUERY_ID_MISMATCH: false,
  TRUSTED_DOCUMENTS_BYPASS_REFUSED: false,
};

/** A GraphQL error meant for clients: a message we wrote, a code, and `retryable`. */
export function gatewayError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return createGraphQLError(message, { extensions: { code, retryable: RETRYABLE[code], ...extensions } });
}

/**
 * The same error with other extensions, still a GraphQLError: yoga derives the HTTP
 * status from GraphQLErrors (plain objects read as unexpected, hence 500) and strips
 * its internal `http` extension only from them.
 */
export function withExtensions(error: GraphQLError, extensions: Record<string, unknown>, message = error.message): GraphQLError {
  if (!(error instanceof GraphQLError)) {
    const plain = error as { extensions?: Record<string, unknown> };
    return { ...plain, message, extensions } as unknown as GraphQLError;
  }
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}

/**
 * Upstream 403s and 404s say only that a URL was refused; these name the resource
 * (`FORBIDDEN` "You may not read assignment 7.") and set `extensions.resource`. Any
 * other error passes unchanged.
 */
export const refusalAbout = {
  assignment(error: unknown, id: number): unknown {
    return named(error, { type: 'Assignment', id }, `You may not read assignment ${id}.`, `Assignment ${id} does not exist.`);
  },
  /** A listing scoped to a project (assignments, queue, analytics, workflow scopes). */
  projectAssignments(error: unknown, projectId: number | undefined): unknown {
    if (projectId === undefined) return error;
    return named(error, { type: 'Project', id: projectId }, `You may not read the assignments of project ${projectId}.`, `Project ${projectId} does not exist.`);
  },
  review(error: unknown, id: number): unknown {
    return named(error, { type: 'Review', id }, `You may not read review ${id}.`, `Review ${id} does not exist.`);
  },
  /** A refused tag creation or deletion, after the tag list of the project was read: the caller reads it, but may not change it. */
  tagManagement(error: unknown, projectId: number): unknown {
    return named(
      error,
      { type: 'Project', id: projectId },
      `You may read the tags of project ${projectId} but not create or delete them: that needs a member (not a viewer) of the project.`,
      `Project ${projectId} does not exist.`,
    );
  },
  projectTags(error: unknown, projectId: number): unknown {
    return named(error, { type: 'Project', id: projectId }, `You may not read the tags of project ${projectId}.`, `Project ${projectId} does not exist.`);
  },
  /** A refused `set_tags`: every write follows a read of the same rows, so the caller may read them. */
  tagWrite(error: unknown, projectId: number): unknown {
    return named(
      error,
      { type: 'Project', id: projectId },
      `You may read the assignments of project ${projectId} but not tag them: tagging needs a member (not a viewer) of the project.`,
      `An assignment of project ${projectId} no longer exists.`,
    );
  },
};

function named(error: unknown, resource: ResourceRef, forbidden: string, notFound: string): unknown {
  if (!(error instanceof UpstreamError)) return error;
  if (error.code === 'FORBIDDEN') return error.about(forbidden, resource);
  if (error.code === 'NOT_FOUND') return error.about(notFound, resource);
  return error;
}

/** No credentials: HTTP 401 with a challenge when the client accepts graphql-response+json. */
export function unauthenticatedError(): GraphQLError {
  return gatewayError(
    'UNAUTHENTICATED',
    'Send your Synapse token as `Authorization: Token <token>` (or `Synapse-Access-Token: Token <token>`).',
    { http: { status: 401, headers: { 'WWW-Authenticate': 'Token' } } },
  );
}

/**
 * Yoga's maskError hook: upstream errors become typed client errors (message and
 * field messages we wrote, never the upstream body or URL); anything unexpected
 * becomes "Unexpected error." with INTERNAL_SERVER_ERROR. GraphQLErrors we made
 * pass through.
 */
export function maskError(error: unknown, message: string): Error {
  const graphQLError = error instanceof GraphQLError ? error : undefined;
  const original = graphQLError?.originalError ?? error;
  if (original instanceof UpstreamError) {
    const fieldErrors = original.code === 'BAD_USER_INPUT' ? { fieldErrors: boundedFieldErrors(original.fieldErrors) } : {};
    return new GraphQLError(original.message, {
      nodes: graphQLError?.nodes,
      source: graphQLError?.source,
      positions: graphQLError?.positions,
      path: graphQLError?.path,
      extensions: {
        code: original.code,
        retryable: original.retryable,
        ...(original.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: original.retryAfterSeconds }),
        ...(original.resource === undefined ? {} : { resource: { type: original.resource.type, id: String(original.resource.id) } }),
        ...(original.upstreamRequestId === undefined ? {} : { upstreamRequestId: original.upstreamRequestId }),
        ...fieldErrors,
      },
    });
  }
  if (graphQLError && (graphQLError.originalError === undefined || graphQLError.originalError instanceof GraphQLError)) {
    return graphQLError;
  }
  return new GraphQLError(message, {
    nodes: graphQLError?.nodes,
    source: graphQLError?.source,
    positions: graphQLError?.positions,
    path: graphQLError?.path,
    // `unexpected` (stripped from the body by yoga) makes a request that failed before
    // execution, e.g. in the context factory, answer 500 rather than 200.
    extensions: { code: 'INTERNAL_SERVER_ERROR', retryable: false, unexpected: true },
  });
}

const MAX_FIELD_ERRORS = 20;
const MAX_FIELD_ERROR_LENGTH = 300;

/** DRF's field messages are meant for users, but an upstream could put anything in them: bound them. */
function boundedFieldErrors(fieldErrors: readonly FieldError[]): FieldError[] {
  const cut = (text: string) => (text.length > MAX_FIELD_ERROR_LENGTH ? `${text.slice(0, MAX_FIELD_ERROR_LENGTH)}…` : text);
  return fieldErrors.slice(0, MAX_FIELD_ERRORS).map(({ field, message }) => ({ field: cut(field), message: cut(message) }));
}
