import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import GithubSlugger from 'github-slugger';
import { Lexer, type Token } from 'marked';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

interface Page {
  /** Every link's target as written (`href`), outside code. */
  links: string[];
  /** The anchors GitHub gives the page's headings (`#errors-and-usererrors`). */
  anchors: Set<string>;
  /** Top-level tokens, in order. */
  tokens: Token[];
}

/** Walks every token, nested ones included (list items, table cells, emphasis…). */
function walk(tokens: readonly Token[], visit: (token: Token) => void): void {
  for (const token of tokens) {
    visit(token);
    const nested = token as { tokens?: Token[]; items?: Token[]; header?: { tokens: Token[] }[]; rows?: { tokens: Token[] }[][] };
    if (nested.tokens) walk(nested.tokens, visit);
    if (nested.items) walk(nested.items, visit);
    for (const cell of nested.header ?? []) walk(cell.tokens, visit);
    for (const row of nested.rows ?? []) for (const cell of row) walk(cell.tokens, visit);
  }
}

/** A page as GitHub renders it: links (code spans and blocks hold none) and heading anchors. */
function parse(markdown: string): Page {
  const tokens = Lexer.lex(markdown, { gfm: true });
  const slugger = new GithubSlugger();
  const links: string[] = [];
  const anchors = new Set<string>();
  walk(tokens, (token) => {
    if (token.type === 'link') links.push((token as { href: string }).href);
    // GitHub slugs the heading's text as rendered: markup such as backticks is gone.
    if (token.type === 'heading') anchors.add(slugger.slug(plainText((token as { tokens: Token[] }).tokens)));
  });
  return { links, anchors, tokens };
}

function plainText(tokens: readonly Token[]): string {
  return tokens.map((token) => ('tokens' in token && token.tokens ? plainText(token.tokens) : 'text' in token ? String(token.text) : '')).join('');
}

const pages = new Map(PAGES.map((path) => [path, parse(readFileSync(join(ROOT, path), 'utf8'))]));

/** Every relative link of every page that does not resolve: a missing file, or an anchor its target lacks. */
function deadLinks(): string[] {
  const dead: string[] = [];
  for (const [path, page] of pages) {
    for (const href of page.links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // http:, https:, mailto: — not ours to check here
      const [file = '', anchor] = href.split('#', 2);
      const target = file === '' ? path : relative(ROOT, resolve(dirname(join(ROOT, path)), decodeURI(file)));
      if (!existsSync(join(ROOT, target))) {
        dead.push(`${path}: ${href} (no file ${target})`);
        continue;
      }
      if (anchor === undefined) continue;
      const anchors = pages.get(target)?.anchors ?? (statSync(join(ROOT, target)).isFile() && target.endsWith('.md') ? parse(readFileSync(join(ROOT, target), 'utf8')).anchors : undefined);
      if (!anchors?.has(anchor)) dead.push(`${path}: ${href} (no heading #${anchor} in ${target})`);
    }
  }
  return dead;
}

describe('docs: README.md and docs/', () => {
  it('finds the pages, their links and their headings (the scan itself works)', () => {
    expect(PAGES.length).toBeGreaterThanOrEqual(8);
    const readme = pages.get('README.md')!;
    expect(readme.links).toContain('docs/frontend.md');
    expect(readme.links.filter((href) => href.includes('#')).length).toBeGreaterThan(0);
    // A heading with code in it gets GitHub's anchor: backticks and punctuation dropped.
    expect(pages.get('docs/frontend.md')!.anchors).toContain('errors-and-usererrors');
    expect(parse('[a](missing.md) `[b](in-code.md)`\n\n```\n[c](in-block.md)\n```\n').links).toEqual(['missing.md']);
    expect([...parse('# Same\n## Same\n').anchors]).toEqual(['same', 'same-1']);
  });

  it('has no dead relative link and no anchor that does not exist', () => {
    expect(deadLinks()).toEqual([]);
  });

  it('keeps the README a front door: at most 200 lines, linking every page of docs/', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(200);
    const linked = new Set(pages.get('README.md')!.links.map((href) => href.split('#')[0]));
    for (const path of PAGES.filter((p) => p.startsWith('docs/'))) expect(linked, path).toContain(path);
  });

  it('opens every page of docs/ with who it is for', () => {
    for (const path of PAGES.filter((p) => p.startsWith('docs/'))) {
      const { tokens } = pages.get(path)!;
      const first = tokens.find((token) => token.type === 'paragraph') as { text: string } | undefined;
      expect(tokens[0]?.type, `${path} starts with its title`).toBe('heading');
      expect(first?.text, `${path}: its first paragraph says who it is for`).toMatch(/^For /);
    }
  });
});
