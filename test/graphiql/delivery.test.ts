import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createGateway } from '../../src/gateway.ts';
import { applyFixes, graphiqlBundle } from '../../src/graphiql/bundle.ts';
import { graphiqlOptions } from '../../src/graphiql/options.ts';
import { pickEncoding } from '../../src/graphiql/static-asset.ts';
import { assetUrls } from '../helpers/graphiql.ts';

/** Decimal megabytes, the stricter reading of "2.5 MB". */
const MB = 1_000_000;

interface WireReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as sent, still encoded. */
  body: Buffer;
  /** Every byte the socket received: status line, headers and body. */
  wireBytes: number;
}

/** One request on its own connection, so the socket's byte count is this answer's alone. */
function wire(url: string, headers: Record<string, string> = {}): Promise<WireReply> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks), wireBytes: response.socket.bytesRead }),
      );
    });
    request.on('error', reject);
  });
}

function decoded(reply: WireReply): Buffer {
  const encoding = reply.headers['content-encoding'];
  return encoding === 'br' ? brotliDecompressSync(reply.body) : encoding === 'gzip' ? gunzipSync(reply.body) : reply.body;
}

async function listen(env: Record<string, string> = {}): Promise<{ server: Server; page: string }> {
  const base = loadConfig({ NODE_ENV: 'test', ...env });
  const gateway = createGateway({ ...base, upstream: { ...base.upstream, baseUrl: 'http://127.0.0.1:9/' } }, { demoToken: 'dev-admin-token' });
  const server = createServer(gateway);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, page: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` };
}

const close = (server: Server | undefined) => new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));

describe('GraphiQL on the wire (real HTTP)', () => {
  let server: Server;
  let page: string;
  /** What a browser loads for one visit, fetched with the given Accept-Encoding. */
  const visit = async (acceptEncoding?: string) => {
    const headers: Record<string, string> = { accept: 'text/html' };
    if (acceptEncoding) headers['accept-encoding'] = acceptEncoding;
    const html = await wire(page, headers);
    const files = await Promise.all(
      assetUrls(decoded(html).toString('utf8')).map((file) => wire(new URL(file, page).href, acceptEncoding ? { 'accept-encoding': acceptEncoding } : {})),
    );
    const replies = [html, ...files];
    return { replies, wireBytes: replies.reduce((sum, reply) => sum + reply.wireBytes, 0) };
  };

  beforeAll(async () => ({ server, page } = await listen()));
  afterAll(() => close(server));

  it('was a 9 MB page with everything inlined (render-graphiql), and is still 9 MB of files uncompressed', async () => {
    const inlined = Buffer.byteLength(renderGraphiQL(graphiqlOptions({ demoToken: 'dev-admin-token' })));
    const identity = await visit();
    console.log(`GraphiQL: yoga's inlined page ${(inlined / MB).toFixed(2)} MB; page + files uncompressed ${(identity.wireBytes / MB).toFixed(2)} MB`);
    expect(inlined).toBeGreaterThan(8.5 * MB);
    expect(identity.replies.every((reply) => reply.status === 200 && reply.headers['content-encoding'] === undefined)).toBe(true);
    expect(identity.wireBytes).toBeGreaterThan(8.5 * MB);
  });

  it('loads in under 2.5 MB on the wire with the Accept-Encoding Chromium sends (br), the same bytes once decoded', async () => {
    const [compressed, identity] = await Promise.all([visit('gzip, deflate, br, zstd'), visit()]);
    console.log(`GraphiQL with br: ${(compressed.wireBytes / MB).toFixed(2)} MB on the wire in ${compressed.replies.length} responses`);
    expect(compressed.replies.map((reply) => reply.headers['content-encoding'])).toEqual(compressed.replies.map(() => 'br'));
    expect(compressed.wireBytes).toBeLessThan(2.5 * MB);
    compressed.replies.forEach((reply, i) => expect(decoded(reply).equals(identity.replies[i]!.body)).toBe(true));
  });

  it('stays under 2.5 MB for gzip-only clients too', async () => {
    const gzip = await visit('gzip');
    console.log(`GraphiQL with gzip: ${(gzip.wireBytes / MB).toFixed(2)} MB on the wire`);
    expect(gzip.replies.every((reply) => reply.headers['content-encoding'] === 'gzip')).toBe(true);
    expect(gzip.wireBytes).toBeLessThan(2.5 * MB);
  });

  it('makes a repeat visit cost headers only: the page is revalidated (304), the files are immutable and 304 too', async () => {
    const first = await visit('br');
    const [html, ...files] = first.replies;
    expect(html!.headers['cache-control']).toBe('no-cache');
    for (const reply of files) expect(reply.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const reply of first.replies) expect(reply.headers.vary).toBe('Accept-Encoding');

    const urls = [page, ...assetUrls(decoded(html!).toString('utf8')).map((file) => new URL(file, page).href)];
    const again = await Promise.all(
      urls.map((url, i) => wire(url, { accept: 'text/html', 'accept-encoding': 'br', 'if-none-match': String(first.replies[i]!.headers.etag) })),
    );
    expect(again.map((reply) => reply.status)).toEqual(urls.map(() => 304));
    expect(again.every((reply) => reply.body.length === 0)).toBe(true);
    const total = again.reduce((sum, reply) => sum + reply.wireBytes, 0);
    expect(total).toBeLessThan(urls.length * 1024);

    // Each encoding has its own ETag: a gzip client's validator does not match the br bytes.
    const gzipEtag = String((await wire(urls[1]!, { 'accept-encoding': 'gzip' })).headers.etag);
    expect(gzipEtag).not.toBe(first.replies[1]!.headers.etag);
    expect((await wire(urls[1]!, { 'accept-encoding': 'br', 'if-none-match': gzipEtag })).status).toBe(200);
  });

  it('answers 404 for a file name it does not have', async () => {
    const html = decoded(await wire(page, { accept: 'text/html' })).toString('utf8');
    const script = new URL(assetUrls(html).find((file) => file.startsWith('graphiql/graphiql.') && file.endsWith('.js'))!, page);
    expect(script.pathname).toMatch(/^\/graphiql\/graphiql\.[\w-]+\.js$/);
    expect((await wire(script.href.replace(/\.js$/, 'x.js'))).status).toBe(404);
    expect((await wire(new URL('/graphiql/', page).href)).status).toBe(404);
  });

  it('serves neither page nor files when GraphiQL is off (production)', async () => {
    const production = await listen({ NODE_ENV: 'production', LOG_LEVEL: 'silent' });
    try {
      const html = decoded(await wire(page, { accept: 'text/html' })).toString('utf8');
      const off = await wire(production.page, { accept: 'text/html' });
      expect(String(off.headers['content-type'])).not.toContain('text/html');
      for (const file of assetUrls(html)) expect((await wire(new URL(file, production.page).href)).status).toBe(404);
    } finally {
      await close(production.server);
    }
  });
});

describe('content negotiation', () => {
  it.each([
    [null, 'identity'],
    ['', 'identity'],
    ['identity', 'identity'],
    ['gzip, deflate', 'gzip'],
    ['gzip, deflate, br, zstd', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['*', 'br'],
    ['*;q=0.1, br;q=0', 'gzip'],
    [' GZIP ; q=0.8 ', 'gzip'],
  ])('Accept-Encoding %j -> %s', (header, expected) => {
    expect(pickEncoding(header)).toBe(expected);
  });
});

describe('fixes to the bundled GraphiQL', () => {
  it('applies to the pinned bundle: no drag constraint on the tabs, the history plugin beside the explorer', async () => {
    const { js } = await graphiqlBundle();
    expect(js).not.toMatch(/dragConstraints:\w+,value:/);
    const history = /const (\w+)=\{title:"History",icon:/.exec(js)![1];
    expect(js).toContain(`plugins:[${history},`);
  });

  it('refuses to start on a bundle where a fix does not match exactly once', () => {
    const fix = { why: 'test', pattern: /needle/, replace: () => 'pin' };
    expect(applyFixes('hay needle hay', [fix])).toBe('hay pin hay');
    expect(() => applyFixes('hay hay', [fix])).toThrow(/expected one match of \/needle\/, found 0/);
    expect(() => applyFixes('needle needle', [fix])).toThrow(/found 2/);
  });
});
