import type { GraphiQLOptions } from 'graphql-yoga';
import { CLIENT_NAME_HEADER } from '../observability/request-state.ts';
import { exampleTabs, json } from './examples.ts';
import { workflowExampleTabs } from './workflow-examples.ts';

/**
 * The client name GraphiQL's requests carry: outside production its documents run whatever
 * TRUSTED_DOCUMENTS says, as the explorer it is, and metrics count it apart.
 */
export const GRAPHIQL_CLIENT = 'graphiql';

/** GraphiQL settings: a title, a headers editor ready to run, example tabs, its client name. */
export function graphiqlOptions(options: { demoToken?: string | undefined }): GraphiQLOptions {
  // With the embedded backend the demo admin token makes the first Run work; otherwise a template.
  const headers = json({ Authorization: `Token ${options.demoToken || '<your token>'}` });
  return {
    title: 'Synapse Gateway',
    headers,
    defaultHeaders: headers,
    // A persisted editor would keep a stale token across gateway restarts.
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: 'headers',
    additionalHeaders: { [CLIENT_NAME_HEADER]: GRAPHIQL_CLIENT },
    // GraphiQL titles each tab with its operation name, so the workflow tabs' `title` is not passed on.
    defaultTabs: [...exampleTabs, ...workflowExampleTabs].map(({ query, variables }) => ({ query, variables })),
  };
}
