import type { IncomingMessage, ServerResponse } from 'node:http';
import { payloadTooLarge, type HttpError } from './errors.ts';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a request body, or answers 413 past the limit. Past the limit it keeps
 * reading but stops buffering: a client still uploading then gets the 413 instead
 * of a connection reset. Rejects if the client goes away mid-body.
 */
export async function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | HttpError> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? payloadTooLarge() : Buffer.concat(chunks);
}

/** A body that already is JSON text: sent as is. */
export class JsonText {
  constructor(readonly text: string) {}
}

/** A handler's answer with a status other than 200 (201 created, 204 with no body). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body?: unknown,
  ) {}
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (status === 204) {
    response.writeHead(204, headers);
    response.end();
    return;
  }
  const payload = body instanceof JsonText ? body.text : JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
  });
  response.end(payload);
}

/**
 * The absolute URL the client used, authority from its Host header, so pagination
 * links point wherever the client reached us. Concatenated rather than resolved: a
 * path like `//x` must stay a path, not become a host.
 */
export function requestUrl(request: IncomingMessage, fallbackHost: string): URL {
  // Absolute-form and `*` targets have no use against this API; as `/` they get a 404.
  const path = request.url?.startsWith('/') ? request.url : '/';
  try {
    return new URL(`http://${request.headers.host ?? fallbackHost}${path}`);
  } catch {
    // A malformed Host header must not break the request; links then use our address.
    return new URL(`http://${fallbackHost}${path}`);
  }
}
