import { context } from '@opentelemetry/api';
import { getOperationAST, type ExecutionResult } from 'graphql';
import { isAsyncIterable, mapAsyncIterator, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import type { RequestState } from './request-state.ts';
import type { Logger } from './logger.ts';

interface Entry {
  operationNames: (string | null)[];
  operationType: string | null;
  errorCodes: string[];
  /** An answer in parts (@defer, @stream): the line waits for the last part, and the response's status. */
  parts?: { status?: number; ended: boolean };
}

/** Codes that mean "the gateway or its upstream failed", as opposed to a refused request. */
const FAULT_CODES = new Set(['UPSTREAM_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']);

/** Whether an error code says the gateway or its upstream failed (a warning, a failed span), not the caller. */
export function isFault(code: string): boolean {
  return FAULT_CODES.has(code);
}

type ResultErrors = { errors?: readonly { extensions?: { readonly [key: string]: unknown } }[] };

/** The `extensions.code` of every error of a result, or of one part of a stream (its deferred and streamed parts too). */
export function errorCodesOf(result: ResultErrors & { incremental?: readonly ResultErrors[] }): string[] {
  const codes: string[] = [];
  for (const part of [result, ...(result.incremental ?? [])]) {
    for (const error of part.errors ?? []) codes.push(String(error.extensions?.['code'] ?? 'UNKNOWN'));
  }
  return codes;
}

/**
 * One JSON line per GraphQL request once its response is ready (an answer in parts: once
 * its last part is sent, so its duration and upstream cost are the whole operation's):
 * request id, operation name and type, the client (name and version, as the metrics label
 * them), HTTP status, duration, what it cost upstream (requests, retries, writes, busy ms)
 * and the error codes it answered with. Never variables, headers or the document: they
 * may hold personal data or tokens.
 */
export function useOperationLog(options: {
  logger: Logger;
  requestState: (request: Request) => RequestState | undefined;
}): Plugin {
  const entries = new WeakMap<Request, Entry>();
  const entryOf = (request: Request): Entry => {
    let entry = entries.get(request);
    if (!entry) {
      entry = { operationNames: [], operationType: null, errorCodes: [] };
      entries.set(request, entry);
    }
    return entry;
  };
  const write = (request: Request, entry: Entry, status: number) => {
    const state = options.requestState(request);
    const codes = [...new Set(entry.errorCodes)];
    const fault = status >= 500 || codes.some(isFault);
    const line = {
      requestId: state?.requestId,
      operationName: entry.operationNames.length > 1 ? entry.operationNames.join(',') : (entry.operationNames[0] ?? null),
      operationType: entry.operationType,
      client: state?.client,
      status,
      durationMs: state ? Math.round((performance.now() - state.startedAt) * 10) / 10 : undefined,
      upstream: state?.stats.toJSON(),
      errors: entry.errorCodes.length,
      errorCodes: codes,
      ...(request.signal.aborted ? { clientGone: true } : {}),
    };
    if (fault) options.logger.warn(line, 'graphql operation');
    else options.logger.info(line, 'graphql operation');
  };
  return {
    onParams({ request, params }) {
      entryOf(request).operationNames.push(params.operationName ?? null);
    },
    onExecute({ args }) {
      const request = (args.contextValue as Partial<YogaInitialContext>).request;
      if (!request) return;
      const entry = entryOf(request);
      const operation = getOperationAST(args.document, args.operationName);
      entry.operationType = operation?.operation ?? null;
      const name = operation?.name?.value ?? null;
      const last = entry.operationNames.length - 1;
      if (last >= 0 && entry.operationNames[last] === null) entry.operationNames[last] = name;
      // Queries and mutations only: a subscription's line is written when its stream starts, as before.
      return {
        onExecuteDone({ result }) {
          if (isAsyncIterable(result)) entry.parts = { ended: false };
        },
      };
    },
    onResultProcess({ request, result, setResult }) {
      // entryOf, not get: requests refused before their params were read (413, CSRF,
      // batching) reach here without an entry and must be logged with their id too.
      const entry = entryOf(request);
      const { parts } = entry;
      if (parts && isAsyncIterable(result)) {
        // The last part is pulled by the response stream, outside the operation's span: the
        // line is written in the context active now, so it carries that span's trace ids too.
        const active = context.active();
        const end = () => {
          parts.ended = true;
          // The response began before the last part: its status is known by now, unless the stream failed first.
          if (parts.status !== undefined) context.with(active, write, undefined, request, entry, parts.status);
        };
        const observe = (part: ExecutionResult) => {
          entry.errorCodes.push(...errorCodesOf(part as ResultErrors));
          return part;
        };
        setResult(mapAsyncIterator(result, observe, (error: unknown) => Promise.reject(error).finally(end), end));
        return;
      }
      // Parts merged into one answer (a client that accepts only JSON): logged as any whole answer.
      entry.parts = undefined;
      for (const single of Array.isArray(result) ? result : [result]) entry.errorCodes.push(...errorCodesOf(single as ResultErrors));
    },
    onResponse({ request, response }) {
      const entry = entries.get(request);
      if (!entry) return;
      entries.delete(request);
      if (entry.parts && !entry.parts.ended) {
        entry.parts.status = response.status;
        return;
      }
      write(request, entry, response.status);
    },
  };
}
