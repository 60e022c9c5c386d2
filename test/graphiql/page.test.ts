import { getVariableValues, Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createGateway } from '../../src/gateway.ts';
import { graphiqlOptions } from '../../src/graphiql/options.ts';
import { buildSchema } from '../../src/graphql/schema.ts';
import { TOKENS } from '../helpers/stack.ts';

/** The GraphiQL page as a browser asks for it; no backend is needed to render it. */
async function graphiqlPage(demoToken?: string): Promise<{ status: number; type: string | null; html: string }> {
  const base = loadConfig({ NODE_ENV: 'test' });
  const config = { ...base, upstream: { ...base.upstream, baseUrl: 'http://127.0.0.1:9/' } };
  const gateway = createGateway(config, demoToken ? { demoToken } : {});
  const response = await gateway.fetch('http://gateway.test/graphql', { headers: { accept: 'text/html' } });
  return { status: response.status, type: response.headers.get('content-type'), html: await response.text() };
}

const schema = buildSchema();
const tabs = graphiqlOptions({}).defaultTabs ?? [];

/** The single operation of a tab, parsed. */
function operationOf(query: string | null): OperationDefinitionNode {
  const operations = parse(query ?? '').definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  expect(operations).toHaveLength(1);
  return operations[0] as OperationDefinitionNode;
}

describe('GraphiQL page (no browser)', () => {
  it('is served with the title, and the demo token in the headers editor when one is given', async () => {
    const { status, type, html } = await graphiqlPage(TOKENS.admin);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/html/);
    expect(html).toContain('<title>Synapse Gateway</title>');
    expect(html).toContain('Token dev-admin-token');
    expect(html).not.toContain('<your token>');
  });

  it('offers an Authorization template, and no token, without the embedded backend', async () => {
    const { html } = await graphiqlPage();
    expect(html).toContain('Token <your token>');
    expect(html).not.toMatch(/dev-\w+-token/);
  });

  it('loads nothing from a CDN: every script and style is inline', async () => {
    const { html } = await graphiqlPage();
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/<link[^>]*\shref=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/unpkg|jsdelivr|cdnjs|googleapis|gstatic|esm\.sh|skypack/i);
  });

  it('has a named example for every query and mutation of the schema, each served in the page', async () => {
    const { html } = await graphiqlPage();
    const covered = new Set(
      tabs.flatMap((tab) =>
        operationOf(tab.query).selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : [])),
      ),
    );
    const rootFields = [schema.getQueryType(), schema.getMutationType()].flatMap((type) => Object.keys(type?.getFields() ?? {}));
    expect(rootFields.filter((field) => !covered.has(field))).toEqual([]);
    for (const tab of tabs) {
      expect(operationOf(tab.query).name?.value, tab.query ?? '').toMatch(/^[A-Z]\w+$/);
      expect(html).toContain(JSON.stringify(tab.query).slice(1, -1));
    }
  });

  it('has examples that validate against the schema, with variables their operations accept', () => {
    expect(tabs.length).toBeGreaterThanOrEqual(5);
    for (const tab of tabs) {
      const operation = operationOf(tab.query);
      const name = operation.name?.value;
      expect(validate(schema, parse(tab.query ?? '')).map((e) => e.message), name).toEqual([]);
      const variables = JSON.parse(tab.variables ?? '{}') as Record<string, unknown>;
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
      expect(coerced.errors?.map((e) => e.message) ?? [], name).toEqual([]);
    }
  });

  it('opens on a tab that runs with an empty variables editor (graphql/graphiql#3392: first-tab variables are not loaded)', () => {
    const first = operationOf(tabs[0]?.query ?? null);
    const coerced = getVariableValues(schema, first.variableDefinitions ?? [], {});
    expect(coerced.errors?.map((e) => e.message) ?? []).toEqual([]);
  });
});
