import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TOKENS } from '../helpers/tokens.ts';
import { startGatewayProcess, within, type GatewayProcess } from '../helpers/gateway-process.ts';

/**
 * The smoke run a new Node release must pass: start what `npm start` runs, send the
 * README's first query and first mutation with the demo token, stop with SIGTERM.
 * On the Node the suite runs on (24, from the `node` devDependency) and on Node 26,
 * the newest LTS, installed on first use from the npm registry's platform package
 * (what the `node` package itself installs) into node_modules/.cache.
 */
const ROOT = join(import.meta.dirname, '..', '..');
export const NODE_26 = '26.10.0';

/** The fenced block after `<!-- name: ... -->` in the README. */
function readmeBlock(name: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- ${name}:[^>]*-->\\n\`\`\`graphql\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no <!-- ${name}: --> block`);
  return match[1]!;
}

/** The official Node binary of `version` for this platform, installed once from the npm registry. */
function nodeBinary(version: string): string {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const name = `${process.platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node'}-${platform}-${process.arch}`;
  const dir = join(ROOT, 'node_modules', '.cache', 'synapse-gateway', `node-${version}`);
  const binary = join(dir, 'node_modules', name, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!existsSync(binary)) {
    execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `${name}@${version}`], {
      stdio: 'inherit',
      timeout: 180_000,
    });
  }
  return binary;
}

async function graphql(url: string, query: string): Promise<{ data?: any; errors?: unknown[] }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Token ${TOKENS.admin}` },
    body: JSON.stringify({ query }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

const started: GatewayProcess[] = [];
afterAll(() => started.forEach((gateway) => gateway.kill()));

describe.each([
  ['the Node the suite runs on', () => process.execPath, process.versions.node],
  [`Node ${NODE_26}`, () => nodeBinary(NODE_26), NODE_26],
])('smoke run on %s', (_, binary, version) => {
  it('starts, answers the README first query and first mutation, and stops cleanly on SIGTERM', async () => {
    const node = binary();
    expect(execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${version}`);
    const gateway = startGatewayProcess(node);
    started.push(gateway);
    const url = await within(gateway.url, 60_000, `gateway on Node ${version} listening (stderr: ${gateway.stderr()})`);

    const first = await graphql(url, readmeBlock('first-query'));
    expect(first.errors).toBeUndefined();
    expect(first.data.assignment).toMatchObject({ id: '1', status: expect.any(String) });
    expect(first.data.assignments.nodes.length).toBeGreaterThan(0);

    const mutation = await graphql(url, readmeBlock('first-mutation'));
    expect(mutation.errors).toBeUndefined();
    expect(mutation.data.setAssignmentTags.userErrors).toEqual([]);
    // Assignments 1 and 2 are in projects 1 and 2: one set_tags per project.
    expect(mutation.data.setAssignmentTags.writeCalls).toBe(2);
    for (const assignment of mutation.data.setAssignmentTags.assignments) {
      expect(assignment.tags.map((tag: { name: string }) => tag.name)).toContain('urgent');
    }

    gateway.child.kill('SIGTERM');
    expect(await within(gateway.exited, 20_000, 'exit after SIGTERM')).toBe(0);
    expect(gateway.logs.at(-1)).toMatchObject({ msg: 'stopped', forced: false });
    expect(gateway.stderr()).not.toMatch(/ExperimentalWarning|DeprecationWarning|Error/);
  }, 240_000);
});
