import {
  Kind,
  getOperationAST,
  getNamedType,
  isCompositeType,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../graphql/connection.ts';
import { MAX_IDS_PER_QUERY } from '../graphql/resolvers/assignment.ts';
import { documentLimitError } from './limit-errors.ts';
import { isExecutionResult, mapIncrementalParts } from '../graphql/results.ts';

/** Weights of graphql-armor's cost-limit, so figures compare with its documentation. */
const COST_WEIGHTS = { objectCost: 2, scalarCost: 1, depthCostFactor: 1.5 } as const;

/** A list argument whose length is the number of rows a field returns, with its cap. */
const LIST_SIZE_ARGUMENTS: Readonly<Record<string, { argument: string; cap: number }>> = {
  'Query.assignmentsByIds': { argument: 'ids', cap: MAX_IDS_PER_QUERY },
};

export interface CostLimitOptions {
  maxCost: number;
  exposeLimits: boolean;
}

/**
 * Estimated cost of each operation, refused above `maxCost` during validation (so
 * before any upstream call). It is graphql-armor's formula (objects 2, scalars 1,
 * children weighted 1.5 per level, `first`/`last` multiply their subtree, fragments
 * flattened) with what armor leaves out: a `first`/`last` or an `ids` list given
 * by a variable counts at its cap (armor counts it as 1, an easy way around the
 * limit), and a connection field without `first`/`last` counts at its default page
 * size. Validation results are cached per document, so the estimate must not read
 * variable values: it is the worst case of every value the variables may take.
 */
export function costLimitRule(options: CostLimitOptions): (context: ValidationContext) => ASTVisitor {
  return function CostLimitRule(context) {
    return {
      OperationDefinition(operation) {
        const root = rootType(context.getSchema(), operation.operation);
        const estimate = new CostEstimate(context).selectionSet(operation.selectionSet, root);
        const cost = Math.ceil(Math.min(estimate, Number.MAX_SAFE_INTEGER));
        if (cost > options.maxCost) {
          context.reportError(documentLimitError('cost', { found: cost, max: options.maxCost }, options.exposeLimits, [operation]));
        }
      },
    };
  };
}

/**
 * Yoga plugin adding the cost rule to validation, and `extensions.cost = { estimated,
 * limit }` to every response, refusals included (GitHub and Shopify show the price of a
 * query the same way): the estimate of the operation the request names, 0 when no
 * document was read (an HTTP-level refusal, a parse error). Batched (array) responses
 * carry it on no item: one request, several operations, no way to tell them apart here.
 */
export function useCostLimit(options: CostLimitOptions): Plugin {
  const rule = costLimitRule(options);
  const estimates = new WeakMap<Request, number>();
  const perDocument = new WeakMap<DocumentNode, Map<string | null, number>>();
  return {
    onValidate({ addValidationRule, params, context }) {
      addValidationRule(rule);
      const { request, params: operation } = context as { request?: Request; params?: { operationName?: string | null } };
      if (!request) return;
      const name = operation?.operationName ?? null;
      let known = perDocument.get(params.documentAST);
      if (!known) perDocument.set(params.documentAST, (known = new Map()));
      let estimate = known.get(name);
      if (estimate === undefined) known.set(name, (estimate = estimateOperationCost(params.schema, params.documentAST, name)));
      estimates.set(request, estimate);
    },
    onResultProcess({ request, result, setResult }) {
      if (Array.isArray(result)) return;
      const cost = { estimated: estimates.get(request) ?? 0, limit: options.maxCost };
      // An answer in parts (@defer, @stream) was estimated whole: its first part says so.
      if (isAsyncIterable(result)) {
        setResult(mapIncrementalParts(result, (part, first) => (first ? { ...part, extensions: { ...part.extensions, cost } } : part)));
      } else if (isExecutionResult(result)) {
        setResult({ ...result, extensions: { ...result.extensions, cost } });
      }
    },
  };
}

/** The estimate of one operation of a document (0 when it names none that exists). */
function estimateOperationCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const estimate = new CostEstimate({ getSchema: () => schema, getFragment: (name) => fragments.get(name) ?? null });
  return Math.ceil(Math.min(estimate.selectionSet(operation.selectionSet, rootType(schema, operation.operation)), Number.MAX_SAFE_INTEGER));
}


function rootType(schema: GraphQLSchema, operation: 'query' | 'mutation' | 'subscription'): GraphQLCompositeType | undefined {
  return schema.getRootType(operation as never) ?? undefined;
}

class CostEstimate {
  /** Cost of each fragment's selection set, computed once; also breaks cycles. */
  private readonly fragments = new Map<string, number>();

  constructor(private readonly context: Pick<ValidationContext, 'getSchema' | 'getFragment'>) {}

  selectionSet(set: SelectionSetNode, parent: GraphQLCompositeType | undefined): number {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        cost += this.field(selection, parent);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? this.compositeType(selection.typeCondition.name.value) : parent;
        cost += this.selectionSet(selection.selectionSet, condition);
      } else {
        cost += this.fragment(this.context.getFragment(selection.name.value));
      }
    }
    return cost;
  }

  private fragment(fragment: FragmentDefinitionNode | null | undefined): number {
    if (!fragment) return 0;
    const name = fragment.name.value;
    const known = this.fragments.get(name);
    if (known !== undefined) return known;
    // A cycle costs nothing more here: NoFragmentCyclesRule refuses it anyway.
    this.fragments.set(name, 0);
    const cost = this.selectionSet(fragment.selectionSet, this.compositeType(fragment.typeCondition.name.value));
    this.fragments.set(name, cost);
    return cost;
  }

  private field(node: FieldNode, parent: GraphQLCompositeType | undefined): number {
    const name = node.name.value;
    if (!node.selectionSet) return COST_WEIGHTS.scalarCost;
    // Introspection has its own bound (graphql-js' MaxIntrospectionDepthRule), as in armor.
    if (name === '__schema') return 0;
    const definition = parent && 'getFields' in parent ? parent.getFields()[name] : undefined;
    const type = definition ? getNamedType(definition.type) : undefined;
    const children = this.selectionSet(node.selectionSet, type && isCompositeType(type) ? type : undefined);
    const coordinate = parent && definition ? `${parent.name}.${name}` : undefined;
    const hasPageArguments = definition?.args.some((arg) => arg.name === 'first' || arg.name === 'last') ?? false;
    return (COST_WEIGHTS.objectCost + COST_WEIGHTS.depthCostFactor * children) * this.multiplier(node, coordinate, hasPageArguments);
  }

  /** How many objects the field returns at most, as far as its arguments tell. */
  private multiplier(node: FieldNode, coordinate: string | undefined, hasPageArguments: boolean): number {
    const listArgument = coordinate ? LIST_SIZE_ARGUMENTS[coordinate] : undefined;
    if (listArgument) {
      const value = node.arguments?.find((arg) => arg.name.value === listArgument.argument)?.value;
      return Math.max(1, value ? (this.listLength(value) ?? listArgument.cap) : 1);
    }
    const page = node.arguments?.find((arg) => arg.name.value === 'first' || arg.name.value === 'last');
    if (page) {
      return Math.max(1, this.intValue(page.value) ?? MAX_PAGE_SIZE);
    }
    return hasPageArguments ? DEFAULT_PAGE_SIZE : 1;
  }

  /** An Int literal; undefined for a variable (known only at run time). Others are refused by validation. */
  private intValue(value: ValueNode): number | undefined {
    if (value.kind === Kind.INT) return Number(value.value);
    return value.kind === Kind.VARIABLE ? undefined : 1;
  }

  /** Length of a literal list; undefined for a variable (known only at run time). */
  private listLength(value: ValueNode): number | undefined {
    if (value.kind === Kind.LIST) return value.values.length;
    return value.kind === Kind.VARIABLE ? undefined : 1;
  }

  private compositeType(name: string): GraphQLCompositeType | undefined {
    const type = this.context.getSchema().getType(name);
    return type && isCompositeType(type) ? type : undefined;
  }
}
