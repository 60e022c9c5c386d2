import type { IncomingHttpHeaders } from 'node:http';
import { unauthorized } from './errors.ts';
import type { DevStore, DevUser } from './store.ts';

/** What the request's credential headers say, before the token is looked up. */
export type Credentials =
  | { kind: 'token'; token: string }
  | { kind: 'missing' }
  | { kind: 'malformed'; detail: string };

/**
 * DRF TokenAuthentication's parsing, over `Authorization` first and the SDK's
 * `Synapse-Access-Token` second: the keyword is case-insensitive, and a header with
 * another scheme (e.g. Bearer) counts as no credentials. The v2 clients send
 * `Synapse-Access-Token` with the bare token (`SYNAPSE-ACCESS-TOKEN: syn_…`), which is
 * taken as is.
 */
export function readCredentials(headers: IncomingHttpHeaders): Credentials {
  for (const name of ['authorization', 'synapse-access-token']) {
    const value = headers[name];
    if (typeof value !== 'string') continue;
    const parts = value.trim().split(/\s+/);
    if (name === 'synapse-access-token' && parts.length === 1 && parts[0] !== '' && parts[0]!.toLowerCase() !== 'token') {
      return { kind: 'token', token: parts[0]! };
    }
    if (parts[0]?.toLowerCase() !== 'token') continue;
    if (parts.length === 1) return { kind: 'malformed', detail: 'Invalid token header. No credentials provided.' };
    if (parts.length > 2) {
      return { kind: 'malformed', detail: 'Invalid token header. Token string should not contain spaces.' };
    }
    return { kind: 'token', token: parts[1]! };
  }
  return { kind: 'missing' };
}

/** The authenticated caller and what it may do. */
export class Principal {
  constructor(readonly user: DevUser) {}

  canRead(project: number): boolean {
    return this.user.isAdmin || this.user.projects.has(project);
  }

  /**
   * Viewers read; members and admins write: tag assignments, review them, and create and
   * delete the project's tags (v1 and v2 alike; Synapse's own tag-management role is not
   * in the contract, so the stand-in asks no more than a tag write does).
   */
  canWrite(project: number): boolean {
    return this.user.isAdmin || this.user.projects.get(project) === 'member';
  }

  get visibleProjects(): 'all' | number[] {
    return this.user.isAdmin ? 'all' : [...this.user.projects.keys()];
  }
}

/** Throws 401 with DRF's messages unless the credentials name a known user. */
export function authenticate(store: DevStore, credentials: Credentials): Principal {
  if (credentials.kind === 'missing') throw unauthorized('Authentication credentials were not provided.');
  if (credentials.kind === 'malformed') throw unauthorized(credentials.detail);
  const user = store.findUserByToken(credentials.token);
  if (!user) throw unauthorized('Invalid token.');
  return new Principal(user);
}
