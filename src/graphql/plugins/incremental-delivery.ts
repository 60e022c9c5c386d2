import { mergeIncrementalResult } from '@graphql-tools/utils';
import { useDeferStream } from '@graphql-yoga/plugin-defer-stream';
import type { ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, processRegularResult, type Plugin } from 'graphql-yoga';
import { withExtensions } from '../errors.ts';
import type { IncrementalPart } from '../results.ts';

/** The message of an unexpected error, as yoga's own masking words it. */
const UNEXPECTED = 'Unexpected error.';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';
/** Media types a stream of parts can be answered in (yoga's multipart and SSE processors). */
const STREAM_TYPES = ['multipart/mixed', 'text/event-stream'];

/**
 * `@defer` and `@stream` (yoga's defer-stream plugin: the directives and their validation
 * rules; yoga's executor runs them), with what the gateway promises of every answer:
 * - errors of deferred and streamed parts are masked like any other (yoga masks only a
 *   part's top-level `errors`, not those inside `incremental`);
 * - a client that accepts neither `multipart/mixed` nor `text/event-stream` gets the whole
 *   answer at once, merged, where yoga would answer a bodiless 406 after running the
 *   operation.
 * Listed first among the plugins, so the others see a merged answer as a single result.
 */
export function useIncrementalDelivery(maskError: (error: unknown, message: string) => Error): Plugin {
  const streamed = new WeakSet<Request>();
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(useDeferStream() as Plugin);
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) return undefined;
          // Queries and mutations only: a subscription's stream goes through onSubscribe.
          const { request } = args.contextValue as { request?: Request };
          if (request) streamed.add(request);
          return {
            onNext({ result: part, setResult }) {
              const masked = maskIncremental(part as IncrementalPart, maskError);
              if (masked !== part) setResult(masked);
            },
          };
        },
      };
    },
    // Synchronous unless it merges: a promise returned here is awaited, for every request.
    onResultProcess({ request, result, setResult, setResultProcessor }) {
      if (!isAsyncIterable(result) || !streamed.has(request) || acceptsStreams(request)) return undefined;
      return mergeParts(result as AsyncIterable<IncrementalPart>).then((merged) => {
        setResult(merged);
        // Yoga chose its processor before this hook, for the stream: none, since JSON takes no stream.
        const accept = request.headers.get('accept') ?? '';
        setResultProcessor(processRegularResult, accept.includes(GRAPHQL_RESPONSE_JSON) ? GRAPHQL_RESPONSE_JSON : 'application/json');
      });
    },
  };
}

/**
 * The part with its deferred and streamed errors masked, and without the extensions yoga
 * keeps for itself (`http`, `unexpected`), which it strips from a part's top-level errors only.
 */
function maskIncremental(part: IncrementalPart, maskError: (error: unknown, message: string) => Error): IncrementalPart {
  if (!part.incremental?.some((patch) => patch.errors)) return part;
  const forClient = (error: GraphQLError) => {
    const masked = maskError(error, UNEXPECTED) as GraphQLError;
    const { http: _http, unexpected: _unexpected, ...extensions } = masked.extensions ?? {};
    return withExtensions(masked, extensions);
  };
  return { ...part, incremental: part.incremental.map((patch) => (patch.errors ? { ...patch, errors: patch.errors.map(forClient) } : patch)) };
}

/** Whether the client accepts an answer in parts (`*` types included, as yoga matches them). */
function acceptsStreams(request: Request): boolean {
  const accepted = (request.headers.get('accept') ?? '*/*').split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  return accepted.some((type) => {
    const [kind, subtype] = type.split('/');
    return STREAM_TYPES.some((stream) => {
      const [streamKind, streamSubtype] = stream.split('/');
      return (kind === '*' || kind === streamKind) && (subtype === '*' || subtype === streamSubtype);
    });
  });
}

/** Every part of an incremental answer folded into one result, as if nothing had been deferred. */
async function mergeParts(parts: AsyncIterable<IncrementalPart>): Promise<ExecutionResult> {
  let merged: ExecutionResult | undefined;
  for await (const part of parts) {
    if (!merged) {
      const { hasNext: _hasNext, ...initial } = part;
      // Copied: the response cache folds the same parts into the first part's data object.
      merged = { ...initial, ...(part.data ? { data: structuredClone(part.data) } : {}), ...(part.errors ? { errors: [...part.errors] } : {}) };
    } else {
      mergeIncrementalResult({ incrementalResult: part, executionResult: merged });
    }
  }
  return merged ?? {};
}
