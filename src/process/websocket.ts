import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, type ExecutionArgs, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Gateway } from '../gateway.ts';
import { withExtensions } from '../graphql/errors.ts';
import { CALLER_HEADERS } from '../security/cors.ts';
import { BYPASS_HEADER } from '../trusted-documents/index.ts';

/**
 * Headers a client may pass in the `connection_init` payload (browsers cannot set them on a
 * WebSocket): the caller's, as over HTTP, and the trusted documents' bypass.
 */
const FORWARDED_HEADERS = [...CALLER_HEADERS, BYPASS_HEADER];

/**
 * The `graphql-transport-ws` protocol (the graphql-ws library) on the gateway's own
 * port and path. Each operation goes through the same envelop pipeline as HTTP
 * (document limits, cost, masking, credentials, context), with the caller's
 * credentials from the upgrade request's headers or, as browsers must, from the
 * `connection_init` payload. graphql-ws pings every 12 s and drops dead sockets.
 */
export function attachWebSockets(
  server: Server,
  gateway: Gateway,
  options: { maxPayloadBytes: number; keepAliveMs?: number },
): { close(): Promise<void> } {
  const sockets = new WebSocketServer({ server, path: gateway.graphqlEndpoint, maxPayload: options.maxPayloadBytes });
  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      // Yoga strips its internal `http` extension (status, headers) from HTTP answers; do the same here.
      onNext: (_ctx, _id, _payload, _args, result) => withoutHttpExtensions(result),
      onError: (_ctx, _id, _payload, errors) => errors.map(withoutHttp),
      async onSubscribe(ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> {
        const request = toFetchRequest(ctx.extra.request, ctx.connectionParams);
        const enveloped = gateway.getEnveloped({ request, params: payload });
        let document: ReturnType<typeof enveloped.parse>;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          // A syntax error or a refused document (trusted documents) ends this operation with its error, not the socket.
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
    },
    sockets,
    options.keepAliveMs ?? 12_000,
  );
  return { close: () => disposable.dispose() as Promise<void> };
}

/** The operation's own envelop executors, handed from onSubscribe to execute/subscribe through rootValue. */
type Enveloped = { execute: NonNullable<ServerOptions['execute']>; subscribe: NonNullable<ServerOptions['subscribe']> };

/** A Fetch Request standing for one WebSocket operation, so the context reads credentials as for HTTP. */
function toFetchRequest(upgrade: IncomingMessage, connectionParams: Readonly<Record<string, unknown>> | undefined): Request {
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = upgrade.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  for (const [name, value] of Object.entries(connectionParams ?? {})) {
    if (typeof value === 'string' && FORWARDED_HEADERS.includes(name.toLowerCase())) headers.set(name.toLowerCase(), value);
  }
  return new Request('http://gateway.websocket/graphql', { headers });
}

function withoutHttp<E extends GraphQLFormattedError | GraphQLError>(error: E): E {
  if (!error.extensions || !('http' in error.extensions)) return error;
  const { http: _http, ...extensions } = error.extensions;
  if (error instanceof GraphQLError) return withExtensions(error, extensions) as E;
  return { ...error, extensions };
}

function withoutHttpExtensions(result: FormattedExecutionResult | { errors?: readonly GraphQLError[] }): FormattedExecutionResult {
  const errors = result.errors as readonly GraphQLFormattedError[] | undefined;
  if (!errors?.some((error) => error.extensions && 'http' in error.extensions)) return result as FormattedExecutionResult;
  return { ...result, errors: errors.map(withoutHttp) } as FormattedExecutionResult;
}
