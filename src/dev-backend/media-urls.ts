/**
 * Stored file URLs that start with this origin are answered as absolute URLs on the
 * origin the client reached (`http://<Host header>`), as DRF's `build_absolute_uri`
 * does. The database cannot hold the real origin: its port changes between runs.
 * `.invalid` never resolves, so a URL that escaped unrendered fails loudly.
 */
export const REQUEST_ORIGIN = 'http://synapse.invalid';

/** What the seed's files are: a photo, its thumbnail, a scanned report page. */
export type MediaKind = 'img' | 'thumb' | 'report';

/** `/media/p<project>/<kind>_<assignment id>.png`, the only media paths the seed writes. */
const MEDIA_PATH = /^\/media\/p(\d{1,9})\/(img|thumb|report)_(\d{5,9})\.png$/;

/** A seeded file's path, e.g. `/media/p2/thumb_00042.png`: the seed writes it, the media server reads it back. */
export function mediaPath(project: number, kind: MediaKind, assignmentId: number): string {
  return `/media/p${project}/${kind}_${String(assignmentId).padStart(5, '0')}.png`;
}

/** What a media path names, or undefined when the seed never writes such a path. */
export function parseMediaPath(pathname: string): { project: number; kind: MediaKind; assignmentId: number } | undefined {
  const match = MEDIA_PATH.exec(pathname);
  if (!match) return undefined;
  return { project: Number(match[1]), kind: match[2] as MediaKind, assignmentId: Number(match[3]) };
}
