import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { ClientLabels } from '../observability/request-state.ts';
import { bypassCheck, clientLabels } from './clients.ts';
import { DocumentGate, useTrustedDocuments, type DocumentOutcome } from './plugin.ts';
import { ManifestStore } from './store.ts';

export { ManifestStore } from './store.ts';
export { BYPASS_HEADER } from './clients.ts';
export { CLIENT_NAME_HEADER, CLIENT_VERSION_HEADER } from '../observability/request-state.ts';

/** The trusted documents of one gateway: who each request's client is, and which documents may run. */
export interface TrustedDocuments {
  /** A request's client as label values (bounded by the manifests' clients). */
  identify(request: Request): ClientLabels;
  /** The gate, when TRUSTED_DOCUMENTS is `log` or `enforce`; none when `off`. */
  plugins: Plugin[];
}

/** Wires the client labels and, unless TRUSTED_DOCUMENTS is `off`, the gate, over the manifests of `store`. */
export function createTrustedDocuments(
  config: Config,
  deps: {
    store: ManifestStore;
    logger: Logger;
    /** GraphiQL's client name, when this gateway serves GraphiQL. */
    graphiqlClient: string | undefined;
    clientOf: (request: Request) => ClientLabels;
    onOutcome: (client: string, outcome: DocumentOutcome) => void;
  },
): TrustedDocuments {
  const { mode, bypassToken } = config.trustedDocuments;
  const extraNames = new Set(deps.graphiqlClient === undefined ? [] : [deps.graphiqlClient]);
  const identify = (request: Request) => clientLabels(request, deps.store.current, extraNames);
  if (mode === 'off') return { identify, plugins: [] };
  const gate = new DocumentGate({
    store: deps.store,
    mode,
    production: config.env === 'production',
    bypass: bypassToken === undefined ? undefined : bypassCheck(bypassToken),
    graphiqlClient: deps.graphiqlClient,
    maxTokens: config.security.maxTokens,
    clientOf: deps.clientOf,
    onOutcome: deps.onOutcome,
    logger: deps.logger,
  });
  return { identify, plugins: [useTrustedDocuments(gate)] };
}
