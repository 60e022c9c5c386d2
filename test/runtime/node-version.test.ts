import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const minimum = Number(/^>=(\d+)$/.exec(pkg.engines.node)?.[1]);

/** Runs the built entry as an operator would, with `node`; `preload` flags go first. */
function runEntry(node: string, preload: string[] = []) {
  return spawnSync(node, [...preload, '.build/gateway/server.mjs'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, PORT: '0', DEV_BACKEND_PORT: '0', DEV_BACKEND_DB: ':memory:' },
  });
}

function expectOneLineRefusal(result: ReturnType<typeof runEntry>, version: string): void {
  expect(result.status).toBe(1);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`needs Node.js ${minimum} or later; this is Node.js ${version}.`);
}

describe('the Node.js runtime', () => {
  it('is Node 24 or later for the whole suite, from the pinned `node` devDependency', () => {
    expect(minimum).toBe(24);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(minimum);
    expect(pkg.devDependencies['node']).toMatch(/^24\.\d+\.\d+$/);
    expect(process.versions.node).toBe(pkg.devDependencies['node']);
  });

  it('refuses an older Node in one line naming the version it needs (version reported as 22.11.0)', () => {
    const spoof = `data:text/javascript,Object.defineProperty(process.versions,'node',{value:'22.11.0'})`;
    expectOneLineRefusal(runEntry(process.execPath, ['--import', spoof]), '22.11.0');
  });

  it('refuses a real older Node the machine has (npm\'s own, or the system one) the same way, before any dependency loads', () => {
    const candidates = [process.env['npm_node_execpath'], '/usr/bin/node', '/usr/local/bin/node'].filter(
      (path): path is string => path !== undefined && existsSync(path),
    );
    const older = [...new Set(candidates)]
      .map((path) => ({ path, version: execFileSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim() }))
      .filter(({ version }) => Number(version.split('.')[0]) < minimum);
    // CI's machine has Node 20 as its system Node; a machine with none older has nothing to run here.
    if (process.env['CI'] === 'true') expect(older.length).toBeGreaterThan(0);
    for (const { path, version } of older) expectOneLineRefusal(runEntry(path), version);
  });
});
