import { createGraphQLError, type Plugin } from 'graphql-yoga';

const CONTENT_LENGTH = /^\d+$/;

const tooLarge = () =>
  createGraphQLError('Request body too large', { extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' } });

/**
 * MAX_BODY_BYTES, in place of yoga's `maxRequestBodySize` (turned off in
 * securityOptions). Yoga counts every body through a TransformStream pipeline and a
 * second Request, Content-Length or not: about a tenth of the CPU of a small
 * operation. A declared Content-Length is checked against the limit before the body
 * is read, and for a request that came through Node's HTTP server nothing more is
 * needed: its parser reads exactly that many bytes. Any other body (chunked, or a
 * Request handed to `gateway.fetch` in process, whose header may say anything) is
 * counted as it is read, and refused as soon as it passes the limit.
 */
/** Yoga's Node adapter puts the IncomingMessage in the server context. */
function fromNodeHttpServer(serverContext: unknown): boolean {
  return (serverContext as { req?: { socket?: unknown } } | undefined)?.req?.socket != null;
}

export function useBodyLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI, serverContext }) {
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!CONTENT_LENGTH.test(declared)) {
          throw createGraphQLError('Content-Length header is invalid.', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
        }
        if (Number(declared) > limit) throw tooLarge();
        if (fromNodeHttpServer(serverContext)) return;
      }
      if (!requestParser || request.body == null) return;
      const parse = requestParser;
      setRequestParser(async (chunkedRequest) => {
        const reader = chunkedRequest.body!.getReader();
        const chunks: Uint8Array[] = [];
        let size = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.byteLength;
          if (size > limit) {
            void reader.cancel().catch(() => undefined);
            throw tooLarge();
          }
          chunks.push(value);
        }
        const body = new Uint8Array(size);
        let offset = 0;
        for (const chunk of chunks) {
          body.set(chunk, offset);
          offset += chunk.byteLength;
        }
        return parse(
          new fetchAPI.Request(chunkedRequest.url, {
            method: chunkedRequest.method,
            headers: chunkedRequest.headers,
            signal: chunkedRequest.signal,
            body,
          }),
        );
      });
    },
  };
}
