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

/**
 * The relative specifiers a module imports: static (`import type` included, however many
 * lines its braces span), dynamic, side-effect only, and re-exports.
 */
function relativeSpecifiers(text: string): string[] {
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => match[1]!);
}

/** The src-relative targets of a file's relative imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  return relativeSpecifiers(text).map((specifier) => relative(SRC, resolve(dirname(join(SRC, file)), specifier)));
}

/**
 * Every loop of imports in a graph, each as its files in order, found as the strongly
 * connected components (Tarjan) of more than one file, or of one file importing itself.
 */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string) => {
    order.set(file, order.size);
    low.set(file, order.get(file)!);
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (!order.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (stack.includes(target)) {
        low.set(file, Math.min(low.get(file)!, order.get(target)!));
      }
    }
    if (low.get(file) !== order.get(file)) return;
    const component = stack.splice(stack.indexOf(file));
    if (component.length > 1 || graph.get(file)?.includes(file)) cycles.push(component.sort());
  };
  for (const file of graph.keys()) if (!order.has(file)) visit(file);
  return cycles;
}

const files = sourceFiles();
const importers = (folder: string) => files.filter((file) => file.startsWith(`${folder}/`));
/** Each import from a file of `folder` into `forbidden` (folders as 'graphql/', files as 'gateway.ts'), as "file -> target". */
const reaching = (folder: string, forbidden: readonly string[]) =>
  importers(folder).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((prefix) => target === prefix || target.startsWith(prefix)))
      .map((target) => `${file} -> ${target}`),
  );
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

  it('keeps workflows pure: no HTTP client', () => {
    expect(reaching('workflows', ['upstream/'])).toEqual([]);
  });

  it('gives workflows types of their own: no GraphQL layer, nothing generated from the schema', () => {
    expect(reaching('workflows', ['graphql/', '__generated__/'])).toEqual([]);
  });

  it('keeps observability below the GraphQL layer: nothing from graphql/, gateway.ts or live/', () => {
    expect(reaching('observability', ['graphql/', 'gateway.ts', 'live/'])).toEqual([]);
  });

  it('keeps live updates below the GraphQL layer: nothing from graphql/ or gateway.ts', () => {
    expect(reaching('live', ['graphql/', 'gateway.ts'])).toEqual([]);
  });

  it('keeps OpenTelemetry in observability/ and the dev backend: the client and the pollers are traced through seams', () => {
    const packageImports = (file: string) =>
      [...readFileSync(join(SRC, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](@opentelemetry\/[^'"]+)['"]/g)].map((match) => `${file} -> ${match[1]}`);
    const users = files.flatMap(packageImports);
    expect(users.filter((line) => !line.startsWith('observability/') && !line.startsWith('dev-backend/'))).toEqual([]);
    // The scan finds what it looks for.
    expect(users).toContain('observability/tracing.ts -> @opentelemetry/sdk-trace');
  });

  it('decides trusted documents from a request alone: nothing that calls Synapse, caches, shares state or wires the gateway', () => {
    expect(reaching('trusted-documents', ['upstream/', 'live/', 'cache/', 'shared-state/', 'gateway.ts', 'context.ts'])).toEqual([]);
    expect(importers('trusted-documents').length).toBeGreaterThan(3);
  });

  it('has no import cycle in src/, within a folder or across folders', () => {
    const graph = new Map(files.map((file) => [file, importsOf(file)]));
    expect(importCycles(graph)).toEqual([]);
  });

  it('finds every import it checks (the scan itself works)', () => {
    expect(importsOf('dev-backend/routes.ts')).toContain('contract/index.ts');
    expect(importers('workflows').length).toBeGreaterThan(5);
    // A type-only import whose braces span several lines, in a real file.
    expect(importsOf('graphql/resolvers/workflows.ts')).toContain('__generated__/resolvers-types.ts');
    expect(reaching('graphql', ['workflows/', '__generated__/'])).toContain('graphql/resolvers/workflows.ts -> __generated__/resolvers-types.ts');
    const module = [
      'import type {',
      '  A,',
      '  B,',
      "} from '../types.ts';",
      "import { type C, d } from './values.ts';",
      "import './side-effect.ts';",
      "export * from './re-export.ts';",
      "const lazy = await import('../lazy.ts');",
      'import { e } from "./double-quoted.ts";',
      "import { f } from 'a-package';",
    ].join('\n');
    expect(relativeSpecifiers(module)).toEqual([
      '../types.ts',
      './values.ts',
      './side-effect.ts',
      './re-export.ts',
      '../lazy.ts',
      './double-quoted.ts',
    ]);
  });

  it('finds import cycles (the cycle finder itself works)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['e.ts']],
      ['e.ts', []],
      ['f.ts', ['f.ts']],
      ['g.ts', ['a.ts']],
    ]);
    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['f.ts']]);
  });
});
