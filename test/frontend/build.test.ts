import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGES, pagePath } from '../../examples/frontend/src/pages.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/frontend/', import.meta.url));

describe('frontend example: pages and production build', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'frontend-build-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('lists every folder of pages/ in src/pages.ts, each with an index.html and its script', () => {
    const folders = readdirSync(join(EXAMPLE, 'pages')).sort();
    expect(PAGES.map((page) => page.name).sort()).toEqual(folders);
    for (const folder of folders) {
      expect(existsSync(join(EXAMPLE, 'pages', folder, 'index.html'))).toBe(true);
      expect(existsSync(join(EXAMPLE, 'pages', folder, 'main.ts'))).toBe(true);
    }
  });

  it('builds the home page and every listed page with `vite build`', async () => {
    // The defaults are under test: a developer's own VITE_* settings must not leak in.
    for (const key of Object.keys(process.env)) if (key.startsWith('VITE_')) delete process.env[key];
    await build({
      configFile: join(EXAMPLE, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
      cacheDir: join(outDir, '.vite'),
    });
    const pages = ['index.html', ...PAGES.map((page) => `${pagePath(page.name).slice(1)}index.html`)];
    for (const page of pages) {
      const html = readFileSync(join(outDir, page), 'utf8');
      expect(html, page).toMatch(/<script type="module" crossorigin src="\/assets\/[\w-]+\.js"><\/script>/);
    }
    // The built script talks to the gateway it was given, with urql; no GraphQL server code came along.
    const scripts = readdirSync(join(outDir, 'assets')).filter((name) => name.endsWith('.js'));
    const code = scripts.map((name) => readFileSync(join(outDir, 'assets', name), 'utf8')).join('\n');
    expect(code).toContain('http://localhost:4000/graphql');
    expect(code).not.toMatch(/graphql-yoga|GraphQLSchema/);
  });
});
