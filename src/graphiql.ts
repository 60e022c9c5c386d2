import type { GraphiQLOptions } from 'graphql-yoga';

/** GraphiQL settings: a title, a headers editor ready to run, example tabs. */
export function graphiqlOptions(options: { demoToken?: string | undefined }): GraphiQLOptions {
  const headers = JSON.stringify(
    { Authorization: options.demoToken ? `Token ${options.demoToken}` : 'Token <your token>' },
    null,
    2,
  );
  return {
    title: 'Synapse Gateway',
    headers,
    defaultHeaders: headers,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: 'headers',
    defaultQuery: '{\n  assignment(id: 1) {\n    id\n    status\n  }\n}\n',
  };
}
