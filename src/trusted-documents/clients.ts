import { createHash, timingSafeEqual } from 'node:crypto';
import { CLIENT_NAME_HEADER, CLIENT_VERSION_HEADER, UNKNOWN_CLIENT, type ClientLabels } from '../observability/request-state.ts';
import type { DocumentSet } from './document-set.ts';

/** The header an operator sends, with the configured secret, to run any document. */
export const BYPASS_HEADER = 'x-trusted-documents-bypass';
/**
 * A request's client as label values: a name the manifests know (or one of `extraNames`,
 * GraphiQL's), else `unknown`; its version when that client has a manifest of it, else
 * `unknown`. Metrics and logs stay bounded whatever a header says.
 */
export function clientLabels(request: Request, set: DocumentSet, extraNames: ReadonlySet<string>): ClientLabels {
  const name = request.headers.get(CLIENT_NAME_HEADER);
  if (name === null) return UNKNOWN_CLIENT;
  if (!set.hasClient(name)) return extraNames.has(name) ? { name, version: UNKNOWN_CLIENT.version } : UNKNOWN_CLIENT;
  const version = request.headers.get(CLIENT_VERSION_HEADER);
  return { name, version: version !== null && set.hasVersion(name, version) ? version : UNKNOWN_CLIENT.version };
}

/**
 * Whether a bypass header holds the secret, compared in constant time: both sides are
 * SHA-256 digests, so `timingSafeEqual` always compares 32 bytes and neither the
 * secret's length nor how much of it a guess got right shows in the time taken.
 */
export function bypassCheck(secret: string): (given: string) => boolean {
  const expected = createHash('sha256').update(secret).digest();
  return (given) => timingSafeEqual(createHash('sha256').update(given).digest(), expected);
}
