import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { resolvers } from './resolvers/index.ts';

// Two levels below the project root both here (src/graphql/) and in the bundle npm start runs (.build/gateway/).
const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

/** The SDL of schema/*.graphql, one file per domain, in a stable order. */
export function loadTypeDefs(): string[] {
  return readdirSync(SCHEMA_DIR)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => readFileSync(SCHEMA_DIR + name, 'utf8'));
}

/** The executable schema: SDL plus resolvers (checked against each other at startup). */
export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    // graphql-tools types resolvers loosely; ours are checked by the generated types.
    resolvers: resolvers as never,
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}

/** The schema as published in schema.graphql: sorted, so diffs show real changes only. */
export function printPublicSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;
}
