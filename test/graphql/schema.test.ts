import { readFileSync } from 'node:fs';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema, printPublicSchema } from '../../src/graphql/schema.ts';

const root = new URL('../../', import.meta.url);

/** Every place of the schema frontend teams read in GraphiQL's docs that has no description. */
function undocumented(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
    if (!type.description?.trim()) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
        for (const arg of field.args) if (!arg.description?.trim()) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) if (!value.description?.trim()) missing.push(`${type.name}.${value.name}`);
    }
  }
  return missing;
}

describe('published schema', () => {
  it('schema.graphql is current (run `npm run schema:export` after changing schema/*.graphql)', () => {
    expect(readFileSync(new URL('schema.graphql', root), 'utf8')).toBe(printPublicSchema());
  });

  it('.graphqlrc.yml points IDEs and frontend codegen at schema.graphql', () => {
    expect(readFileSync(new URL('.graphqlrc.yml', root), 'utf8')).toMatch(/^schema: schema\.graphql$/m);
  });

  it('describes every type, field, argument, input field and enum value', () => {
    expect(undocumented(buildSchema())).toEqual([]);
  });

  it('follows the mutation convention verbNoun(input: VerbNounInput!): VerbNounPayload! with userErrors', () => {
    const schema = buildSchema();
    const mutation = schema.getMutationType()!;
    for (const field of Object.values(mutation.getFields())) {
      const pascal = field.name[0]!.toUpperCase() + field.name.slice(1);
      expect(field.args.map((arg) => `${arg.name}: ${String(arg.type)}`)).toEqual([`input: ${pascal}Input!`]);
      expect(String(field.type)).toBe(`${pascal}Payload!`);
      const payload = schema.getType(`${pascal}Payload`);
      expect(isObjectType(payload) && String(payload.getFields()['userErrors']?.type)).toBe('[UserError!]!');
    }
  });
});
