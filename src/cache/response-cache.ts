import { useResponseCache, type Cache, type CacheEntityRecord } from '@envelop/response-cache';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GatewayContext, WriteChange } from '../context.ts';
import type { CacheStore } from './stores.ts';

/** Tags of what a write touched: its assignments, the scopes (lists, aggregates) they belong to, and changed tag lists. */
export function writeTags(change: WriteChange): string[] {
  return [
    ...new Set([
      ...change.assignmentIds.map((id) => `Assignment:${id}`),
      ...change.projectIds.map((id) => scopeTag(id)),
      ...(change.tagListProjectIds ?? []).map((id) => tagListTag(id)),
      scopeTag(undefined),
    ]),
  ];
}

/** Tag of a result that shows tags of a project (`tags`, any `Assignment.tags` or `Review.tags` there). */
export function tagListTag(projectId: number): string {
  return `Tags:project:${projectId}`;
}

/**
 * Tag of a list or aggregate over a project (or over every project the caller sees):
 * any write in that project changes what it would say, whether or not the changed
 * assignment was among the rows shown (membership and order may change).
 */
export function scopeTag(projectId: number | undefined): string {
  return projectId === undefined ? 'Scope:all' : `Scope:project:${projectId}`;
}

/** Tag of everything cached for one caller: dropped when the upstream refuses that caller's token. */
export function callerTag(callerKey: string): string {
  return `Caller:${callerKey}`;
}

export interface ResponseCache {
  plugin: Plugin;
  invalidate(tags: readonly string[]): Promise<void>;
}

/**
 * The per-caller response cache: envelop's response-cache plugin decides what is
 * cacheable, keys results by document, variables and caller (a hash of token and
 * tenant, never the token), and collects the `Assignment` ids a result shows; the
 * store adds the result's scope and caller tags and shares it all through Redis when
 * configured. Only queries of callers with credentials and without errors are cached.
 * Writes invalidate through the write executor (every touched id and scope), not
 * through the mutation's selection, which may not show every assignment it changed.
 */
export function createResponseCache(options: { store: CacheStore; ttlMs: number }): ResponseCache {
  const { store, ttlMs } = options;
  const plugin = useResponseCache({
    ttl: ttlMs,
    session: (context) => (context as GatewayContext).callerKey,
    enabled: (context) => (context as GatewayContext).callerKey !== null,
    cache: (context) => requestCache(store, context as GatewayContext),
    includeExtensionMetadata: true,
    shouldCacheResult: ({ result }) => !result.errors?.length,
  }) as Plugin;
  return { plugin, invalidate: (tags) => store.invalidate(tags) };
}

/** The store as one request sees it: remembers its miss, tags what it stores. */
function requestCache(store: CacheStore, context: GatewayContext): Cache {
  let since: string | undefined;
  return {
    async get(key) {
      const found = await store.get(key);
      if (found === undefined) {
        // Redis is unavailable: this request neither reads nor writes the cache.
        since = undefined;
        return undefined;
      }
      if ('hit' in found) return found.hit;
      since = found.miss;
      return undefined;
    },
    async set(key: string, result: ExecutionResult, entities: Iterable<CacheEntityRecord>, ttl: number) {
      if (since === undefined || context.callerKey === null) return;
      const tags = new Set<string>(context.cacheTags);
      for (const entity of entities) if (entity.id !== undefined) tags.add(`${entity.typename}:${entity.id}`);
      tags.add(callerTag(context.callerKey));
      await store.set(key, result, [...tags], ttl, since);
    },
    // Mutations' own selections are not what invalidates (see createResponseCache).
    invalidate() {},
  };
}
