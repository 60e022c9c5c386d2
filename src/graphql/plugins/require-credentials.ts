import { Kind, type DefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../../context.ts';
import { unauthenticatedError } from '../errors.ts';

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
      const definitions: readonly DefinitionNode[] = args.document.definitions;
      const operation = definitions.find(
        (d): d is OperationDefinitionNode =>
          d.kind === Kind.OPERATION_DEFINITION && (args.operationName == null || d.name?.value === args.operationName),
      );
      if (operation && onlyIntrospection(operation.selectionSet, definitions)) return;
      setResultAndStopExecution({ data: null, errors: [unauthenticatedError()] });
    },
  };
}

function onlyIntrospection(set: SelectionSetNode, definitions: readonly DefinitionNode[], seen = new Set<string>()): boolean {
  return set.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value.startsWith('__');
    if (selection.kind === Kind.INLINE_FRAGMENT) return onlyIntrospection(selection.selectionSet, definitions, seen);
    const name = selection.name.value;
    if (seen.has(name)) return true;
    seen.add(name);
    const fragment = definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION ? onlyIntrospection(fragment.selectionSet, definitions, seen) : false;
  });
}
