import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { graphiqlOptions } from '../../src/graphiql/options.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { ASSIGNMENT_FIELDS, EXAMPLE_OPERATIONS, GRAPHQL_URL, expectRequestIds, messages, post, read, type RawResponse } from './helpers.ts';

/** What production (EXPOSE_LIMITS off) says of each limit: its name, not its figures (the cost is shown anyway). */
const HIDDEN: Record<string, string | RegExp> = {
  depth: 'Query depth exceeds the limit.',
  aliases: 'Query has too many aliases.',
  directives: 'Query has too many directives.',
  tokens: 'Query has too many tokens.',
  characters: 'Query has too many characters.',
  cost: /^Query cost [\d,]+ exceeds the limit of 50,000\.$/,
};

/** GraphiQL's introspection query with every option on (the largest variant). */
const GRAPHIQL_INTROSPECTION = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
});

/** `__type(name: "Query") { fields { type { ofType … { name } } } }`: depth 4 + `ofTypes` + 1. */
function typeRefDepth(depth: number): string {
  const ofTypes = depth - 4;
  return `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(ofTypes)}name${' }'.repeat(ofTypes)} } } } }`;
}

describe('document limits (defaults, limits exposed as outside production)', () => {
  let stack: Stack;
  let prod: Stack;

  beforeAll(async () => {
    // Rate limiting off: these stacks run many expensive examples, and it is tested elsewhere.
    [stack, prod] = await Promise.all([
      startStack({ assignments: 120, env: { RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0' } }),
      startStack({ assignments: 120, env: { NODE_ENV: 'production', LOG_LEVEL: 'silent', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0' } }),
    ]);
  });
  afterAll(() => Promise.all([stack.close(), prod.close()]));
  beforeEach(() => {
    stack.backend.resetRequests();
    prod.backend.resetRequests();
  });

  /** Sends with the admin token, so only a limit can stop the document. */
  const send = (target: Stack, query: string, variables?: Record<string, unknown>) => post(target.gateway, { query, variables });

  /**
   * A refusal: exactly the expected message, DOCUMENT_LIMIT_EXCEEDED naming the limit, a
   * request id, no "Syntax Error" (nothing is wrong with the syntax), and not one upstream call;
   * in production the same code and limit name without the figures (but for the cost).
   */
  async function expectRefused(query: string, limit: string, exposed: string, variables?: Record<string, unknown>): Promise<void> {
    const shown = await send(stack, query, variables);
    expect(shown.status).toBe(400);
    expect(messages(shown)).toContain(exposed);
    const refusal = shown.body.errors.find((e: { message: string }) => e.message === exposed);
    expect(refusal.extensions).toMatchObject({ code: 'DOCUMENT_LIMIT_EXCEEDED', limit });
    expect(shown.text).not.toContain('Syntax Error');
    expectRequestIds(shown);
    const hidden = await send(prod, query, variables);
    expect(hidden.status).toBe(400);
    const hiddenRefusal = hidden.body.errors.find((e: { extensions: { code: string } }) => e.extensions.code === 'DOCUMENT_LIMIT_EXCEEDED');
    expect(hiddenRefusal.extensions.limit).toBe(limit);
    if (typeof HIDDEN[limit] === 'string') {
      expect(hiddenRefusal.message).toBe(HIDDEN[limit]);
      expect(hiddenRefusal.extensions).not.toHaveProperty('max');
      expect(hidden.text).not.toMatch(/limit of|found|\d,\d{3}/);
    } else {
      expect(hiddenRefusal.message).toMatch(HIDDEN[limit]!);
    }
    expect(hidden.text).not.toContain('Syntax Error');
    expect(stack.backend.requests).toHaveLength(0);
    expect(prod.backend.requests).toHaveLength(0);
  }

  const codesOf = (response: RawResponse): string[] => (response.body.errors ?? []).map((e: { extensions: { code: string } }) => e.extensions.code);

  function expectAccepted(response: RawResponse): void {
    const codes = (response.body.errors ?? []).map((e: { extensions: { code: string } }) => e.extensions.code);
    expect(codes).not.toContain('GRAPHQL_VALIDATION_FAILED');
    expect(codes).not.toContain('GRAPHQL_PARSE_FAILED');
    expect(response.status).toBe(200);
  }

  describe('depth (8, fragments flattened)', () => {
    it('accepts depth 8 and refuses depth 9', async () => {
      expectAccepted(await send(stack, typeRefDepth(8)));
      await expectRefused(typeRefDepth(9), 'depth', 'Query depth 9 exceeds the limit of 8.');
    });

    it('the deepest real selection (5) passes and executes', async () => {
      const response = await send(stack, '{ assignments(first: 2) { edges { node { tags { id } } } } }');
      expect(response.body.errors).toBeUndefined();
      expect(stack.backend.requests.length).toBeGreaterThan(0);
    });

    it('counts fields, not fragments: fragment spreads add no level', async () => {
      const shallow = await startStack({ assignments: 10, env: { MAX_DEPTH: '5' } });
      try {
        const five = `{ assignments(first: 1) { edges { ...E } } }
          fragment E on AssignmentEdge { node { ...N } }
          fragment N on Assignment { ... on Assignment { tags { id } } }`;
        expect((await send(shallow, five)).body.errors).toBeUndefined();
        shallow.backend.resetRequests();
        const six = `{ __type(name: "Query") { ...F } } fragment F on __Type { fields { ...T } }
          fragment T on __Field { type { ofType { ofType { name } } } }`;
        expect(messages(await send(shallow, six))).toContain('Query depth 6 exceeds the limit of 5.');
        expect(shallow.backend.requests).toHaveLength(0);
      } finally {
        await shallow.close();
      }
    });

    it('operations, fragments and aliases named __schema or __type are counted like any other', async () => {
      const shallow = await startStack({ assignments: 10, env: { MAX_DEPTH: '4' } });
      try {
        const deep = 'assignments(first: 1) { edges { node { tags { id } } } }';
        const cases = [
          `query __schema { ${deep} }`,
          `query __type { ${deep} }`,
          `{ ...__schema } fragment __schema on Query { ${deep} }`,
          `{ ...__type } fragment __type on Query { ${deep} }`,
          `{ __schema: ${deep} }`,
        ];
        for (const query of cases) {
          const response = await send(shallow, query);
          expect(messages(response), query).toContain('Query depth 5 exceeds the limit of 4.');
        }
        expect(shallow.backend.requests).toHaveLength(0);
        // And without a token they are not mistaken for introspection either.
        const anonymous = await post(shallow.gateway, { query: '{ ...__schema } fragment __schema on Query { tags(projectId: 1) { id } }' }, { token: null });
        expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
        expect(shallow.backend.requests).toHaveLength(0);
      } finally {
        await shallow.close();
      }
    });

    it('recursive fragments are refused without a crash, and the gateway keeps answering', async () => {
      const cycles = [
        '{ assignments { nodes { ...A } } } fragment A on Assignment { id ...B } fragment B on Assignment { tags { id } ...A }',
        '{ ...Q } fragment Q on Query { assignments { nodes { id } } ...Q }',
      ];
      for (const query of cycles) {
        for (const target of [stack, prod]) {
          const response = await send(target, query);
          expect(response.status).toBe(400);
          expect(messages(response).join('\n')).toMatch(/Cannot spread fragment "[A-Z]" within itself/);
          expectRequestIds(response);
        }
      }
      expect(stack.backend.requests).toHaveLength(0);
      expect((await send(stack, '{ __typename }')).body.data).toEqual({ __typename: 'Query' });
    });

    it('introspection nesting has its own bound (graphql-js MaxIntrospectionDepthRule)', async () => {
      const response = await send(stack, '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }');
      expect(response.status).toBe(400);
      expect(messages(response)).toContain('Maximum introspection depth exceeded');
    });
  });

  describe('aliases (15)', () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: assignment(id: ${i + 1}) { id }`).join(' ')} }`;

    it('accepts 15 and refuses 16', async () => {
      const accepted = await send(stack, aliases(15));
      expect(accepted.body.errors).toBeUndefined();
      expect(Object.keys(accepted.body.data)).toHaveLength(15);
      stack.backend.resetRequests();
      await expectRefused(aliases(16), 'aliases', 'Query has 16 aliases; the limit is 15 (__typename not counted).');
    });

    it('counts the aliases of a fragment at each spread', async () => {
      const fragment = `fragment F on Assignment { ${Array.from({ length: 7 }, (_, i) => `f${i}: id`).join(' ')} }`;
      const query = (spreads: number) =>
        `{ ${Array.from({ length: spreads }, (_, i) => `x${i}: assignment(id: ${i + 1}) { ...F }`).join(' ')} } ${fragment}`;
      expect((await send(stack, query(1))).body.errors).toBeUndefined(); // 1 + 7
      stack.backend.resetRequests();
      await expectRefused(query(2), 'aliases', 'Query has 16 aliases; the limit is 15 (__typename not counted).'); // 2 + 7 + 7
    });
  });

  describe('directives (50)', () => {
    const directives = (n: number) => `{ assignment(id: 1) { ${'id @include(if: true) '.repeat(n)} } }`;

    it('accepts 50 and refuses 51', async () => {
      expect((await send(stack, directives(50))).body.errors).toBeUndefined();
      stack.backend.resetRequests();
      await expectRefused(directives(51), 'directives', 'Query has 51 directives; the limit is 50.');
    });
  });

  describe('tokens (2000)', () => {
    /** 12 tokens of frame plus `n - 12` ids (1,988 ids: over the 500 cap, refused by the resolver, not a limit). */
    const tokens = (n: number) => `{ assignmentsByIds(ids: [${'1 '.repeat(n - 12)}]) { id } }`;

    it('accepts 2000 and refuses 2001', async () => {
      const accepted = await send(stack, tokens(2000));
      expectAccepted(accepted);
      expect(messages(accepted)).toEqual(['ids accepts at most 500 ids, got 1988.']);
      stack.backend.resetRequests();
      await expectRefused(tokens(2001), 'tokens', 'Query has more than 2,000 tokens, the limit.');
    });

    it("GraphiQL's introspection query fits every limit", async () => {
      const response = await post(stack.gateway, { query: GRAPHIQL_INTROSPECTION }, { token: null });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.__schema.queryType.name).toBe('Query');
    });
  });

  describe('characters (15000)', () => {
    const sized = (n: number) => `{ __typename }${' '.repeat(n - '{ __typename }'.length)}`;

    it('accepts 15000 and refuses 15001 (whitespace and comments count, they are not tokens)', async () => {
      expect((await send(stack, sized(15_000))).body.data).toEqual({ __typename: 'Query' });
      await expectRefused(sized(15_001), 'characters', 'Query has 15,001 characters; the limit is 15,000 (variables not counted).');
      await expectRefused(`{ __typename } #${'x'.repeat(15_000)}`, 'characters', 'Query has 15,016 characters; the limit is 15,000 (variables not counted).');
    });
  });

  describe('cost (50000)', () => {
    it('every example operation passes every limit, in development and in production', async () => {
      for (const [name, query] of Object.entries(EXAMPLE_OPERATIONS)) {
        for (const target of [stack, prod]) {
          const response = await send(target, query, { ids: ['1'], scores: [{ assignmentId: '1', score: 0.9 }] });
          expect(codesOf(response).filter((code) => code === 'DOCUMENT_LIMIT_EXCEEDED'), name).toEqual([]);
          expectAccepted(response);
        }
      }
    });

    it("every GraphiQL example tab passes every limit, in development and in production", async () => {
      const tabs = graphiqlOptions({}).defaultTabs ?? [];
      expect(tabs.length).toBeGreaterThan(5);
      for (const tab of tabs) {
        const query = tab.query ?? '';
        const variables = tab.variables ? (JSON.parse(tab.variables) as Record<string, unknown>) : undefined;
        for (const target of [stack, prod]) {
          const response = await send(target, query, variables);
          expect(codesOf(response).filter((code) => code === 'DOCUMENT_LIMIT_EXCEEDED'), query).toEqual([]);
          expectAccepted(response);
        }
      }
    });

    it('a 100 × 100 nested fan-out is refused', async () => {
      await expectRefused(
        '{ assignments(first: 100) { nodes { tags(first: 100) { id } } } }',
        'cost',
        'Query cost 79,250 exceeds the limit of 50,000.',
      );
    });

    it('100 pages of 100 are refused even when the alias limit allows them', async () => {
      const wide = await startStack({ assignments: 10, env: { MAX_ALIASES: '1000', MAX_TOKENS: '100000' } });
      try {
        const pages = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `p${i}: assignments(first: 100) { nodes { id } }`).join(' ')} }`;
        expect(messages(await send(wide, pages(100)))).toContain('Query cost 72,500 exceeds the limit of 50,000.');
        expect(wide.backend.requests).toHaveLength(0);
      } finally {
        await wide.close();
      }
    });

    it('a page size given by a variable counts at its cap (100), not as 1', async () => {
      const page = (first: string) => `p$: assignments(first: ${first}) { nodes { ${ASSIGNMENT_FIELDS} } }`;
      const eight = (first: string) => `query($n: Int) { ${Array.from({ length: 8 }, (_, i) => page(first).replace('$:', `${i}:`)).join(' ')} }`;
      const literal = await send(stack, eight('10'), { n: 10 });
      expect(codesOf(literal)).not.toContain('DOCUMENT_LIMIT_EXCEEDED');
      stack.backend.resetRequests();
      await expectRefused(eight('$n'), 'cost', 'Query cost 50,800 exceeds the limit of 50,000.', { n: 10 });
    });
  });
});

describe('extensions.cost: the price of every query, refused or not', () => {
  let prod: Stack;
  beforeAll(async () => {
    prod = await startStack({ assignments: 10, env: { NODE_ENV: 'production', LOG_LEVEL: 'silent', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0' } });
  });
  afterAll(() => prod.close());

  it('is on every response, in production too: answers, refusals by cost, other refusals (0 when nothing was read)', async () => {
    const cost = async (body: unknown, raw = false, headers: Record<string, string> = {}) =>
      (await post(prod.gateway, body, { raw, headers })).body.extensions.cost;
    // assignment (2 + 1.5 × id) = 3.5 → 4.
    expect(await cost({ query: '{ assignment(id: 1) { id } }' })).toEqual({ estimated: 4, limit: 50_000 });
    // The default page (20) multiplies the connection: (2 + 1.5 × (2 + 1.5 × 1)) × 20 = 145.
    expect(await cost({ query: '{ assignments { nodes { id } } }' })).toEqual({ estimated: 145, limit: 50_000 });
    expect(await cost({ query: '{ assignments(first: 100) { nodes { tags(first: 100) { id } } } }' })).toEqual({ estimated: 79_250, limit: 50_000 });
    // Another limit refused it; the price is still told.
    expect((await cost({ query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: assignment(id: 1) { id }`).join(' ')} }` })).estimated).toBe(56);
    // The operation that would run is the one priced.
    const two = 'query Cheap { __typename } query Costly { assignments(first: 100) { nodes { id } } }';
    expect(await cost({ query: two, operationName: 'Cheap' })).toEqual({ estimated: 1, limit: 50_000 });
    expect((await cost({ query: two, operationName: 'Costly' })).estimated).toBeGreaterThan(200);
    expect(await cost({ query: '{ x' })).toEqual({ estimated: 0, limit: 50_000 });
    expect(await cost('{"query":"{ __typename }"}', true, { 'content-type': 'text/plain' })).toEqual({ estimated: 0, limit: 50_000 });
  });
});

describe('exposure in production', () => {
  let prod: Stack;
  let dev: Stack;

  beforeAll(async () => {
    [prod, dev] = await Promise.all([
      startStack({ assignments: 10, env: { NODE_ENV: 'production', LOG_LEVEL: 'silent' } }),
      startStack({ assignments: 10, env: { NODE_ENV: 'development', LOG_LEVEL: 'silent' } }),
    ]);
  });
  afterAll(() => Promise.all([prod.close(), dev.close()]));

  const typos = '{ assignmentz(id: 1) { id } assignments(filter: {status: PENDNG, projekt: 1}, frist: 2) { totalCount } }';

  it('hides field, argument, input-field and enum-value suggestions when introspection is off', async () => {
    const response = await post(prod.gateway, { query: typos });
    expect(response.status).toBe(400);
    expect(messages(response).length).toBeGreaterThanOrEqual(4);
    expect(response.text).not.toContain('Did you mean');
    expect(response.text).not.toMatch(/PENDING|"project"|"first"|"assignment"/);
    const variables = await post(prod.gateway, {
      query: 'query($s: AssignmentStatus) { assignments(filter: {status: $s}) { totalCount } }',
      variables: { s: 'PENDNG' },
    });
    expect(messages(variables)).toHaveLength(1);
    expect(variables.text).not.toContain('Did you mean');
  });

  it('shows them in development, where introspection is on anyway', async () => {
    const response = await post(dev.gateway, { query: typos });
    expect(response.text).toContain('Did you mean the enum value \\"PENDING\\"?');
    expect(response.text).toContain('Did you mean \\"first\\"');
  });

  it('refuses introspection in production, keeps __typename', async () => {
    for (const query of ['{ __schema { queryType { name } } }', '{ __type(name: "Query") { name } }', GRAPHIQL_INTROSPECTION]) {
      const response = await post(prod.gateway, { query }, { token: null });
      expect(response.status).toBe(400);
      expect(messages(response).join('\n')).toMatch(/GraphQL introspection has been disabled/);
    }
    expect((await post(prod.gateway, { query: '{ __typename }' }, { token: null })).body.data).toEqual({ __typename: 'Query' });
  });

  it('INTROSPECTION_ENABLED=true turns it back on in production', async () => {
    const open = await startStack({ assignments: 10, env: { NODE_ENV: 'production', LOG_LEVEL: 'silent', INTROSPECTION_ENABLED: 'true' } });
    try {
      const response = await post(open.gateway, { query: GRAPHIQL_INTROSPECTION }, { token: null });
      expect(response.body.errors).toBeUndefined();
    } finally {
      await open.close();
    }
  });

  it('serves GraphiQL in development only, unless GRAPHIQL_ENABLED says otherwise', async () => {
    const page = async (target: Stack) => read(await target.gateway.fetch(GRAPHQL_URL, { headers: { accept: 'text/html' } }));
    const shown = await page(dev);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-type')).toContain('text/html');
    expect(shown.text).toContain('Synapse Gateway');
    const hidden = await page(prod);
    expect(hidden.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(hidden.text).not.toContain('<html');
    const forced = await startStack({ assignments: 10, env: { NODE_ENV: 'production', LOG_LEVEL: 'silent', GRAPHIQL_ENABLED: 'true' } });
    const off = await startStack({ assignments: 10, env: { NODE_ENV: 'development', LOG_LEVEL: 'silent', GRAPHIQL_ENABLED: 'false' } });
    try {
      expect((await page(forced)).headers.get('content-type')).toContain('text/html');
      expect((await page(off)).text).not.toContain('<html');
    } finally {
      await Promise.all([forced.close(), off.close()]);
    }
  });
});
