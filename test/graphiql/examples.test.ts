import { parse, validate, type OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleTabs } from '../../src/graphiql/examples.ts';
import { workflowExampleTabs } from '../../src/graphiql/workflow-examples.ts';
import { buildSchema } from '../../src/graphql/schema.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const WORKFLOW_FIELDS = [
  'assignmentQueue',
  'applyQualityReview',
  'assignmentAnalytics',
  // The dashboard tab: the same operation with its series, percentiles and backlog.
  'assignmentAnalytics',
  'tagAssignmentsByAssigneeTier',
  'runAssignmentAutomation',
  'reviewAssignments',
];

describe('workflowExampleTabs', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ assignments: 400 });
  });
  afterAll(() => stack.close());

  const rootField = (query: string) => {
    const operation = parse(query).definitions[0] as OperationDefinitionNode;
    const selection = operation.selectionSet.selections[0]!;
    return { operation: operation.operation, field: selection.kind === 'Field' ? selection.name.value : '' };
  };

  it('has one tab per workflow operation, each valid against the schema', () => {
    expect(workflowExampleTabs.map((tab) => rootField(tab.query).field)).toEqual(WORKFLOW_FIELDS);
    const schema = buildSchema();
    for (const tab of workflowExampleTabs) expect(validate(schema, parse(tab.query)), tab.title).toEqual([]);
  });

  it('runs every tab against the embedded backend without errors, and the mutation tabs write nothing', async () => {
    stack.backend.resetRequests();
    for (const tab of workflowExampleTabs) {
      const { operation, field } = rootField(tab.query);
      const { body } = await stack.gql(tab.query, tab.variables ? (JSON.parse(tab.variables) as Record<string, unknown>) : undefined);
      expect(body.errors, tab.title).toBeUndefined();
      const payload = body.data![field];
      if (operation === 'mutation') expect(payload, tab.title).toMatchObject({ dryRun: true, writeCalls: 0, userErrors: [] });
      if (tab.title === 'Dashboard') {
        // One point per local day of the window (its first and last day cut by it), data in them.
        expect(payload.daily).toHaveLength(JSON.parse(tab.variables!).days + 1);
        expect(payload.daily.some((point: { created: number }) => point.created > 0)).toBe(true);
      }
    }
    expect(stack.backend.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('runs the review and tag-management tabs without errors; their mutations are previews that write nothing', async () => {
    const tabs = exampleTabs.filter((tab) => /AssignmentReviews|CreateTag|DeleteTag/.test(tab.query));
    expect(tabs).toHaveLength(3);
    stack.backend.resetRequests();
    for (const tab of tabs) {
      const { body } = await stack.gql(tab.query, JSON.parse(tab.variables!) as Record<string, unknown>);
      expect(body.errors, tab.query).toBeUndefined();
      const { operation, field } = rootField(tab.query);
      if (operation === 'mutation') expect(body.data![field]).toMatchObject({ dryRun: true, userErrors: [] });
    }
    expect(stack.backend.requests.filter((r) => r.method !== 'GET' && r.query['dry_run'] !== 'true')).toHaveLength(0);
  });
});
