import { getOperationAST } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import type { RequestState } from './request-state.ts';
import type { Logger } from './logger.ts';

interface Entry {
  operationNames: (string | null)[];
  operationType: string | null;
  errorCodes: string[];
}

/** Codes that mean "the gateway or its upstream failed", as opposed to a refused request. */
const FAULT_CODES = new Set(['UPSTREAM_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']);

/**
 * One JSON line per GraphQL request once its response is ready: request id, operation
 * name and type, the client (name and version, as the metrics label them), HTTP status, duration, what it cost upstream (requests, retries,
 * writes, busy ms) and the error codes it answered with. Never variables, headers or
 * the document: they may hold personal data or tokens.
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
    },
    onResultProcess({ request, result }) {
      // entryOf, not get: requests refused before their params were read (413, CSRF,
      // batching) reach here without an entry and must be logged with their id too.
      const entry = entryOf(request);
      for (const single of Array.isArray(result) ? result : [result]) {
        const errors = (single as { errors?: readonly { extensions?: { code?: unknown } }[] }).errors ?? [];
        for (const error of errors) entry.errorCodes.push(String(error.extensions?.code ?? 'UNKNOWN'));
      }
    },
    onResponse({ request, response }) {
      const entry = entries.get(request);
      if (!entry) return;
      entries.delete(request);
      const state = options.requestState(request);
      const codes = [...new Set(entry.errorCodes)];
      const fault = response.status >= 500 || codes.some((code) => FAULT_CODES.has(code));
      const line = {
        requestId: state?.requestId,
        operationName: entry.operationNames.length > 1 ? entry.operationNames.join(',') : (entry.operationNames[0] ?? null),
        operationType: entry.operationType,
        client: state?.client,
        status: response.status,
        durationMs: state ? Math.round((performance.now() - state.startedAt) * 10) / 10 : undefined,
        upstream: state?.stats.toJSON(),
        errors: entry.errorCodes.length,
        errorCodes: codes,
        ...(request.signal.aborted ? { clientGone: true } : {}),
      };
      if (fault) options.logger.warn(line, 'graphql operation');
      else options.logger.info(line, 'graphql operation');
    },
  };
}
