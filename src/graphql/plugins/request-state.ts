import { randomUUID } from 'node:crypto';
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { UpstreamStats } from '../../upstream/client.ts';
import { withExtensions } from '../errors.ts';
import { isExecutionResult } from '../results.ts';

/** What the gateway tracks for one HTTP request, from arrival to response. */
export interface RequestState {
  requestId: string;
  stats: UpstreamStats;
  startedAt: number;
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Per-request id and upstream cost. The id comes from a sane `X-Request-Id` or is
 * made here; it goes back in the response header and in `extensions.requestId` of
 * the body and of every error, so a client report can be matched with our logs.
 * `extensions.upstream` shows what the operation cost upstream.
 */
export function useRequestState(states: WeakMap<Request, RequestState>): Plugin {
  return {
    onRequest({ request }) {
      states.set(request, newRequestState(request));
    },
    onResultProcess({ request, result, setResult }) {
      const state = states.get(request);
      if (!state || Array.isArray(result) || !isExecutionResult(result)) return;
      setResult(withRequestExtensions(result, state));
    },
    onResponse({ request, response }) {
      const state = states.get(request);
      if (state) response.headers.set('x-request-id', state.requestId);
    },
  };
}

/** The state of a request arriving now (WebSocket operations get one per operation, made outside yoga's onRequest). */
export function newRequestState(request: Request): RequestState {
  const incoming = request.headers.get('x-request-id');
  return {
    requestId: incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID(),
    stats: new UpstreamStats(),
    startedAt: performance.now(),
  };
}

function withRequestExtensions(result: ExecutionResult, state: RequestState): ExecutionResult {
  const errors = result.errors?.map((error) => withRequestId(error, state.requestId));
  // The response cache's own metadata becomes one word: HIT (no upstream call) or MISS.
  const { responseCache, ...extensions } = (result.extensions ?? {}) as { responseCache?: { hit?: boolean } };
  return {
    ...result,
    ...(errors ? { errors } : {}),
    extensions: {
      ...extensions,
      requestId: state.requestId,
      upstream: state.stats.toJSON(),
      // Queries only: a mutation's metadata lists what it invalidated, and is not a lookup.
      ...(typeof responseCache?.hit === 'boolean' ? { cache: responseCache.hit ? 'HIT' : 'MISS' } : {}),
    },
  };
}

function withRequestId(error: GraphQLError, requestId: string): GraphQLError {
  return withExtensions(error, { ...(error.extensions as Record<string, unknown> | undefined), requestId });
}
