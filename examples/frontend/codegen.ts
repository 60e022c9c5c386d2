import type { CodegenConfig } from '@graphql-codegen/cli';

/** Typed documents for every `graphql(...)` call of the example, from the gateway's published SDL. */
const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.ts', 'pages/**/*.ts', '!src/__generated__/**'],
  generates: {
    'src/__generated__/': {
      preset: 'client',
      // Plain result types: no fragment masking to unwrap in a starting kit.
      presetConfig: { fragmentMasking: false },
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
