import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';

/**
 * Typed documents for every `graphql(...)` call of the example, from the gateway's published SDL,
 * and the manifest of those documents (`persisted-documents.json`) the gateway trusts.
 */
const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.ts', 'pages/**/*.ts', '!src/__generated__/**'],
  generates: {
    'src/__generated__/': {
      preset: 'client',
      presetConfig: {
        // Plain result types: no fragment masking to unwrap in a starting kit.
        fragmentMasking: false,
        // Each document keeps its definitions (Apollo's and urql's caches read them) and gets its
        // id, `sha256:<hex>` of its text, in `__meta__.documentId`; the manifest maps id to text.
        persistedDocuments: { hashAlgorithm: 'sha256', hashPropertyName: 'documentId' },
      },
      // The manifest's documents are what runs: they ask for __typename, which both caches need.
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: {
        useTypeImports: true,
        importExtension: '.ts',
        enumsAsTypes: true,
        // What the gateway's scalars are on the wire. strictScalars fails codegen on a new
        // scalar without a mapping, instead of typing it `any`.
        strictScalars: true,
        scalars: {
          DateTime: 'string',
          JSON: 'unknown',
          URL: 'string',
          NonNegativeInt: 'number',
          PositiveInt: 'number',
        },
      },
    },
  },
};

export default config;
