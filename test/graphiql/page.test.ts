import { getVariableValues, Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import type { GraphiQLOptions } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createGateway } from '../../src/gateway.ts';
import { graphiqlOptions } from '../../src/graphiql/options.ts';
import { buildSchema } from '../../src/graphql/schema.ts';
import { assetUrls } from '../helpers/graphiql.ts';
import { TOKENS } from '../helpers/stack.ts';

/** A gateway whose upstream is never called: rendering GraphiQL needs none. */
function testGateway(demoToken?: string, env: Record<string, string> = {}) {
  const base = loadConfig({ NODE_ENV: 'test', ...env });
  const config = { ...base, upstream: { ...base.upstream, baseUrl: 'http://127.0.0.1:9/' } };
  return createGateway(config, demoToken ? { demoToken } : {});
}

/** The GraphiQL page as a browser asks for it. */
async function graphiqlPage(demoToken?: string): Promise<{ status: number; type: string | null; html: string }> {
  const response = await testGateway(demoToken).fetch('http://gateway.test/graphql', { headers: { accept: 'text/html' } });
  return { status: response.status, type: response.headers.get('content-type'), html: await response.text() };
}

/** The options object the page hands to GraphiQL, parsed back from its inline script. */
function pageOptions(html: string): GraphiQLOptions {
  const match = /renderYogaGraphiQL\(document\.querySelector\('#root'\), (.*)\);\n/.exec(html);
  if (!match) throw new Error('the page does not start GraphiQL');
  return JSON.parse(match[1]!) as GraphiQLOptions;
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
    expect(pageOptions(html).headers).toContain('"Authorization": "Token <your token>"');
    expect(html).not.toMatch(/dev-\w+-token/);
  });

  it('loads nothing from a CDN: every script, style, icon and worker is a file of the gateway', async () => {
    const { html } = await graphiqlPage();
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/unpkg|jsdelivr|cdnjs|googleapis|gstatic|esm\.sh|skypack/i);
    const gateway = testGateway();
    const files = assetUrls(html);
    expect(files.length).toBe(6);
    for (const file of files) {
      const response = await gateway.fetch(new URL(file, 'http://gateway.test/graphql'));
      expect({ file, status: response.status }).toEqual({ file, status: 200 });
      expect(response.headers.get('content-type')).toBe(
        file.endsWith('.js') ? 'text/javascript; charset=utf-8' : file.endsWith('.css') ? 'text/css; charset=utf-8' : 'image/x-icon',
      );
    }
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
    for (const tab of tabs) expect(operationOf(tab.query).name?.value, tab.query ?? '').toMatch(/^[A-Z]\w+$/);
    expect(pageOptions(html).defaultTabs).toEqual(tabs);
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
