import { collectSubFields } from '@graphql-tools/utils';
import {
  getArgumentValues,
  getNamedType,
  isObjectType,
  type FieldNode,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
} from 'graphql';

/** One sub-field the operation asks of the field being resolved, with its argument values. */
export interface SelectedField {
  name: string;
  args: Record<string, unknown>;
  nodes: FieldNode[];
  /** Asked inside a `@defer` fragment: answered in a later part, after the rest. */
  deferred: boolean;
}

/**
 * What the operation selects below the field being resolved (aliases kept apart,
 * fragments and @skip/@include applied, variables read, deferred fragments marked). A resolver that computes
 * every figure in one pass over the upstream reads it to know, before reading,
 * which figures and which arguments its children will ask for.
 */
export function selectedSubfields(info: GraphQLResolveInfo): SelectedField[] {
  return subfieldsOf(info, getNamedType(info.returnType), [...info.fieldNodes]);
}

/**
 * The names selected at the end of a path below the field being resolved, along every
 * path given (`[['nodes'], ['edges', 'node']]`): what a connection's nodes are asked
 * for, wherever the operation asks it.
 */
export function selectedNamesAt(info: GraphQLResolveInfo, paths: readonly (readonly string[])[]): Set<string> {
  const names = new Set<string>();
  for (const path of paths) {
    let level: { type: GraphQLNamedType; nodes: FieldNode[] }[] = [{ type: getNamedType(info.returnType), nodes: [...info.fieldNodes] }];
    for (const step of path) {
      level = level.flatMap(({ type, nodes }) => {
        if (!isObjectType(type)) return [];
        const definition = type.getFields()[step];
        if (!definition) return [];
        return subfieldsOf(info, type, nodes)
          .filter((field) => field.name === step)
          .map((field) => ({ type: getNamedType(definition.type), nodes: field.nodes }));
      });
    }
    for (const { type, nodes } of level) for (const field of subfieldsOf(info, type, nodes)) names.add(field.name);
  }
  return names;
}

function subfieldsOf(info: GraphQLResolveInfo, type: GraphQLNamedType, fieldNodes: FieldNode[]): SelectedField[] {
  if (!isObjectType(type)) return [];
  // @graphql-tools/utils takes graphql 17's variable shape and hands `coerced` to graphql 16.
  const variables = { coerced: info.variableValues, sources: {} };
  const { fields, patches } = collectSubFields(info.schema, info.fragments, variables, type, fieldNodes);
  const definitions = type.getFields();
  const selected: SelectedField[] = [];
  for (const [index, map] of [fields, ...patches.map((patch) => patch.fields)].entries()) {
    for (const nodes of map.values()) {
      const name = nodes[0]!.name.value;
      const definition = definitions[name];
      // __typename and other meta fields have no definition on the type.
      const args = definition ? getArgumentValues(definition, nodes[0]!, info.variableValues) : {};
      selected.push({ name, args, nodes, deferred: index > 0 });
    }
  }
  return selected;
}
