import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.ts';

const ROOT = new URL('../../', import.meta.url);
const PAGE = readFileSync(new URL('docs/frontend.md', ROOT), 'utf8');

/** The fenced block right after each `<!-- kind: label -->` marker of docs/frontend.md. */
function marked(kind: string): { label: string; body: string }[] {
  const pattern = new RegExp(`<!-- ${kind}: ([^>]+?) -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\\n\`\`\`\\n`, 'g');
  return [...PAGE.matchAll(pattern)].map((match) => ({ label: match[1]!, body: match[2]! }));
}

/** `actual` has everything `documented` shows: objects may have more keys, `"..."` stands for any value. */
function expectDocumented(actual: unknown, documented: unknown, path = '$'): void {
  if (documented === '...') return expect(actual, path).toBeDefined();
  if (Array.isArray(documented)) {
    expect(Array.isArray(actual) && actual.length, path).toBe(documented.length);
    documented.forEach((item, i) => expectDocumented((actual as unknown[])[i], item, `${path}[${i}]`));
  } else if (documented !== null && typeof documented === 'object') {
    expect(actual, path).toBeTypeOf('object');
    for (const [key, value] of Object.entries(documented)) expectDocumented((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
  } else {
    expect(actual, path).toEqual(documented);
  }
}

describe('docs/frontend.md', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ assignments: 40 });
  });
  afterAll(() => stack?.close());

  it('shows the example files verbatim (they are type-checked by npm test and run by test/frontend/)', () => {
    const snippets = marked('snippet');
    expect(snippets.map((s) => s.label)).toEqual([
      'examples/frontend/codegen.ts',
      'examples/frontend/src/urql.ts',
      'examples/frontend/src/apollo.ts',
      'examples/frontend/src/trusted-documents.ts',
      'examples/frontend/src/errors.ts',
    ]);
    for (const { label, body } of snippets) {
      expect(body, `${label} differs from docs/frontend.md`).toBe(readFileSync(new URL(label, ROOT), 'utf8').trimEnd());
    }
  });

  it('shows responses the gateway really gives to the requests shown', async () => {
    const requests = marked('request');
    const responses = new Map(marked('response').map((r) => [r.label, JSON.parse(r.body) as unknown]));
    expect(requests.map((r) => r.label.split(',')[0])).toEqual([...responses.keys()]);
    for (const { label, body } of requests) {
      const [name, tokenPart] = label.split(', ');
      const token = /^token (\S+)$/.exec(tokenPart ?? '')?.[1];
      expect(token, label).toBeDefined();
      const { body: answer } = await stack.gql(body, undefined, { token: token! });
      expectDocumented(answer, responses.get(name!), name);
    }
  });
});
