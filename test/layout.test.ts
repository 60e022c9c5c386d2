import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Every TypeScript file under src/ (generated code excluded), as a path relative to src/. */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === '__generated__') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

/** The src-relative targets of a file's relative imports (static, dynamic and re-exports). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => relative(SRC, resolve(dirname(join(SRC, file)), specifier)));
}

const files = sourceFiles();
const importers = (folder: string) => files.filter((file) => file.startsWith(`${folder}/`));
const outside = (folder: string, allowed: readonly string[]) =>
  importers(folder).flatMap((file) =>
    importsOf(file)
      .filter((target) => !target.startsWith(`${folder}/`) && !allowed.some((prefix) => target === prefix || target.startsWith(prefix)))
      .map((target) => `${file} -> ${target}`),
  );

describe('layout: one room per layer', () => {
  it('keeps only the process entry, config, gateway and context at the top of src/', () => {
    const top = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isFile());
    expect(top.sort()).toEqual(['config.ts', 'context.ts', 'gateway.ts', 'server.ts']);
  });

  it('keeps the process (startup, listening, shutdown) above everything: only the entry imports process/', () => {
    const bad = files.flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('process/') && file !== 'server.ts' && !file.startsWith('process/'))
        .map((target) => `${file} -> ${target}`),
    );
    expect(bad).toEqual([]);
    expect(importsOf('server.ts')).toEqual(['process/main.ts']);
  });

  it('ties both sides of the REST contract to contract/, not to each other', () => {
    expect(outside('contract', [])).toEqual([]);
    expect(outside('dev-backend', ['contract/', 'config.ts'])).toEqual([]);
    expect(importers('upstream').flatMap((file) => importsOf(file).filter((t) => t.startsWith('dev-backend/')))).toEqual([]);
  });

  it('keeps workflows pure: no HTTP client and no GraphQL layer', () => {
    const bad = importers('workflows').flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('upstream/') || target.startsWith('graphql/'))
        .map((target) => `${file} -> ${target}`),
    );
    expect(bad).toEqual([]);
  });

  it('finds every import it checks (the scan itself works)', () => {
    expect(importsOf('dev-backend/routes.ts')).toContain('contract/index.ts');
    expect(importers('workflows').length).toBeGreaterThan(5);
  });
});
