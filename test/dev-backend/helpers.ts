import type { DevBackend } from '../../src/dev-backend/server.ts';
import type { DevStore } from '../../src/dev-backend/store.ts';
import type { WireAssignment, WirePage, WireTag } from '../../src/contract/index.ts';
import { TOKENS } from '../helpers/tokens.ts';

export { TOKENS } from '../helpers/tokens.ts';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  method?: string;
  /** Sent as `Authorization: Token <token>`; null sends no credentials. Default: admin. */
  token?: string | null;
  headers?: Record<string, string>;
  /** Serialized as JSON unless already a string. */
  body?: unknown;
}

/** One HTTP call against the backend; `path` is relative to its base URL. */
export async function call<T = any>(backend: DevBackend, path: string, options: CallOptions = {}): Promise<Reply<T>> {
  const token = options.token === undefined ? TOKENS.admin : options.token;
  const headers: Record<string, string> = { ...options.headers };
  if (token !== null) headers.Authorization = `Token ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(backend.url + path, { method: options.method ?? 'GET', headers, body });
  const text = await response.text();
  // A 204 has no body.
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T, headers: response.headers };
}

/** Every assignment matching `query`, by following `next` (page size 1000). */
export async function listAll(backend: DevBackend, query = '', token: string = TOKENS.admin): Promise<WireAssignment[]> {
  const results: WireAssignment[] = [];
  let page = 1;
  for (;;) {
    const reply = await call<WirePage<WireAssignment>>(
      backend,
      `sdk/assignments/?${query}${query ? '&' : ''}page_size=1000&page=${page}`,
      { token },
    );
    if (reply.status !== 200) throw new Error(`listing failed: ${reply.status} ${JSON.stringify(reply.body)}`);
    results.push(...reply.body.results);
    if (reply.body.next === null) return results;
    page++;
  }
}

/** Every row of a store, read directly (no HTTP), in id order. */
export function everyAssignment(store: DevStore): WireAssignment[] {
  const query = { filter: {}, visibleProjects: 'all' as const };
  return store.listAssignments(query, ['id'], { limit: store.countAssignments(query), offset: 0 });
}

/** A project's tags by name, read over HTTP as a gateway would. */
export async function tagsByName(backend: DevBackend, project: number): Promise<Map<string, WireTag>> {
  const reply = await call<WirePage<WireTag>>(backend, `projects/${project}/tags/?page_size=1000`);
  if (reply.status !== 200) throw new Error(`tags failed: ${reply.status}`);
  return new Map(reply.body.results.map((tag) => [tag.name, tag]));
}

export function ids(rows: readonly { id: number }[]): number[] {
  return rows.map((row) => row.id);
}

/** Polls until `predicate` holds; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
