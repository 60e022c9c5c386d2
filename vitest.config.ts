import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql@16 ships index.js and index.mjs without an exports map: Node (and so
    // graphql-yoga) loads index.js, Vite would pick index.mjs. Two copies break
    // `instanceof GraphQLError`, so tests load the one Node loads, as production does.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Several suites start backends and Chromium: two workers fit the 2-core machines.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
