import type { WireAssignment, WireFile } from '../contract/index.ts';

const ABSOLUTE = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

/** Joins a prefix and a relative URL with exactly one slash between them. */
export function rewriteUrl(url: string, prefix: string | undefined): string {
  if (prefix === undefined || prefix === '' || ABSOLUTE.test(url)) return url;
  return `${prefix.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}

/**
 * Server-side form of the SDK's `url_conversion`: relative file URLs, in string or
 * `{url}` form, get FILE_URL_PREFIX; absolute ones stay as they are.
 */
export function rewriteFiles(assignment: WireAssignment, prefix: string | undefined): WireAssignment {
  if (prefix === undefined || prefix === '' || !assignment.files) return assignment;
  const files: Record<string, WireFile> = {};
  for (const [key, file] of Object.entries(assignment.files)) {
    files[key] =
      typeof file === 'string'
        ? rewriteUrl(file, prefix)
        : typeof file?.url === 'string'
          ? { ...file, url: rewriteUrl(file.url, prefix) }
          : file;
  }
  return { ...assignment, files };
}
