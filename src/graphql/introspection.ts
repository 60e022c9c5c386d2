import { Kind, type DefinitionNode, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * Whether the operation to run (the named one, else the first) asks for introspection
 * fields only (`__schema`, `__type`, `__typename`), fragments followed: what GraphiQL and
 * codegen send to learn the schema, and nothing that reaches Synapse.
 */
export function isIntrospectionOnly(document: DocumentNode, operationName?: string | null): boolean {
  const definitions = document.definitions;
  const operation = definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationName == null || d.name?.value === operationName),
  );
  return operation !== undefined && onlyIntrospection(operation.selectionSet, definitions);
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
