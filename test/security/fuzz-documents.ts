import fc, { type GeneratorValue } from 'fast-check';
import {
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

const uniform = (min: number, max: number) => fc.noBias(fc.integer({ min, max }));

/** One generated GraphQL request body. */
export interface FuzzRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
}

/** Values of the wrong kind, and the extremes that break naive code. */
const ODD_LITERALS = [
  'null',
  '0',
  '-1',
  '2147483648',
  '-2147483649',
  '99999999999999999999999999999999',
  '1e308',
  '-0.0',
  '"1"',
  '""',
  'true',
  'PENDING',
  'NOT_AN_ENUM',
  '[]',
  '[null]',
  '{}',
  '{ nope: 1 }',
  '"\\u0000\\ud800"',
  `"${'x'.repeat(300)}"`,
];

const ODD_VALUES: unknown[] = [
  null,
  0,
  -1,
  2 ** 31,
  -(2 ** 31) - 1,
  Number.MAX_SAFE_INTEGER,
  1e308,
  -0.5,
  '1',
  '',
  true,
  'PENDING',
  [],
  [null],
  {},
  { nope: 1 },
  '\u0000\ud800',
  'x'.repeat(300),
  Array.from({ length: 600 }, (_, i) => String(i + 1)),
];

/**
 * Generates documents from the schema: random selections, aliases, arguments of the
 * right and the wrong types, variables, inline and named fragments, directives, and
 * now and then nesting beyond the depth limit (through introspection types, the only
 * deep part of this schema), unknown fields, or a corrupted document.
 */
export class DocumentGenerator {
  private variables: { name: string; type: string; value: unknown }[] = [];
  private fragments: string[] = [];
  private names = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly g: GeneratorValue,
  ) {}

  request(): FuzzRequest {
    const mutation = this.chance(0.15);
    const root = (mutation ? this.schema.getMutationType() : this.schema.getQueryType())!;
    const selection = this.chance(0.1) && !mutation ? this.introspection() : this.selectionSet(root, 0, this.int(2, 10));
    const variableList = this.variables.length > 0 ? `(${this.variables.map((v) => `$${v.name}: ${v.type}`).join(', ')})` : '';
    const named = this.chance(0.3);
    const operationName = named ? `Op${this.int(0, 3)}` : undefined;
    const head = named || variableList !== '' || mutation ? `${mutation ? 'mutation' : 'query'}${named ? ` ${operationName}` : ''}${variableList} ` : '';
    let query = `${head}${selection}${this.fragments.map((f) => `\n${f}`).join('')}`;
    if (this.chance(0.05)) query = this.corrupt(query);
    const variables = Object.fromEntries(this.variables.map((v) => [v.name, v.value]));
    const askedName = this.chance(0.1) ? this.pick(['Op0', 'Missing', '']) : operationName;
    return { query, variables, ...(askedName === undefined ? {} : { operationName: askedName }) };
  }

  private selectionSet(type: GraphQLCompositeType, depth: number, maxDepth: number): string {
    const fields = 'getFields' in type ? Object.values(type.getFields()) : [];
    const count = this.int(1, 4);
    const parts: string[] = [];
    const used = new Set<string>();
    for (let i = 0; i < count; i++) {
      if (this.chance(0.015)) {
        parts.push(this.pick(['__typename', 'nope', '__schema { queryType { name } }', 'id']));
        continue;
      }
      const field = this.pick(fields);
      // Mostly distinct fields: the same field twice with other arguments is a (valid) conflict error.
      const alias = used.has(field.name) || this.chance(0.1) ? `a${this.names++}: ` : '';
      used.add(field.name);
      parts.push(alias + this.field(field, depth, maxDepth));
    }
    let body = parts.join(' ');
    if (this.chance(0.1)) body = `... on ${type.name} { ${body} }`;
    if (this.chance(0.1)) {
      const name = `F${this.names++}`;
      this.fragments.push(`fragment ${name} on ${type.name} { ${body} }`);
      body = `...${name}`;
      if (this.chance(0.2)) body += ` ...${name}`;
    }
    return `{ ${body} }`;
  }

  private field(field: GraphQLField<unknown, unknown>, depth: number, maxDepth: number): string {
    const args = field.args
      .filter((arg) => isNonNullType(arg.type) || this.chance(0.4))
      .map((arg) => `${arg.name}: ${this.argument(arg.type)}`);
    if (this.chance(0.01)) args.push(`bogus: ${this.pick(ODD_LITERALS)}`);
    const directive = this.chance(0.08) ? ` @${this.pick(['include', 'skip'])}(if: ${this.pick(['true', 'false', '$flag'])})` : '';
    if (directive.includes('$flag') && !this.variables.some((v) => v.name === 'flag')) {
      this.variables.push({ name: 'flag', type: 'Boolean!', value: this.pick([true, false, 'yes', null]) });
    }
    const head = `${field.name}${args.length > 0 ? `(${args.join(', ')})` : ''}${directive}`;
    const named = getNamedType(field.type);
    if (!isCompositeType(named)) return this.chance(0.01) ? `${head} { id }` : head;
    if (depth + 1 >= maxDepth) return `${head} { __typename }`;
    return `${head} ${this.selectionSet(named, depth + 1, maxDepth)}`;
  }

  /** An argument: a literal of the right type, a variable, or something of the wrong kind. */
  private argument(type: GraphQLInputType): string {
    if (this.chance(0.25)) {
      const name = `v${this.names++}`;
      const declared = this.chance(0.9) ? String(type) : this.pick(['String', 'Int!', '[ID!]!', 'Boolean', 'Nope']);
      this.variables.push({ name, type: declared, value: this.chance(0.85) ? this.value(type) : this.pick(ODD_VALUES) });
      return `$${name}`;
    }
    return this.chance(0.04) ? this.pick(ODD_LITERALS) : this.literal(type);
  }

  private literal(type: GraphQLInputType): string {
    if (isNonNullType(type)) return this.literal(type.ofType);
    if (isListType(type)) {
      return `[${Array.from({ length: this.int(0, 4) }, () => this.literal(type.ofType as GraphQLInputType)).join(', ')}]`;
    }
    if (isEnumType(type)) return this.chance(0.9) ? this.pick(type.getValues()).name : 'PENDNG';
    if (isInputObjectType(type)) {
      const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) || this.chance(0.3));
      return `{ ${fields.map((f) => `${f.name}: ${this.chance(0.05) ? this.pick(ODD_LITERALS) : this.literal(f.type)}`).join(', ')} }`;
    }
    const value = this.scalar(type.name);
    return typeof value === 'string' ? JSON.stringify(value) : String(value);
  }

  /** A JSON value for a variable of `type` (mostly right, sometimes not). */
  private value(type: GraphQLInputType): unknown {
    if (isNonNullType(type)) return this.value(type.ofType);
    if (this.chance(0.03)) return null;
    if (isListType(type)) {
      const length = this.chance(0.05) ? this.int(100, 1200) : this.int(0, 4);
      return Array.from({ length }, () => this.value(type.ofType as GraphQLInputType));
    }
    if (isEnumType(type)) return this.chance(0.9) ? this.pick(type.getValues()).name : 'PENDNG';
    if (isInputObjectType(type)) {
      const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) || this.chance(0.3));
      const object: Record<string, unknown> = Object.fromEntries(fields.map((f) => [f.name, this.value(f.type)]));
      if (this.chance(0.03)) object['unknownField'] = 1;
      return object;
    }
    if (isScalarType(type)) return this.scalar(type.name);
    return null;
  }

  private scalar(name: string): unknown {
    switch (name) {
      case 'Int':
      case 'NonNegativeInt':
      case 'PositiveInt':
        return this.chance(0.8) ? this.int(-2, 120) : this.pick([2 ** 31, -(2 ** 31) - 1, 1e15]);
      case 'Float':
        return this.chance(0.8) ? this.g(fc.double, { min: -2, max: 2, noNaN: true }) : this.pick([1e308, -1e308, 0.1]);
      case 'Boolean':
        return this.g(fc.boolean);
      case 'ID':
        return this.chance(0.85) ? String(this.int(0, 90)) : this.pick(['abc', '-1', '1.5', '99999999999', '']);
      case 'DateTime':
        return this.chance(0.8)
          ? this.pick(['2026-11-20T12:00:00.000Z', '2020-01-01T00:00:00Z', '2026-11-01T08:30:00+02:00'])
          : this.pick(['yesterday', '2026-13-45T99:99:99Z', '', '+275760-09-13T00:00:00.001Z']);
      case 'URL':
        return this.pick(['https://example.com/x', 'not a url']);
      case 'JSON':
        return this.g(fc.jsonValue, { maxDepth: 2 });
      default:
        return this.g(fc.string, { maxLength: this.chance(0.05) ? 400 : 12 });
    }
  }

  /** Introspection, sometimes nested far beyond the depth limit. */
  private introspection(): string {
    const depth = this.int(1, 14);
    const name = this.pick(['Query', 'Assignment', 'AssignmentFilter', 'Nope']);
    if (this.chance(0.5)) return `{ __type(name: "${name}") { fields { type { ${'ofType { '.repeat(depth)}name${' }'.repeat(depth)} } } } }`;
    return `{ __schema { types { ${'fields { type { '.repeat(Math.min(depth, 6))}name${' } }'.repeat(Math.min(depth, 6))} } } }`;
  }

  /** A few random edits: deletions, duplications, stray characters. */
  private corrupt(query: string): string {
    let text = query;
    for (let i = this.int(1, 4); i > 0; i--) {
      const at = this.int(0, Math.max(0, text.length - 1));
      const edit = this.int(0, 2);
      if (edit === 0) text = text.slice(0, at) + text.slice(at + this.int(1, 5));
      else if (edit === 1) text = text.slice(0, at) + this.pick(['{', '}', '(', ')', '"', '$', '@', '...', '\\u', '#', '\u0000', '😀']) + text.slice(at);
      else text = text.slice(0, at) + text.slice(at, at + 20) + text.slice(at);
    }
    return text;
  }

  /** Structural choices are unbiased: fast-check's bias towards bounds would make every rare branch common. */
  private chance(p: number): boolean {
    return this.int(0, 9_999) < p * 10_000;
  }

  private int(min: number, max: number): number {
    return this.g(uniform, min, max);
  }

  private pick<T>(values: readonly T[]): T {
    return values[this.int(0, values.length - 1)]!;
  }
}
