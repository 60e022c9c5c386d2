import type { ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { newRequestState, type ClientLabels, type RequestState } from '../../observability/request-state.ts';
import { withExtensions } from '../errors.ts';
import { isExecutionResult, mapIncrementalParts, type IncrementalPart } from '../results.ts';

/**
 * Per-request id, client and upstream cost, tracked from onRequest on. The id goes back in
 * the response header and in `extensions.requestId` of the body and of every error,
 * so a client report can be matched with our logs. `extensions.upstream` shows what
 * the operation cost upstream. An answer in parts (@defer, @stream) carries the id on its
 * first part and on every error, and what it cost upstream on its last part, once known.
 */
export function useRequestState(states: WeakMap<Request, RequestState>, identify: (request: Request) => ClientLabels): Plugin {
  return {
    onRequest({ request }) {
      states.set(request, newRequestState(request, identify(request)));
    },
    onResultProcess({ request, result, setResult }) {
      const state = states.get(request);
      if (!state || Array.isArray(result)) return;
      if (isAsyncIterable(result)) setResult(mapIncrementalParts(result, (part, first) => withPartExtensions(part, first, state)));
      else if (isExecutionResult(result)) setResult(withRequestExtensions(result, state));
    },
    onResponse({ request, response }) {
      const state = states.get(request);
      if (state) response.headers.set('x-request-id', state.requestId);
    },
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

function withPartExtensions(part: IncrementalPart, first: boolean, state: RequestState): IncrementalPart {
  const { requestId } = state;
  const extensions = {
    ...part.extensions,
    ...(first ? { requestId } : {}),
    ...(part.hasNext ? {} : { upstream: state.stats.toJSON() }),
  };
  return {
    ...part,
    ...(part.errors ? { errors: part.errors.map((error) => withRequestId(error, requestId)) } : {}),
    ...(part.incremental
      ? { incremental: part.incremental.map((patch) => (patch.errors ? { ...patch, errors: patch.errors.map((error) => withRequestId(error, requestId)) } : patch)) }
      : {}),
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
  };
}

function withRequestId(error: GraphQLError, requestId: string): GraphQLError {
  return withExtensions(error, { ...(error.extensions as Record<string, unknown> | undefined), requestId });
}
