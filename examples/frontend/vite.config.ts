import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { PAGES, pagePath } from './src/pages.ts';

const root = fileURLToPath(new URL('.', import.meta.url));

/** A multi-page app: `vite` serves every page; `vite build` builds each page listed in src/pages.ts. */
export default defineConfig({
  root,
  // Several pages, each its own HTML file: no single-page fallback.
  appType: 'mpa',
  server: { port: 5173 },
  build: {
    rollupOptions: {
      input: {
        index: `${root}index.html`,
        ...Object.fromEntries(PAGES.map((page) => [page.name, `${root}${pagePath(page.name).slice(1)}index.html`])),
      },
    },
  },
});
