import { createHash, hash } from 'node:crypto';
import { parse } from 'graphql';

/** One document of a manifest, under the id its build sends. */
export interface ManifestEntry {
  /** The id as the manifest writes it: `sha256:<hex>`, bare hex, or a custom id. */
  id: string;
  /** The document's exact text. */
  body: string;
  /** Lowercase hex SHA-256 of `body`, worked out here. */
  sha256: string;
  /** 1-based line of the id in the file, for messages. */
  line: number;
}

/** A manifest that cannot be used, with the file and line to look at. */
export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

const APOLLO_FORMAT = 'apollo-persisted-query-manifest';
const SHA256_ID = /^sha256:([0-9a-f]{64})$/;
const HEX64 = /^[0-9a-f]{64}$/;
const HEX40 = /^[0-9a-f]{40}$/;
const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Lowercase hex SHA-256 of a document's text (one-shot: it runs per request, for spans and the gate). */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/**
 * Why `id` cannot name `text`, when it names a hash that is not the text's (`sha256:<hex>` and
 * 64 hex digits: SHA-256; 40 hex digits: SHA-1, the client preset's former default);
 * undefined when it is that hash, or a custom id, which nothing can check. One rule for the
 * manifests and for requests that send an id with a text.
 */
export function hashIdMismatch(id: string, text: string, sha256?: string): string | undefined {
  const claimed = SHA256_ID.exec(id)?.[1] ?? (HEX64.test(id) ? id : undefined);
  if (claimed !== undefined) {
    const actual = sha256 ?? sha256Hex(text);
    return claimed === actual ? undefined : `id ${id} is not the SHA-256 of its document (that is sha256:${actual})`;
  }
  if (HEX40.test(id) && createHash('sha1').update(text).digest('hex') !== id) return `id ${id} is not the SHA-1 of its document`;
  return undefined;
}

/**
 * The entries of one manifest file, in either format frontends' tools write: GraphQL Code
 * Generator's client preset (`{ "<id>": "<document>" }`) or Apollo's
 * (`{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ id, body }] }`).
 * Every id that names a hash must be that hash of its body (`sha256:<hex>` and 64 hex
 * digits: SHA-256; 40 hex digits: SHA-1, the preset's former default), and every body must
 * parse: a manifest that lies about a document is refused whole, naming the line.
 */
export function parseManifest(text: string, file: string): ManifestEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(file, syntaxErrorLine(text, error as Error), `not JSON: ${(error as Error).message.replace(/ \(line \d+ column \d+\)$/, '')}`);
  }
  const pairs = apolloPairs(json, text, file) ?? presetPairs(json, text, file);
  const lines = linesOf(text, new Set(pairs.map(({ id }) => JSON.stringify(id))));
  const seen = new Set<string>();
  return pairs.map(({ id, body }) => {
    const line = lines.get(JSON.stringify(id)) ?? 1;
    if (id === '') throw new ManifestError(file, line, 'an empty id');
    if (seen.has(id)) throw new ManifestError(file, line, `id ${id} appears twice`);
    seen.add(id);
    const sha256 = sha256Hex(body);
    const mismatch = hashIdMismatch(id, body, sha256);
    if (mismatch !== undefined) throw new ManifestError(file, line, mismatch);
    try {
      parse(body, { noLocation: true });
    } catch (error) {
      throw new ManifestError(file, line, `the document of ${id} does not parse: ${(error as Error).message}`);
    }
    return { id, body, sha256, line };
  });
}

/** Apollo's format, or undefined when the file is not in it. */
function apolloPairs(json: unknown, text: string, file: string): { id: string; body: string }[] | undefined {
  if (!isObject(json) || json['format'] !== APOLLO_FORMAT) return undefined;
  if (json['version'] !== 1) throw new ManifestError(file, lineOf(text, '"version"'), `${APOLLO_FORMAT} version ${JSON.stringify(json['version'])}; only 1 is known`);
  const operations = json['operations'];
  if (!Array.isArray(operations)) throw new ManifestError(file, lineOf(text, '"operations"'), '"operations" is not a list');
  return operations.map((operation, index) => {
    if (!isObject(operation) || typeof operation['id'] !== 'string' || typeof operation['body'] !== 'string') {
      const near = isObject(operation) && typeof operation['id'] === 'string' ? lineOf(text, JSON.stringify(operation['id'])) : lineOf(text, '"operations"');
      throw new ManifestError(file, near, `operation ${index} needs a string "id" and a string "body"`);
    }
    return { id: operation['id'], body: operation['body'] };
  });
}

/** The client preset's format: an object of id → document. */
function presetPairs(json: unknown, text: string, file: string): { id: string; body: string }[] {
  if (!isObject(json)) throw new ManifestError(file, 1, `neither { "<id>": "<document>" } nor an ${APOLLO_FORMAT}`);
  return Object.entries(json).map(([id, body]) => {
    if (typeof body !== 'string') throw new ManifestError(file, lineOf(text, JSON.stringify(id)), `the document of ${id} is not a string`);
    return { id, body };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The line JSON.parse stopped at: from the position its message names, else the last line (input ended early). */
function syntaxErrorLine(text: string, error: Error): number {
  const position = /at position (\d+)/.exec(error.message)?.[1];
  return lineAt(text, position === undefined ? text.length : Number(position));
}

/** The line where `needle` first appears (1 when it does not). */
function lineOf(text: string, needle: string): number {
  const index = text.indexOf(needle);
  return index < 0 ? 1 : lineAt(text, index);
}

/**
 * The line where each of `needles` (JSON string literals) first stands as a string in `text`,
 * valid JSON, found in one pass: a manifest of thousands of entries loads in linear time.
 */
function linesOf(text: string, needles: ReadonlySet<string>): Map<string, number> {
  const lines = new Map<string, number>();
  let longest = 0;
  for (const needle of needles) longest = Math.max(longest, needle.length);
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === NEWLINE) line++;
    else if (char === QUOTE) {
      // Valid JSON has no raw newline inside a string: skip to its closing quote, past escapes.
      let end = i + 1;
      while (end < text.length && text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      if (end - i + 1 <= longest) {
        const literal = text.slice(i, end + 1);
        if (needles.has(literal) && !lines.has(literal)) lines.set(literal, line);
      }
      i = end;
    }
  }
  return lines;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
