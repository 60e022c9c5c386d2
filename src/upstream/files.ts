const ABSOLUTE = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

/**
 * Server-side form of the SDK's `url_conversion`: a relative file URL gets
 * FILE_URL_PREFIX, with exactly one slash between them; an absolute one stays.
 */
export function rewriteUrl(url: string, prefix: string | undefined): string {
  if (prefix === undefined || prefix === '' || ABSOLUTE.test(url)) return url;
  return `${prefix.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}

