/**
 * `npm run docs:config`: writes docs/configuration.md from EnvSchema and its envDocs, so the
 * reference states what the code does. test/docs/configuration.test.ts fails when it drifts.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { ConfigError, ENV_GROUPS, EnvSchema, envDocs, loadConfig, type EnvDoc, type EnvGroup } from '../src/config.ts';

/** One variable as the reference shows it. */
export interface EnvReferenceRow {
  name: string;
  group: EnvGroup;
  default: string;
  allowed: string;
  meaning: string;
}

type Field = z.ZodType;
type Env = Record<string, string>;

/**
 * Settings whose value changes what other variables fall back to: the reference says so
 * when a variable's unset value differs under one of them.
 */
const CONTEXTS: readonly { when: string; env: Env }[] = [
  { when: '`NODE_ENV=production`', env: { NODE_ENV: 'production' } },
  { when: '`NODE_ENV=test`', env: { NODE_ENV: 'test' } },
  { when: '`SYNAPSE_BACKEND_URL` is set', env: { SYNAPSE_BACKEND_URL: 'https://synapse.example.com/' } },
  { when: '`TRUSTED_DOCUMENTS_DIR` is set', env: { TRUSTED_DOCUMENTS_DIR: 'manifests/' } },
];

/** Protocols tried against a URL schema to say which it accepts. */
const URL_PROTOCOLS = ['http', 'https', 'ws', 'wss', 'redis', 'rediss'];

/** Every EnvSchema variable with its default, allowed values and meaning, in schema order. */
export function envReference(): EnvReferenceRow[] {
  return Object.entries(EnvSchema.shape).map(([name, field]) => {
    const doc = docOf(name, field);
    if (doc.group === 'Removed') return { name, group: doc.group, default: '', allowed: '', meaning: doc.description };
    return { name, group: doc.group, default: defaultOf(name, field, doc), allowed: allowedOf(name, field, doc), meaning: doc.description };
  });
}

/** The whole of docs/configuration.md. */
export function configurationReference(): string {
  const rows = envReference();
  const groups = ENV_GROUPS.filter((group) => rows.some((row) => row.group === group.name));
  const sections = groups.map(({ name, about }) => {
    const members = rows.filter((row) => row.group === name);
    const table =
      name === 'Removed'
        ? ['| variable | what to do instead |', '| --- | --- |', ...members.map((row) => cells([code(row.name), row.meaning]))]
        : [
            '| variable | default | allowed values | meaning |',
            '| --- | --- | --- | --- |',
            ...members.map((row) => cells([code(row.name), row.default, row.allowed, row.meaning])),
          ];
    return [`## ${name}`, '', about, '', ...table].join('\n');
  });
  return [
    '# Configuration reference',
    '',
    'For whoever deploys or runs synapse-gateway: every environment variable it reads, by concern.',
    'Generated from the zod schema in `src/config.ts` by `npm run docs:config`: do not edit it by hand.',
    '',
    'The environment is read once at startup; an invalid value stops the process with a message',
    'naming the variable. An empty value counts as unset; variables not listed here are ignored.',
    booleanNote(),
    '',
    groups.map(({ name }) => `[${name}](#${slug(name)})`).join(' · '),
    '',
    sections.join('\n\n'),
    '',
  ].join('\n');
}

function docOf(name: string, field: Field): EnvDoc {
  const doc = envDocs.get(field);
  if (doc === undefined) throw new Error(`${name} has no entry in envDocs (src/config.ts): give it a group and a description`);
  return doc;
}

/**
 * The schema's default when it has one; else the value loadConfig falls back to, tried
 * per context; else the variable's `unset` text, which is only allowed where neither says it.
 */
function defaultOf(name: string, field: Field, doc: EnvDoc): string {
  const parsed = field.safeParse(undefined);
  const schemaDefault = parsed.success ? parsed.data : undefined;
  if (schemaDefault !== undefined) {
    if (doc.unset !== undefined) throw new Error(`${name}: the schema has a default; drop its unset text`);
    return `${code(String(schemaDefault))}${durationHint(name, schemaDefault)}`;
  }
  const fallback = fallbackOf(name, field);
  if (fallback !== undefined && doc.unset !== undefined) {
    throw new Error(`${name}: loadConfig's fallback already says what unset means (${fallback}); drop its unset text`);
  }
  const text = fallback ?? doc.unset;
  if (text === undefined) throw new Error(`${name}: no default in the schema; say what unset means in its unset text`);
  return text;
}

/**
 * What loadConfig does with the variable unset, found by setting each value the variable
 * accepts and seeing which one changes nothing; undefined when that is not one value.
 */
function fallbackOf(name: string, field: Field): string | undefined {
  const candidates = choicesOf(field);
  if (candidates.length === 0) return undefined;
  // A value refused beside the context (EMBEDDED_BACKEND=true with SYNAPSE_BACKEND_URL) is not what unset means there.
  const configOf = (env: Env) => {
    try {
      return loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return undefined;
      throw error;
    }
  };
  const valueIn = (env: Env) => {
    const unset = loadConfig(env);
    const same = candidates.filter((candidate) => isDeepStrictEqual(unset, configOf({ ...env, [name]: candidate.raw })));
    return same.length === 1 ? same[0]!.shown : undefined;
  };
  const usual = valueIn({});
  if (usual === undefined) return undefined;
  const exceptions: string[] = [];
  for (const context of CONTEXTS) {
    if (name in context.env) continue;
    const value = valueIn(context.env);
    if (value === undefined) return undefined;
    if (value !== usual) exceptions.push(`${code(value)} when ${context.when}`);
  }
  return [code(usual), ...exceptions].join('; ');
}

/** The distinct values of an enumerated variable: one spelling per parsed value. */
function choicesOf(field: Field): { raw: string; shown: string }[] {
  const seen = new Map<string, string>();
  for (const raw of enumOf(field) ?? []) {
    const shown = String(field.parse(raw));
    if (!seen.has(shown)) seen.set(shown, raw);
  }
  return [...seen].map(([shown, raw]) => ({ raw, shown }));
}

function allowedOf(name: string, field: Field, doc: EnvDoc): string {
  const json = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' });
  const derived = derivedAllowed(name, field, json);
  if (derived !== undefined && doc.values !== undefined) throw new Error(`${name}: the schema says its values; drop its values text`);
  return derived ?? doc.values ?? 'any text';
}

/** Allowed values as the schema states them; undefined when it only says "a string". */
function derivedAllowed(name: string, field: Field, json: z.core.JSONSchema.BaseSchema): string | undefined {
  if (isBoolean(field)) return '`true`, `false`';
  if (json.enum !== undefined) return json.enum.map((value) => code(String(value))).join(', ');
  if (json.type === 'integer' || json.type === 'number') {
    const range = `${grouped(json.minimum)}–${grouped(json.maximum)}${unitOf(name)}`;
    return json.type === 'integer' ? `integer ${range}` : `number ${range}`;
  }
  if (json.format === 'uri') {
    const accepted = URL_PROTOCOLS.filter((protocol) => field.safeParse(`${protocol}://example.com/`).success);
    if (accepted.length === 0) throw new Error(`${name}: accepts none of ${URL_PROTOCOLS.join(', ')}; add its protocol to URL_PROTOCOLS`);
    return `${accepted.map((protocol) => code(`${protocol}://`)).join(' or ')} URL`;
  }
  if (json.pattern !== undefined) return `text matching ${code(json.pattern)}`;
  if (json.minLength === 1) return 'any non-empty text';
  return undefined;
}

function enumOf(field: Field): string[] | undefined {
  const values = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }).enum;
  return values?.map(String);
}

function isBoolean(field: Field): boolean {
  const values = enumOf(field);
  return values !== undefined && values.every((value) => typeof field.parse(value) === 'boolean');
}

/** The spellings every boolean variable accepts, said once rather than in each row. */
function booleanNote(): string {
  const spellings = { true: new Set<string>(), false: new Set<string>() };
  for (const field of Object.values(EnvSchema.shape)) {
    if (!isBoolean(field)) continue;
    for (const value of enumOf(field) ?? []) spellings[String(field.parse(value)) as 'true' | 'false'].add(value);
  }
  // The enum lists digits first (they are integer-like keys); the word itself reads best first.
  const list = (values: Set<string>) =>
    [...values]
      .sort((a, b) => Number(b === 'true' || b === 'false') - Number(a === 'true' || a === 'false'))
      .map(code)
      .join(', ');
  return `Booleans accept ${list(spellings.true)} for \`true\` and ${list(spellings.false)} for \`false\`.`;
}

/** The unit a variable's name ends in, by the project's naming convention. */
function unitOf(name: string): string {
  if (name.endsWith('_MS')) return ' ms';
  if (name.endsWith('_BYTES')) return ' bytes';
  if (name.endsWith('_PERCENT')) return ' %';
  return '';
}

/** "15000" is easier to check as "15 s": shown beside a whole number of seconds or minutes. */
function durationHint(name: string, value: unknown): string {
  if (!name.endsWith('_MS') || typeof value !== 'number' || value < 1000) return '';
  if (value % 60_000 === 0) return ` (${value / 60_000} min)`;
  return value % 1000 === 0 ? ` (${value / 1000} s)` : '';
}

function grouped(value: number | undefined): string {
  if (value === undefined) throw new Error('a numeric variable without both bounds: give it a min and a max');
  return value.toLocaleString('en-US');
}

function code(text: string): string {
  return `\`${text}\``;
}

function cells(values: string[]): string {
  return `| ${values.map((value) => value.replaceAll('|', '\\|')).join(' | ')} |`;
}

/** GitHub's heading anchor for the plain words and parentheses our group names use. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replaceAll(' ', '-');
}

if (import.meta.main) {
  const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
  writeFileSync(target, configurationReference());
  console.log(`wrote ${target}`);
}
