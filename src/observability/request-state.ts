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
