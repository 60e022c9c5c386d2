import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';

/** One event a subscriber received: data, or the errors that ended it. */
export interface Received {
  data?: Record<string, any> | null;
  errors?: readonly { message: string; extensions?: Record<string, any> }[];
}

/** Events of one subscription as they arrive, read by the test while the stream runs. */
export interface Subscription {
  events: Received[];
  /** True once the stream completed (or failed). */
  readonly done: boolean;
  /** Set when the transport failed rather than completing. */
  readonly failure: unknown;
  /** Ids of the assignments received so far, in order. */
  ids(): string[];
  /** Waits until `predicate` holds, failing after `timeoutMs` with what was received. */
  until(predicate: (events: Received[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

const SUBSCRIPTION = /* GraphQL */ `
  subscription Watch($filter: AssignmentFilter) {
    assignmentUpdated(filter: $filter) { id projectId updatedAt tags { name } }
  }
`;

function collect(iterator: AsyncIterableIterator<Received>, onClose: () => void = () => {}): Subscription {
  const events: Received[] = [];
  let done = false;
  let failure: unknown;
  const running = (async () => {
    try {
      for await (const event of iterator) events.push(event);
    } catch (error) {
      failure = error;
    } finally {
      done = true;
    }
  })();
  return {
    events,
    get done() {
      return done;
    },
    get failure() {
      return failure;
    },
    ids: () => events.flatMap((event) => (event.data?.['assignmentUpdated'] ? [String(event.data['assignmentUpdated'].id)] : [])),
    async until(predicate, timeoutMs = 5_000, what = 'the expected events') {
      const deadline = performance.now() + timeoutMs;
      while (!predicate(events)) {
        if (performance.now() > deadline) {
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(events).slice(0, 2000)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      await iterator.return?.();
      onClose();
      await running;
    },
  };
}

/** `assignmentUpdated` over GraphQL over SSE with graphql-sse's client, distinct connections mode (what yoga speaks). */
export function subscribeSse(url: string, token: string | null, filter?: Record<string, unknown>): Subscription {
  const client = createSseClient({
    url,
    headers: token ? { Authorization: `Token ${token}` } : {},
    retryAttempts: 0,
  });
  const iterator = client.iterate({ query: SUBSCRIPTION, variables: { filter: filter ?? null } }) as AsyncIterableIterator<Received>;
  return collect(iterator, () => client.dispose());
}

/** A graphql-ws client (`graphql-transport-ws`), the token in the connection init payload as browsers must send it. */
export function wsClient(url: string, token: string | null): WsClient {
  return createWsClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: token ? { Authorization: `Token ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** `assignmentUpdated` over a graphql-ws client (several subscriptions may share one client's socket). */
export function subscribeWs(client: WsClient, filter?: Record<string, unknown>): Subscription {
  const iterator = client.iterate({ query: SUBSCRIPTION, variables: { filter: filter ?? null } }) as AsyncIterableIterator<Received>;
  return collect(iterator);
}
