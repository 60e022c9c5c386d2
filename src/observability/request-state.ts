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
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The state of a request arriving now, under the client's `X-Request-Id` when it is
 * sane (so a client report can be matched with our logs) or an id made here.
 * WebSocket operations get one each, outside yoga's onRequest.
 */
export function newRequestState(request: Request): RequestState {
  const incoming = request.headers.get('x-request-id');
  return {
    requestId: incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID(),
    stats: new UpstreamStats(),
    startedAt: performance.now(),
  };
}
