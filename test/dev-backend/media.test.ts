import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireAssignment, WireFile } from '../../src/contract/index.ts';
import { createDevBackend, type DevBackend } from '../../src/dev-backend/server.ts';
import { readPng } from '../helpers/png.ts';
import { call, listAll } from './helpers.ts';

const NOW = new Date('2026-11-20T10:00:00Z');

const urlOf = (file: WireFile) => (typeof file === 'string' ? file : file.url);

/** A GET with no credentials, as an `<img>` tag sends it. */
async function image(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

describe('media files of the seed', () => {
  let backend: DevBackend;
  let rows: WireAssignment[];

  beforeAll(async () => {
    backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 200, now: NOW } });
    rows = await listAll(backend);
  });

  afterAll(() => backend.close());

  it('points every file at this backend: relative paths, or absolute URLs on the origin the client used', () => {
    const origin = new URL(backend.url).origin;
    const urls = rows.flatMap((a) => Object.values(a.files).map(urlOf));
    expect(urls.length).toBeGreaterThan(rows.length);
    expect(urls.filter((url) => !url.startsWith('/media/') && !url.startsWith(`${origin}/media/`))).toEqual([]);
    expect(urls.some((url) => url.startsWith(`${origin}/media/`))).toBe(true);
  });

  it('serves every one as a decodable PNG without credentials, its content type the one its name and mime say', async () => {
    const origin = new URL(backend.url).origin;
    let served = 0;
    for (const assignment of rows) {
      for (const [key, file] of Object.entries(assignment.files)) {
        const url = new URL(urlOf(file), origin).href;
        expect(url).toMatch(/\.png$/);
        const { status, headers, bytes } = await image(url);
        expect({ key, url, status }).toEqual({ key, url, status: 200 });
        expect(headers.get('content-type')).toBe('image/png');
        if (typeof file === 'object') expect(file.mime).toBe('image/png');
        expect(Number(headers.get('content-length'))).toBe(bytes.length);
        const png = readPng(bytes);
        expect(png.width * png.height).toBeGreaterThan(0);
        // Thumbnails are small, photos and report pages larger.
        if (key === 'thumbnail') expect(png.width).toBeLessThanOrEqual(160);
        else expect(png.width).toBeGreaterThanOrEqual(360);
        served++;
      }
    }
    expect(served).toBeGreaterThan(rows.length);
    // An image request is no API call: no credentials were asked for, none recorded.
    const media = backend.requests.filter((r) => r.path.startsWith('/media/'));
    expect(media).toHaveLength(served);
    expect(media.every((r) => r.token === null && r.status === 200)).toBe(true);
  });

  it('answers the same bytes for the same URL, in another backend seeded alike too', async () => {
    const other = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 200, now: NOW } });
    try {
      const path = urlOf(rows[0]!.files.image!);
      const [first, again, elsewhere] = await Promise.all([
        image(new URL(path, backend.url).href),
        image(new URL(path, backend.url).href),
        image(new URL(path, other.url).href),
      ]);
      expect(again.bytes.equals(first.bytes)).toBe(true);
      expect(elsewhere.bytes.equals(first.bytes)).toBe(true);
      expect(elsewhere.headers.get('etag')).toBe(first.headers.get('etag'));
      // Different assignments get different pictures.
      const second = await image(new URL(urlOf(rows[1]!.files.image!), backend.url).href);
      expect(second.bytes.equals(first.bytes)).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('is cacheable: Cache-Control and an ETag, 304 without a body for a conditional request', async () => {
    const url = new URL(urlOf(rows[0]!.files.image!), backend.url).href;
    const first = await image(url);
    expect(first.headers.get('cache-control')).toBe('public, max-age=86400');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await image(url, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.bytes.length).toBe(0);
    expect(again.headers.get('etag')).toBe(etag);
    expect((await image(url, { 'if-none-match': `W/${etag}, "other"` })).status).toBe(304);
    expect((await image(url, { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('lets pages of any origin read the images (CORS, CORP) and answers HEAD without a body', async () => {
    const url = new URL(urlOf(rows[0]!.files.image!), backend.url);
    const full = await image(url.href, { origin: 'http://localhost:5173' });
    expect(full.headers.get('access-control-allow-origin')).toBe('*');
    expect(full.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const head = await new Promise<{ status: number; length: string | undefined; body: number }>((resolve, reject) => {
      const req = httpRequest(url, { method: 'HEAD' }, (res) => {
        let body = 0;
        res.on('data', (chunk: Buffer) => (body += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode!, length: res.headers['content-length'], body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(head).toEqual({ status: 200, length: String(full.bytes.length), body: 0 });
  });

  it('serves only files assignments reference: 404 otherwise, 405 for other methods', async () => {
    const withoutThumbnail = rows.find((a) => a.files.thumbnail === undefined)!;
    const pad = (id: number) => String(id).padStart(5, '0');
    for (const path of [
      `media/p${withoutThumbnail.project}/thumb_${pad(withoutThumbnail.id)}.png`,
      `media/p${(rows[0]!.project % 4) + 1}/img_${pad(rows[0]!.id)}.png`, // the right id in another project
      'media/p1/img_99999.png',
      `media/p${rows[0]!.project}/img_${pad(rows[0]!.id)}.jpg`,
      'media/',
    ]) {
      const reply = await call(backend, path, { token: null });
      expect({ path, status: reply.status, body: reply.body }).toEqual({ path, status: 404, body: { detail: 'Not found.' } });
    }
    const post = await call(backend, urlOf(rows[0]!.files.image!).replace(/^.*?\/media\//, 'media/'), { method: 'POST', token: null, body: {} });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('builds absolute file URLs from the Host header the client sent', async () => {
    const absolute = rows.find((a) => Object.values(a.files).some((f) => /^http:/.test(urlOf(f))))!;
    const port = new URL(backend.url).port;
    // fetch() may not set Host; node:http may, as a proxy in front of the backend would.
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${backend.url}assignments/${absolute.id}/`, {
        headers: { host: `localhost:${port}`, authorization: 'Token dev-admin-token' },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    const files = (JSON.parse(body) as WireAssignment).files;
    const urls = Object.values(files).map(urlOf).filter((url) => url.startsWith('http'));
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect(url.startsWith(`http://localhost:${port}/media/`)).toBe(true);
      expect((await image(url)).status).toBe(200);
    }
  });
});

describe('media under injected faults', () => {
  it('are served like static files: no injected failure, and no draw taken from the API requests', async () => {
    const backend = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 20, now: NOW }, failRate: 0.5, failSeed: 7 });
    const reference = await createDevBackend({ dbPath: ':memory:', port: 0, seed: { assignments: 20, now: NOW }, failRate: 0.5, failSeed: 7 });
    try {
      const statuses = async (target: DevBackend, withImages: boolean) => {
        const seen: number[] = [];
        for (let i = 0; i < 20; i++) {
          if (withImages) expect((await image(`${target.url}media/p1/img_00001.png`)).status).toBe(200);
          seen.push((await call(target, 'assignments/1/')).status);
        }
        return seen;
      };
      const [withImages, without] = [await statuses(backend, true), await statuses(reference, false)];
      expect(withImages).toEqual(without);
      expect(new Set(without)).toEqual(new Set([200, 503]));
    } finally {
      await Promise.all([backend.close(), reference.close()]);
    }
  });
});
