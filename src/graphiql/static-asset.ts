import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

export type ContentEncoding = 'br' | 'gzip' | 'identity';

/**
 * The encoding to answer with: the best q-value among br and gzip (br on a tie: about
 * 20% smaller on GraphiQL), identity when the client accepts neither.
 */
export function pickEncoding(acceptEncoding: string | null): ContentEncoding {
  const weights = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    if (!name) continue;
    const q = params.find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const weight = (encoding: string) => weights.get(encoding) ?? weights.get('*') ?? 0;
  const accepted = (['br', 'gzip'] as const).filter((encoding) => weight(encoding) > 0);
  return accepted.sort((a, b) => weight(b) - weight(a))[0] ?? 'identity';
}

/**
 * A file served from memory with validators and compression. Each encoding is
 * compressed once, on first demand, in libuv's thread pool (brotli of the 5 MB GraphiQL
 * script takes about a second of one core, so never per request, never on the event loop).
 */
export class StaticAsset {
  /** Content hash: the ETag's root, and the file name's for immutable assets. */
  readonly hash: string;
  private readonly encoded = new Map<ContentEncoding, Promise<Buffer>>();

  constructor(
    readonly body: Buffer,
    readonly contentType: string,
    readonly cacheControl: string,
  ) {
    this.hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  }

  /** Answers a GET or HEAD: 304 when the client's ETag is current, else the best encoding. */
  async respond(request: Request, fetchAPI: { Response: typeof Response }): Promise<Response> {
    const encoding = pickEncoding(request.headers.get('accept-encoding'));
    // One ETag per representation: a cache must not hand gzip bytes to a br validator.
    const etag = `"${this.hash}-${encoding}"`;
    const headers: Record<string, string> = {
      'Content-Type': this.contentType,
      'Cache-Control': this.cacheControl,
      ETag: etag,
      Vary: 'Accept-Encoding',
    };
    if (matchesEtag(request.headers.get('if-none-match'), etag)) return new fetchAPI.Response(null, { status: 304, headers });
    const bytes = await this.bytes(encoding);
    if (encoding !== 'identity') headers['Content-Encoding'] = encoding;
    headers['Content-Length'] = String(bytes.length);
    // zlib hands out Buffers over plain ArrayBuffers; the DOM typings want that said.
    return new fetchAPI.Response(request.method === 'HEAD' ? null : (bytes as Uint8Array<ArrayBuffer>), { status: 200, headers });
  }

  private bytes(encoding: ContentEncoding): Promise<Buffer> {
    if (encoding === 'identity') return Promise.resolve(this.body);
    let pending = this.encoded.get(encoding);
    if (!pending) {
      pending =
        encoding === 'br'
          ? brotli(this.body, {
              params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: this.body.length },
            })
          : gzipAsync(this.body, { level: 9 });
      // A failed compression is retried by the next request instead of being cached.
      pending.catch(() => this.encoded.delete(encoding));
      this.encoded.set(encoding, pending);
    }
    return pending;
  }
}

/** If-None-Match uses the weak comparison (RFC 9110 13.1.2): `W/` is ignored. */
function matchesEtag(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
