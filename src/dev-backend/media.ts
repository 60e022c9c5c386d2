import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WireFile } from '../contract/index.ts';
import { parseMediaPath, REQUEST_ORIGIN, type MediaKind } from './media-urls.ts';
import { encodePng, type Raster } from './png.ts';
import { mulberry32, type Random } from './prng.ts';
import type { DevStore } from './store.ts';

const SIZES: Readonly<Record<MediaKind, readonly [width: number, height: number]>> = {
  img: [480, 360],
  thumb: [160, 120],
  report: [360, 480],
};

/** Bumped when the drawing changes, so ETags (and caches) follow. */
const DRAWING_VERSION = 1;

/** The path of a stored file URL when it is one this backend serves. */
function servedPath(file: WireFile): string | undefined {
  const url = typeof file === 'string' ? file : file.url;
  if (url.startsWith('/media/')) return url;
  if (url.startsWith(`${REQUEST_ORIGIN}/media/`)) return url.slice(REQUEST_ORIGIN.length);
  return undefined;
}

/**
 * Answers `GET`/`HEAD /media/...` when the path is a file of an existing assignment,
 * with a PNG drawn from the path alone, so the same URL always gets the same bytes. No
 * credentials are asked for, as a media server behind a CDN does: an `<img>` tag sends
 * none. Returns false when the path is not under /media/ (the API handles it).
 */
export function serveMedia(store: DevStore, request: IncomingMessage, response: ServerResponse, pathname: string): boolean {
  if (!pathname.startsWith('/media/')) return false;
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    sendText(response, 405, `Method "${method}" not allowed.`, { Allow: 'GET, HEAD' });
    return true;
  }
  const media = parseMediaPath(pathname);
  const assignment = media ? store.getAssignment(media.assignmentId) : undefined;
  const referenced =
    media !== undefined &&
    assignment !== undefined &&
    assignment.project === media.project &&
    Object.values(assignment.files).some((file) => servedPath(file) === pathname);
  if (!referenced) {
    sendText(response, 404, 'Not found.');
    return true;
  }
  const etag = `"${createHash('sha256').update(`${DRAWING_VERSION}:${pathname}`).digest('base64url').slice(0, 22)}"`;
  const headers = {
    'Content-Type': 'image/png',
    // The bytes depend on the URL alone; a day keeps repeated page loads off the network.
    'Cache-Control': 'public, max-age=86400',
    ETag: etag,
    // Public images: a frontend on another origin may also read them (canvas, fetch).
    'Access-Control-Allow-Origin': '*',
    'Cross-Origin-Resource-Policy': 'cross-origin',
  };
  if (matchesEtag(request.headers['if-none-match'], etag)) {
    response.writeHead(304, headers);
    response.end();
    return true;
  }
  const png = encodePng(drawMedia(media.kind, media.project, media.assignmentId));
  response.writeHead(200, { ...headers, 'Content-Length': png.length });
  response.end(method === 'HEAD' ? undefined : png);
  return true;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function sendText(response: ServerResponse, status: number, detail: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ detail });
  response.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

/**
 * The picture of one file. Photo and thumbnail of an assignment show the same scene
 * (it is seeded by project and id, not by kind), each labelled with the assignment id
 * so a reviewer can tell them apart.
 */
function drawMedia(kind: MediaKind, project: number, assignmentId: number): Raster {
  const [width, height] = SIZES[kind];
  const canvas = new Canvas(width, height);
  const random = mulberry32(0x3ed1a ^ Math.imul(project, 0x9e3779b1) ^ Math.imul(assignmentId, 0x85ebca6b));
  if (kind === 'report') drawReport(canvas, random);
  else drawScene(canvas, random);
  canvas.label(String(assignmentId), Math.max(2, Math.round(width / 80)));
  return canvas.raster();
}

type Rgb = readonly [number, number, number];

function drawScene(canvas: Canvas, random: Random): void {
  const top = color(random);
  const bottom = color(random);
  canvas.gradient(top, bottom);
  const shapes = 3 + Math.floor(random() * 4);
  for (let i = 0; i < shapes; i++) {
    const cx = random();
    const cy = random();
    const size = 0.08 + random() * 0.22;
    const fill = color(random);
    if (random() < 0.5) canvas.circle(cx, cy, size, fill);
    else canvas.rect(cx - size, cy - size * 0.7, cx + size, cy + size * 0.7, fill);
  }
}

function drawReport(canvas: Canvas, random: Random): void {
  canvas.gradient([246, 244, 238], [236, 233, 224]);
  canvas.rect(0.08, 0.12, 0.92, 0.2, color(random));
  let y = 0.26;
  while (y < 0.9) {
    canvas.rect(0.08, y, 0.3 + random() * 0.62, y + 0.018, [120, 120, 128]);
    y += 0.04 + (random() < 0.15 ? 0.04 : 0);
  }
}

/** A saturated colour from the PRNG. */
function color(random: Random): Rgb {
  const hue = random() * 6;
  const sector = Math.floor(hue);
  const f = hue - sector;
  const [hi, lo] = [230, 50];
  const rise = Math.round(lo + (hi - lo) * f);
  const fall = Math.round(hi - (hi - lo) * f);
  const sectors: Rgb[] = [
    [hi, rise, lo],
    [fall, hi, lo],
    [lo, hi, rise],
    [lo, fall, hi],
    [rise, lo, hi],
    [hi, lo, fall],
  ];
  return sectors[sector % 6]!;
}

/** 3×5 digit glyphs, one row a string, for the id label. */
const GLYPHS: Readonly<Record<string, readonly string[]>> = {
  '0': ['111', '101', '101', '101', '111'],
  '1': ['010', '110', '010', '010', '111'],
  '2': ['111', '001', '111', '100', '111'],
  '3': ['111', '001', '111', '001', '111'],
  '4': ['101', '101', '111', '001', '001'],
  '5': ['111', '100', '111', '001', '111'],
  '6': ['111', '100', '111', '101', '111'],
  '7': ['111', '001', '001', '001', '001'],
  '8': ['111', '101', '111', '101', '111'],
  '9': ['111', '101', '111', '001', '111'],
};

/** Just the drawing operations the pictures need, in coordinates relative to the size (0..1). */
class Canvas {
  private readonly pixels: Uint8Array;

  constructor(
    private readonly width: number,
    private readonly height: number,
  ) {
    this.pixels = new Uint8Array(width * height * 3);
  }

  raster(): Raster {
    return { width: this.width, height: this.height, pixels: this.pixels };
  }

  gradient(top: Rgb, bottom: Rgb): void {
    for (let y = 0; y < this.height; y++) {
      const t = y / Math.max(1, this.height - 1);
      const rgb: Rgb = [0, 1, 2].map((c) => Math.round(top[c]! + (bottom[c]! - top[c]!) * t)) as unknown as Rgb;
      for (let x = 0; x < this.width; x++) this.set(x, y, rgb);
    }
  }

  rect(x0: number, y0: number, x1: number, y1: number, rgb: Rgb): void {
    this.fillPixels(Math.round(x0 * this.width), Math.round(y0 * this.height), Math.round(x1 * this.width), Math.round(y1 * this.height), rgb);
  }

  circle(cx: number, cy: number, radius: number, rgb: Rgb): void {
    const r = radius * Math.min(this.width, this.height);
    const [px, py] = [cx * this.width, cy * this.height];
    for (let y = Math.max(0, Math.floor(py - r)); y < Math.min(this.height, Math.ceil(py + r)); y++) {
      for (let x = Math.max(0, Math.floor(px - r)); x < Math.min(this.width, Math.ceil(px + r)); x++) {
        if ((x + 0.5 - px) ** 2 + (y + 0.5 - py) ** 2 <= r * r) this.set(x, y, rgb);
      }
    }
  }

  /** White text on a dark box in the top-left corner. */
  label(text: string, scale: number): void {
    const glyphs = [...text].map((ch) => GLYPHS[ch]!);
    const pad = scale;
    this.fillPixels(0, 0, pad * 2 + glyphs.length * 4 * scale - scale, pad * 2 + 5 * scale, [24, 24, 28]);
    glyphs.forEach((rows, index) => {
      rows.forEach((row, gy) => {
        [...row].forEach((bit, gx) => {
          if (bit !== '1') return;
          const x = pad + (index * 4 + gx) * scale;
          const y = pad + gy * scale;
          this.fillPixels(x, y, x + scale, y + scale, [255, 255, 255]);
        });
      });
    });
  }

  private fillPixels(x0: number, y0: number, x1: number, y1: number, rgb: Rgb): void {
    for (let y = Math.max(0, y0); y < Math.min(this.height, y1); y++) {
      for (let x = Math.max(0, x0); x < Math.min(this.width, x1); x++) this.set(x, y, rgb);
    }
  }

  private set(x: number, y: number, rgb: Rgb): void {
    this.pixels.set(rgb, (y * this.width + x) * 3);
  }
}
