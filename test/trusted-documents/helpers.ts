import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TOKENS, type GraphQLResponse } from '../helpers/stack.ts';

/** Lowercase hex SHA-256 of a document, as the client preset and Apollo hash it. */
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A fresh folder of manifests: `files` maps a path (`web/1.4.0.json`) to its JSON. */
export function manifestFolder(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'trusted-documents-'));
  writeManifests(dir, files);
  return dir;
}

/** Writes (or overwrites) manifests in a folder, as a deploy would. */
export function writeManifests(dir: string, files: Record<string, unknown>): void {
  for (const [file, json] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), typeof json === 'string' ? json : `${JSON.stringify(json, null, 2)}\n`);
  }
}

/** The client preset's manifest of these documents: `{ "sha256:<hex>": document }`. */
export function presetManifest(...documents: string[]): Record<string, string> {
  return Object.fromEntries(documents.map((document) => [`sha256:${sha256(document)}`, document]));
}

/** Apollo's manifest of these documents, ids bare hex. */
export function apolloManifest(...documents: string[]): unknown {
  return {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: documents.map((body) => ({ id: sha256(body), name: /(?:query|mutation|subscription) (\w+)/.exec(body)?.[1] ?? null, type: 'query', body })),
  };
}

/** One request over real HTTP, as a client sends it: a POST body, or a GET with query parameters. */
export async function send(
  url: string,
  request: { body?: Record<string, unknown>; get?: Record<string, string>; headers?: Record<string, string>; token?: string | null },
): Promise<GraphQLResponse> {
  const token = request.token === undefined ? TOKENS.admin : request.token;
  const headers = {
    accept: 'application/graphql-response+json',
    ...(token ? { authorization: `Token ${token}` } : {}),
    ...(request.body ? { 'content-type': 'application/json' } : {}),
    ...request.headers,
  };
  const response = request.get
    ? await fetch(`${url}?${new URLSearchParams(request.get)}`, { headers })
    : await fetch(url, { method: 'POST', headers, body: JSON.stringify(request.body) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
}

/** The error codes of an answer, in order. */
export const codes = (response: GraphQLResponse) => (response.body.errors ?? []).map((error) => error.extensions?.['code']);
