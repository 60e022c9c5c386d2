import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DocumentSet } from '../../src/trusted-documents/document-set.ts';
import { ManifestError, parseManifest, sha256Hex } from '../../src/trusted-documents/manifest.ts';
import { clientOfPath, manifestFiles, readDocumentSet } from '../../src/trusted-documents/store.ts';

const ONE = 'query One { assignment(id: 1) { id } }';
const TWO = 'query Two { tags(projectId: 1) { id name } }';
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/** The ManifestError a manifest text throws (fails the test when it throws none). */
function refusalOf(text: string, file = 'web/1.0.0.json'): ManifestError {
  try {
    parseManifest(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return error as ManifestError;
  }
  throw new Error('the manifest was accepted');
}

describe('a manifest file', () => {
  it("reads the client preset's format with sha256 ids, and works out each body's hash", () => {
    const text = JSON.stringify({ [`sha256:${sha256Hex(ONE)}`]: ONE, [`sha256:${sha256Hex(TWO)}`]: TWO }, null, 2);
    expect(parseManifest(text, 'web.json')).toEqual([
      { id: `sha256:${sha256Hex(ONE)}`, body: ONE, sha256: sha256Hex(ONE), line: 2 },
      { id: `sha256:${sha256Hex(TWO)}`, body: TWO, sha256: sha256Hex(TWO), line: 3 },
    ]);
  });

  it("reads Apollo's manifest format, its ids bare hex", () => {
    const text = JSON.stringify({
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: [{ id: sha256Hex(ONE), name: 'One', type: 'query', body: ONE }],
    });
    expect(parseManifest(text, 'web.json')).toEqual([{ id: sha256Hex(ONE), body: ONE, sha256: sha256Hex(ONE), line: 1 }]);
  });

  it("reads the preset's former default, sha1 ids, checked against their bodies", () => {
    expect(parseManifest(JSON.stringify({ [sha1(ONE)]: ONE }), 'web.json').map((entry) => entry.id)).toEqual([sha1(ONE)]);
    expect(refusalOf(JSON.stringify({ [sha1(TWO)]: ONE })).message).toMatch(/is not the SHA-1 of its document/);
  });

  it('refuses a sha256 id that is not the hash of its body, naming the file and the line of the id', () => {
    const text = ['{', `  "sha256:${sha256Hex(ONE)}": ${JSON.stringify(ONE)},`, `  "custom": "query C { __typename }",`, `  "sha256:${sha256Hex(TWO)}": ${JSON.stringify(ONE)}`, '}'].join('\n');
    const error = refusalOf(text);
    expect({ file: error.file, line: error.line }).toEqual({ file: 'web/1.0.0.json', line: 4 });
    expect(error.message).toBe(`web/1.0.0.json:4: id sha256:${sha256Hex(TWO)} is not the SHA-256 of its document (that is sha256:${sha256Hex(ONE)})`);
    // A bare 64-hex id claims the same.
    expect(refusalOf(JSON.stringify({ [sha256Hex(TWO)]: ONE })).message).toMatch(/is not the SHA-256 of its document/);
  });

  it('refuses JSON that does not parse, with the line where parsing stopped', () => {
    const text = ['{', `  "a": "query A { __typename }"`, `  "b": "query B { __typename }"`, '}'].join('\n');
    const error = refusalOf(text, 'web.json');
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^web\.json:3: not JSON: /);
    expect(refusalOf('{\n  "a": "query A { __typename }",\n').line).toBe(3);
  });

  it('refuses a document that does not parse, a non-string body, a duplicate id, an unknown Apollo version', () => {
    expect(refusalOf(JSON.stringify({ custom: 'query {' })).message).toMatch(/the document of custom does not parse/);
    expect(refusalOf(JSON.stringify({ custom: 1 })).message).toMatch(/the document of custom is not a string/);
    const twice = { format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'a', body: ONE }, { id: 'a', body: TWO }] };
    expect(refusalOf(JSON.stringify(twice)).message).toMatch(/id a appears twice/);
    expect(refusalOf(JSON.stringify({ ...twice, version: 2 })).message).toMatch(/version 2; only 1 is known/);
    expect(refusalOf('[]').message).toMatch(/neither/);
  });
});

describe('the folder of manifests', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names the client by the path, and reads every *.json at any depth, skipping dot-names (Kubernetes ConfigMaps)', () => {
    dir = mkdtempSync(join(tmpdir(), 'manifests-'));
    mkdirSync(join(dir, 'web', 'canary'), { recursive: true });
    mkdirSync(join(dir, '..2026_11_20'));
    writeFileSync(join(dir, 'web', '1.4.0.json'), '{}');
    writeFileSync(join(dir, 'web', 'canary', '1.5.0.json'), '{}');
    writeFileSync(join(dir, 'admin.json'), '{}');
    writeFileSync(join(dir, 'notes.txt'), '');
    writeFileSync(join(dir, '..2026_11_20', 'mobile.json'), '{}');
    symlinkSync(join(dir, '..2026_11_20'), join(dir, '..data'));
    symlinkSync(join(dir, '..data', 'mobile.json'), join(dir, 'mobile.json'));
    expect(manifestFiles(dir)).toEqual(['admin.json', 'mobile.json', 'web/1.4.0.json', 'web/canary/1.5.0.json']);
    expect(manifestFiles(dir).map(clientOfPath)).toEqual([
      { client: 'admin', version: undefined },
      { client: 'mobile', version: undefined },
      { client: 'web', version: '1.4.0' },
      { client: 'web', version: 'canary/1.5.0' },
    ]);
    expect(readDocumentSet(dir).clients).toEqual(['admin', 'mobile', 'web']);
  });
});

describe('the set of documents', () => {
  const entry = (id: string, body: string) => ({ id, body, sha256: sha256Hex(body), line: 1 });
  const set = new DocumentSet([
    { file: 'web/1.0.0.json', client: 'web', version: '1.0.0', entries: [entry(`sha256:${sha256Hex(ONE)}`, ONE), entry('custom-1', ONE)] },
    { file: 'web/2.0.0.json', client: 'web', version: '2.0.0', entries: [entry('custom-1', TWO)] },
    { file: 'mobile.json', client: 'mobile', version: undefined, entries: [entry(sha1(TWO), TWO)] },
  ]);

  it('finds a document under every id form: sha256:<hex>, bare hex, and the manifest\'s own (sha1 or custom)', () => {
    const all = set.scope(null, null);
    for (const id of [`sha256:${sha256Hex(ONE)}`, sha256Hex(ONE)]) expect(all.byId.get(id)?.body).toBe(ONE);
    expect(all.byId.get(sha1(TWO))?.body).toBe(TWO);
    expect(all.byId.get(sha1(ONE))).toBeUndefined();
    expect(all.byText.has(TWO)).toBe(true);
    expect(set.documents).toBe(2);
  });

  it("looks in the client's own manifests: its build's when it names a known version", () => {
    expect(set.scope('web', '1.0.0').byId.get('custom-1')?.body).toBe(ONE);
    expect(set.scope('web', '2.0.0').byId.get('custom-1')?.body).toBe(TWO);
    // Mobile's documents are not web's.
    expect(set.scope('web', '2.0.0').byId.get(sha1(TWO))).toBeUndefined();
    expect(set.scope('web', '9.9.9').byText.has(ONE)).toBe(true);
    expect(set.scope('stranger', '1.0.0')).toBe(set.scope(null, null));
  });

  it('resolves an id two manifests give different documents only where it is one document, and says so', () => {
    expect(set.scope('web', null).byId.get('custom-1')).toBeNull();
    expect(set.scope(null, null).byId.get('custom-1')).toBeNull();
    expect(set.ambiguous).toEqual([{ id: 'custom-1', files: ['web/1.0.0.json', 'web/2.0.0.json'] }]);
  });

  it('knows its clients and their versions (what metrics may label)', () => {
    expect(set.clients).toEqual(['mobile', 'web']);
    expect([set.hasClient('web'), set.hasClient('stranger'), set.hasVersion('web', '1.0.0'), set.hasVersion('web', '3.0.0')]).toEqual([true, false, true, false]);
  });
});
