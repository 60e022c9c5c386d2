import { createHash } from 'node:crypto';
import { Kind, getOperationAST, type DocumentNode, type SelectionSetNode, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.ts';
import { gatewayError } from '../graphql/errors.ts';

/** Root fields that read every page of a scope, or write in bulk: always expensive. */
const ALWAYS_EXPENSIVE = new Set([
  'assignmentAnalytics',
  'assignmentQueue',
  'applyQualityReview',
  'tagAssignmentsByAssigneeTier',
  'runAssignmentAutomation',
]);

/** `assignments` pages larger than this are expensive. */
const EXPENSIVE_PAGE_SIZE = 50;

/** `assignmentsByIds` with more ids than this is expensive. */
const EXPENSIVE_IDS = 100;

/** Callers remembered at most; the least recently seen is forgotten first. */
const MAX_CALLERS = 10_000;

/**
 * One token bucket per caller: `perMinute` tokens at most, refilled continuously.
 * Callers are keyed by a hash of their token, so no raw token is kept.
 */
export class CallerBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = () => performance.now(),
    private readonly maxCallers = MAX_CALLERS,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes `weight` tokens; returns 0 when granted, else the seconds to wait before it would be. */
  take(caller: string, weight: number): number {
    const key = keyOf(caller);
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    // Re-inserted on every visit, so the Map's first key is the least recently seen.
    this.buckets.delete(key);
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxCallers) this.buckets.delete(this.buckets.keys().next().value!);
    if (weight > this.perMinute) return 60;
    if (bucket.tokens >= weight) {
      bucket.tokens -= weight;
      return 0;
    }
    return Math.max(1, Math.ceil((weight - bucket.tokens) / this.perMs / 1000));
  }

  /** What is left for a caller now (whole operations), and in how many ms the bucket is full again. */
  status(caller: string): { remaining: number; msUntilFull: number } {
    const bucket = this.buckets.get(keyOf(caller));
    const tokens = bucket ? Math.min(this.perMinute, bucket.tokens + (this.now() - bucket.at) * this.perMs) : this.perMinute;
    return { remaining: Math.floor(tokens), msUntilFull: Math.ceil((this.perMinute - tokens) / this.perMs) };
  }
}

function keyOf(caller: string): string {
  return createHash('sha256').update(caller).digest('base64url');
}

/**
 * Refuses, before execution, an operation with more expensive root fields than the
 * caller has left this minute (RATE_LIMITED, HTTP 429, `retryAfterSeconds`). Each
 * expensive root field weighs 1, so aliases do not multiply the allowance. Callers
 * without credentials are left to useRequireCredentials, which refuses them anyway.
 * An operation that counted, granted or refused, answers with `extensions.rateLimit =
 * { limit, remaining, resetAt }` (GitHub's model): the allowance per minute, what is
 * left after it, and when the allowance is whole again.
 */
export function useExpensiveOperationLimit(
  perMinute: number,
  now?: () => number,
  wallClock: () => number = Date.now,
): Plugin<GatewayContext> {
  const buckets = new CallerBuckets(perMinute, now);
  const rateLimitOf = (token: string) => {
    const { remaining, msUntilFull } = buckets.status(token);
    return { limit: perMinute, remaining, resetAt: new Date(wallClock() + msUntilFull).toISOString() };
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as GatewayContext;
      if (!context.credentials) return;
      const weight = expensiveFieldCount(args.document, args.operationName, args.variableValues);
      if (weight === 0) return;
      const token = context.credentials.token;
      const retryAfterSeconds = buckets.take(token, weight);
      if (retryAfterSeconds === 0) {
        return {
          onExecuteDone({ result, setResult }) {
            if (isAsyncIterable(result)) return;
            setResult({ ...result, extensions: { ...result.extensions, rateLimit: rateLimitOf(token) } });
          },
        };
      }
      setResultAndStopExecution({
        data: null,
        errors: [
          gatewayError(
            'RATE_LIMITED',
            weight > perMinute
              ? `This operation has ${weight} expensive fields; at most ${perMinute} are allowed per minute.`
              : `Too many expensive operations (at most ${perMinute} per minute per token); retry in ${retryAfterSeconds} s.`,
            { retryAfterSeconds, http: { status: 429, headers: { 'Retry-After': String(retryAfterSeconds) } } },
          ),
        ],
        extensions: { rateLimit: rateLimitOf(token) },
      });
      return undefined;
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/**
 * Expensive root fields of the operation to execute: analytics, the queue, workflow
 * mutations, `assignments` pages above EXPENSIVE_PAGE_SIZE and `assignmentsByIds`
 * above EXPENSIVE_IDS ids (values read from literals or variables).
 */
export function expensiveFieldCount(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const value = (node: ValueNode | undefined): unknown =>
    node === undefined ? undefined : node.kind === Kind.VARIABLE ? variables?.[node.name.value] : literal(node);
  let count = 0;
  const visit = (set: SelectionSetNode, seen: Set<string>): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seen);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) visit(fragment.selectionSet, new Set(seen).add(fragment.name.value));
      } else {
        const name = selection.name.value;
        const arg = (argName: string) => value(selection.arguments?.find((a) => a.name.value === argName)?.value);
        if (ALWAYS_EXPENSIVE.has(name)) count++;
        else if (name === 'assignments' && Math.max(asNumber(arg('first')), asNumber(arg('last'))) > EXPENSIVE_PAGE_SIZE) count++;
        else if (name === 'assignmentsByIds' && lengthOf(arg('ids')) > EXPENSIVE_IDS) count++;
      }
    }
  };
  visit(operation.selectionSet, new Set());
  return count;
}

function literal(node: ValueNode): unknown {
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.LIST) return node.values;
  return undefined;
}

function asNumber(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function lengthOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}
