import type { ExecutionResult } from 'graphql';
import { mapAsyncIterator } from 'graphql-yoga';

/** A single result, as opposed to a stream (subscriptions, @defer): plugins that add to results check it first. */
export function isExecutionResult(value: unknown): value is ExecutionResult {
  return typeof value === 'object' && value !== null && !(Symbol.asyncIterator in value);
}

/** One part of an answer in parts (@defer, @stream), in the 2022 format yoga's defer-stream plugin speaks on graphql 16. */
export interface IncrementalPart extends ExecutionResult {
  hasNext: boolean;
  incremental?: readonly (ExecutionResult & { path?: readonly (string | number)[]; items?: unknown[]; label?: string })[];
}

/**
 * The parts of an answer in parts, each through `map` (told whether it is the first); a
 * subscription's events (no `hasNext`) pass as they are.
 */
export function mapIncrementalParts(
  stream: AsyncIterable<ExecutionResult>,
  map: (part: IncrementalPart, first: boolean) => ExecutionResult,
): AsyncIterableIterator<ExecutionResult> {
  let first = true;
  return mapAsyncIterator(stream, (part) => {
    if (!('hasNext' in part)) return part;
    const mapped = map(part as IncrementalPart, first);
    first = false;
    return mapped;
  });
}
