import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, within, type GatewayProcess } from '../helpers/gateway-process.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { codes, manifestFolder, presetManifest, send, sha256, writeManifests } from './helpers.ts';

const ONE = 'query One { assignment(id: 1) { id status } }';
const TWO = 'query Two { assignment(id: 2) { id status } }';
const THREE = 'query Three { assignment(id: 3) { id status } }';
const byId = (document: string) => ({ body: { documentId: `sha256:${sha256(document)}` } });

describe('manifests reloaded while the gateway runs (the process as `npm start` runs it)', () => {
  let dir: string;
  let gateway: GatewayProcess;
  let url: string;
  const loads = () => gateway.logs.filter((line) => line['msg'] === 'trusted documents loaded');
  const refusals = () => gateway.logs.filter((line) => String(line['msg']).startsWith('trusted documents: manifests refused'));

  beforeAll(async () => {
    dir = manifestFolder({ 'web/1.0.0.json': presetManifest(ONE) });
    gateway = startGatewayProcess(process.execPath, { TRUSTED_DOCUMENTS: 'enforce', TRUSTED_DOCUMENTS_DIR: dir, RESPONSE_CACHE_TTL_MS: '0' });
    url = await within(gateway.url, 60_000, 'the gateway listening');
  }, 120_000);
  afterAll(() => {
    gateway?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the folder at start and says what it loaded', async () => {
    expect(loads()[0]).toMatchObject({ reason: 'start', files: 1, documents: 1, clients: ['web'] });
    expect((await send(url, byId(ONE))).body.data).toEqual({ assignment: { id: '1', status: expect.any(String) } });
    expect(codes(await send(url, byId(TWO)))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('serves a new manifest once it is written (the folder is watched)', async () => {
    const before = loads().length;
    writeManifests(dir, { 'web/1.1.0.json': presetManifest(ONE, TWO) });
    await waitFor(() => loads().length > before, 10_000, 'the reload after the change');
    expect(loads().at(-1)).toMatchObject({ reason: 'change', files: 2, documents: 2 });
    expect((await send(url, byId(TWO))).body.data).toEqual({ assignment: { id: '2', status: expect.any(String) } });
  });

  it('refuses a malformed manifest naming its file and line, and keeps serving the last good set', async () => {
    const loaded = loads().length;
    writeManifests(dir, { 'web/1.2.0.json': `{\n  "sha256:${sha256(THREE)}": ${JSON.stringify(THREE)},\n  "oops" "no colon"\n}\n` });
    await waitFor(() => refusals().length > 0, 10_000, 'the refusal of the malformed manifest');
    expect(refusals()[0]).toMatchObject({ level: 'error', reason: 'change', file: 'web/1.2.0.json', line: 3, kept: { files: 2, documents: 2 } });
    expect(String(refusals()[0]!['error'])).toMatch(/^web\/1\.2\.0\.json:3: not JSON/);
    expect(loads().length).toBe(loaded);
    expect((await send(url, byId(ONE))).body.data).toEqual({ assignment: { id: '1', status: expect.any(String) } });
    expect((await send(url, byId(TWO))).body.data).toEqual({ assignment: { id: '2', status: expect.any(String) } });
    expect(codes(await send(url, byId(THREE)))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('reloads on SIGHUP, and drops no request while manifests come and go', async () => {
    writeManifests(dir, { 'web/1.2.0.json': presetManifest(ONE, TWO, THREE) });
    await waitFor(() => loads().at(-1)?.['files'] === 3, 10_000, 'the fixed manifest to load');
    // Requests run back to back while the folder is rewritten and SIGHUP asks for reloads: every one answers.
    let stop = false;
    const answers: { status: number; errors: unknown }[] = [];
    const client = (async () => {
      for (let i = 0; i < 2_000 && !stop; i++) {
        const answer = await send(url, byId(i % 2 === 0 ? ONE : THREE));
        answers.push({ status: answer.status, errors: answer.body.errors });
      }
    })();
    const before = loads().length;
    for (let round = 0; round < 5; round++) {
      writeManifests(dir, { 'web/1.2.0.json': presetManifest(ONE, TWO, THREE), [`web/0.${round}.0.json`]: presetManifest(ONE) });
      gateway.child.kill('SIGHUP');
      await waitFor(() => loads().filter((line) => line['reason'] === 'SIGHUP').length > round, 10_000, `the SIGHUP reload ${round + 1}`);
    }
    stop = true;
    await client;
    expect(loads().length).toBeGreaterThanOrEqual(before + 5);
    expect(loads().at(-1)).toMatchObject({ files: 8 });
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer.status !== 200 || answer.errors !== undefined)).toEqual([]);
  });
});
