import type { ExecutionResult } from 'graphql';

/** A single result, as opposed to a stream (subscriptions, @defer): plugins that add to results check it first. */
export function isExecutionResult(value: unknown): value is ExecutionResult {
  return typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);
}
