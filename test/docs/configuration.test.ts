import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configurationReference, envReference } from '../../scripts/docs-config.ts';
import { ENV_GROUPS, EnvSchema, envDocs } from '../../src/config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');
const defined = new Set(Object.keys(EnvSchema.shape));

/** Every TypeScript file under `dir` (generated code excluded). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === '__generated__') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const NAME = String.raw`[A-Z][A-Z0-9_]+`;
/** An identifier that holds an environment: `env`, `process.env`, `source.env`, `rawEnv`... */
const HOLDER = String.raw`\b[\w$]*(?:env|Env|ENV)`;
const READS = [
  new RegExp(String.raw`${HOLDER}\s*\??\.\s*(${NAME})\b`, 'g'),
  new RegExp(String.raw`${HOLDER}\s*(?:\?\.)?\[\s*['"\x60](${NAME})['"\x60]\s*\]`, 'g'),
];
const DESTRUCTURING = new RegExp(String.raw`\{([^{}]*)\}\s*=\s*(?:[\w$]+\.)*[\w$]*(?:env|Env|ENV)\b`, 'g');
const LOAD_CONFIG_ARGUMENT = /loadConfig\(\s*\{([^{}]*)\}/g;

/** The environment variable names a source text reads, by any of the ways src/ could read one. */
function envReadsIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const pattern of READS) for (const match of text.matchAll(pattern)) names.add(match[1]!);
  for (const [, inside] of text.matchAll(DESTRUCTURING)) {
    for (const part of inside!.split(',')) {
      const key = part.trim().split(/[:=\s]/)[0]!;
      if (new RegExp(`^${NAME}$`).test(key)) names.add(key);
    }
  }
  for (const [, inside] of text.matchAll(LOAD_CONFIG_ARGUMENT)) {
    for (const [, key] of inside!.matchAll(new RegExp(String.raw`['"]?(${NAME})['"]?\s*:`, 'g'))) names.add(key!);
  }
  return names;
}

/** Name -> the src/ files that read it. */
function envReadsInSrc(): Map<string, string[]> {
  const reads = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    for (const name of envReadsIn(readFileSync(file, 'utf8'))) {
      reads.set(name, [...(reads.get(name) ?? []), relative(ROOT, file)]);
    }
  }
  return reads;
}

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` writes from src/config.ts', () => {
    const committed = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    expect(committed, 'docs/configuration.md is stale: run npm run docs:config and commit it').toBe(configurationReference());
  });

  it('has a row for every variable of EnvSchema, under a heading of its group', () => {
    const markdown = configurationReference();
    const missing = envReference().filter(
      (row) => !markdown.includes(`| \`${row.name}\` |`) || !markdown.includes(`## ${row.group}\n`),
    );
    expect(envReference().map((row) => row.name)).toEqual([...defined]);
    expect(missing).toEqual([]);
  });

  it('says what unset means under NODE_ENV=production where it differs (derived from loadConfig)', () => {
    const graphiql = envReference().find((row) => row.name === 'GRAPHIQL_ENABLED')!;
    expect(graphiql.default).toBe('`true`; `false` when `NODE_ENV=production`');
  });
});

describe('every variable is documented where it is defined', () => {
  it('has a group of ENV_GROUPS and a non-empty description', () => {
    const groups = new Set<string>(ENV_GROUPS.map((group) => group.name));
    const undocumented = Object.entries(EnvSchema.shape)
      .filter(([, field]) => {
        const doc = envDocs.get(field);
        return doc === undefined || doc.description.trim() === '' || !groups.has(doc.group);
      })
      .map(([name]) => name);
    expect(undocumented).toEqual([]);
  });

  it('claims no default but in the checkable form NAME (default X), and X is the schema default', () => {
    const texts = [
      ...Object.values(EnvSchema.shape).flatMap((field) => {
        const doc = envDocs.get(field);
        return doc === undefined ? [] : [doc.description, doc.unset ?? '', doc.values ?? ''];
      }),
      ...ENV_GROUPS.map((group) => group.about),
    ];
    const claim = new RegExp(String.raw`\b(${NAME})\b\`? \(default \`?([^)\`]+)\`?\)`, 'g');
    const unchecked = texts.filter((text) => (text.match(/default/gi) ?? []).length !== [...text.matchAll(claim)].length);
    expect(unchecked).toEqual([]);
    const claims = texts.flatMap((text) => [...text.matchAll(claim)].map(([, name, value]) => ({ name: name!, value: value! })));
    expect(claims.length).toBeGreaterThan(0);
    for (const { name, value } of claims) {
      const field = EnvSchema.shape[name as keyof typeof EnvSchema.shape];
      expect(field, `${name} is claimed a default but is not defined`).toBeDefined();
      expect(String(field.safeParse(undefined).data), `the default claimed for ${name}`).toBe(value);
    }
  });
});

describe('every variable read in src/ is defined in EnvSchema', () => {
  it('finds each way of reading a variable (the scan itself works)', () => {
    const sample = [
      'const a = process.env.ALPHA;',
      "const b = process.env['BRAVO'] ?? process.env?.CHARLIE;",
      'const { DELTA, ECHO: echo, FOXTROT = "1" } = process.env;',
      'if (env.GOLF) rawEnv["HOTEL"];',
      "loadConfig({ INDIA: '1', 'JULIETT': '2' });",
      'const config = options.environment; process.cwd(); env.lowercase;',
    ].join('\n');
    expect([...envReadsIn(sample)].sort()).toEqual([
      'ALPHA',
      'BRAVO',
      'CHARLIE',
      'DELTA',
      'ECHO',
      'FOXTROT',
      'GOLF',
      'HOTEL',
      'INDIA',
      'JULIETT',
    ]);
  });

  it("finds config.ts's own reads: every variable but the removed ones", () => {
    const reads = envReadsInSrc();
    const read = Object.keys(EnvSchema.shape).filter((name) => reads.get(name)?.includes('src/config.ts'));
    const removed = Object.entries(EnvSchema.shape)
      .filter(([, field]) => envDocs.get(field)?.group === 'Removed')
      .map(([name]) => name);
    expect(removed.length).toBeGreaterThan(0);
    expect(read).toEqual([...defined].filter((name) => !removed.includes(name)));
  });

  it('has no read of an undefined variable anywhere in src/', () => {
    const undefinedReads = [...envReadsInSrc()].filter(([name]) => !defined.has(name));
    expect(Object.fromEntries(undefinedReads)).toEqual({});
  });
});
