import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../../context.ts';
import { unauthenticatedError } from '../errors.ts';
import { isIntrospectionOnly } from '../introspection.ts';

/**
 * Refuses, before execution and so before any upstream call, an operation without
 * credentials that asks for anything but introspection (GraphiQL still loads its
 * schema without a token).
 */
export function useRequireCredentials(): Plugin<GatewayContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as GatewayContext;
      if (context.credentials) return;
      if (isIntrospectionOnly(args.document, args.operationName)) return;
      setResultAndStopExecution({ data: null, errors: [unauthenticatedError()] });
    },
  };
}
