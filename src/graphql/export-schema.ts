import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printPublicSchema } from './schema.ts';

/** Writes schema.graphql, the published contract frontend teams run their codegen against. */
const target = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
writeFileSync(target, printPublicSchema());
console.log(`wrote ${target}`);
