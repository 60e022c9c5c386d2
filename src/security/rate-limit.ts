import { Kind, getOperationAST, type DocumentNode, type SelectionSetNode, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { GatewayContext } from '../context.ts';
import { gatewayError } from '../graphql/errors.ts';
import type { SharedRedis } from '../shared-state/index.ts';

/** Root fields that read every page of a scope, or write in bulk: always expensive. */
const ALWAYS_EXPENSIVE = new Set([
  'assignmentAnalytics',
  'assignmentQueue',
  'applyQualityReview',
  'tagAssignmentsByAssigneeTier',
  'runAssignmentAutomation',
  'reviewAssignments',
]);

/** `assignments` pages larger than this are expensive. */
const EXPENSIVE_PAGE_SIZE = 50;

/** `assignmentsByIds` with more ids than this is expensive. */
const EXPENSIVE_IDS = 100;

/** One caller's allowance after an operation counted against it. */
export interface CallerAllowance {
  granted: boolean;
  /** Expensive fields left in the current window. */
  remaining: number;
  /** Epoch ms at which the window ends and the whole allowance is back. */
  resetAt: number;
  /** When refused: seconds until the operation could be granted. */
  retryAfterSeconds: number;
}

/** Counts expensive fields per caller (by the caller hash, never the token) in windows of a minute. */
export type CallerLimiter = (callerKey: string, weight: number) => Promise<CallerAllowance>;

/**
 * `perMinute` expensive fields per caller per fixed minute (GitHub's model: a window,
 * what is left in it, when it resets), counted by rate-limiter-flexible. With Redis,
 * every replica counts in one place, so two replicas enforce one limit per caller, not
 * two; when Redis is down or slower than 500 ms, the in-memory insurance limiter
 * counts per process until it answers again. Windows expire with their keys, so
 * memory holds only callers active in the last minute.
 */
export function createCallerLimiter(
  perMinute: number,
  shared?: { redis?: SharedRedis | undefined; keyPrefix: string },
): CallerLimiter {
  const memory = new RateLimiterMemory({ points: perMinute, duration: 60, keyPrefix: 'expensive' });
  const limiter = shared?.redis
    ? new RateLimiterRedis({
        storeClient: shared.redis.command,
        points: perMinute,
        duration: 60,
        keyPrefix: `${shared.keyPrefix}rate:expensive`,
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      })
    : memory;
  return async (callerKey, weight) => {
    if (weight > perMinute) {
      // Never grantable: nothing is taken, and no wait would help.
      const state = await limiter.get(callerKey).catch(() => null);
      return {
        granted: false,
        remaining: state ? Math.max(0, perMinute - state.consumedPoints) : perMinute,
        resetAt: Date.now() + (state?.msBeforeNext ?? 0),
        retryAfterSeconds: 60,
      };
    }
    try {
      const result = await limiter.consume(callerKey, weight);
      return { granted: true, remaining: result.remainingPoints, resetAt: Date.now() + result.msBeforeNext, retryAfterSeconds: 0 };
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      return {
        granted: false,
        remaining: 0,
        resetAt: Date.now() + refusal.msBeforeNext,
        retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)),
      };
    }
  };
}

/**
 * Refuses, before execution, an operation with more expensive root fields than the
 * caller has left this minute (RATE_LIMITED, HTTP 429, `retryAfterSeconds`). Each
 * expensive root field weighs 1, so aliases do not multiply the allowance. Callers
 * without credentials are left to useRequireCredentials, which refuses them anyway.
 * An operation that counted, granted or refused, answers with `extensions.rateLimit =
 * { limit, remaining, resetAt }` (GitHub's model): the allowance per minute, what is
 * left after it, and when the window resets.
 */
export function useExpensiveOperationLimit(perMinute: number, limiter: CallerLimiter): Plugin<GatewayContext> {
  const rateLimitOf = (allowance: CallerAllowance) => ({
    limit: perMinute,
    remaining: allowance.remaining,
    resetAt: new Date(allowance.resetAt).toISOString(),
  });
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as GatewayContext;
      if (!context.credentials || context.callerKey === null) return;
      const weight = expensiveFieldCount(args.document, args.operationName, args.variableValues);
      if (weight === 0) return;
      const allowance = await limiter(context.callerKey, weight);
      if (allowance.granted) {
        return {
          onExecuteDone({ result, setResult }) {
            if (isAsyncIterable(result)) return;
            setResult({ ...result, extensions: { ...result.extensions, rateLimit: rateLimitOf(allowance) } });
          },
        };
      }
      const { retryAfterSeconds } = allowance;
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
        extensions: { rateLimit: rateLimitOf(allowance) },
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
