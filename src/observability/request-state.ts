import { randomUUID } from 'node:crypto';
import { UpstreamStats } from '../upstream/client.ts';

/**
 * What the gateway tracks for one HTTP request, from arrival to response: its log
 * line and metrics read it here, the GraphQL layer shows it in `extensions`.
 */
export interface RequestState {
  requestId: string;
  stats: UpstreamStats;
  startedAt: number;
  /** Which frontend build sent it, as metrics and the log line label it. */
  client: ClientLabels;
}

/**
 * A client's name and version as label values: only names (and versions) the trusted
 * documents' manifests know, anything else `unknown`, so a header cannot grow a series.
 */
export interface ClientLabels {
  name: string;
  version: string;
}

/** The labels of a request whose client is not known (or not named). */
export const UNKNOWN_CLIENT: ClientLabels = { name: 'unknown', version: 'unknown' };

/** The request header that names a frontend (Hive's and Apollo's convention). */
export const CLIENT_NAME_HEADER = 'graphql-client-name';
/** The request header that names the frontend's build, beside CLIENT_NAME_HEADER. */
export const CLIENT_VERSION_HEADER = 'graphql-client-version';
/** Longest client name or version echoed back in a refusal. */
const MAX_ECHO = 100;

/** The client headers as sent (null when absent), cut to a sane length: shown back in a refusal, or recorded. */
export function sentClient(request: Request, maxLength = MAX_ECHO): { name: string | null; version: string | null } {
  const cut = (value: string | null) => (value === null ? null : value.slice(0, maxLength));
  return { name: cut(request.headers.get(CLIENT_NAME_HEADER)), version: cut(request.headers.get(CLIENT_VERSION_HEADER)) };
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The state of a request arriving now, under the client's `X-Request-Id` when it is
 * sane (so a client report can be matched with our logs) or an id made here.
 * WebSocket operations get one each, outside yoga's onRequest.
 */
export function newRequestState(request: Request, client: ClientLabels = UNKNOWN_CLIENT): RequestState {
  const incoming = request.headers.get('x-request-id');
  return {
    requestId: incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID(),
    stats: new UpstreamStats(),
    startedAt: performance.now(),
    client,
  };
}
