import type { ExecutionResult } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { SharedRedis } from '../shared-state/index.ts';

/**
 * Where cached results live. Every result carries tags (the assignments it shows, the
 * scope of a list or aggregate, its caller); invalidating a tag drops every result
 * carrying it. A lookup that misses returns a token of the store's invalidation state,
 * and a result is stored only if none of its tags was invalidated since: a query that
 * read before a write and finished after it can never put the old rows back.
 */
export interface CacheStore {
  /** `undefined` when the store cannot answer (Redis down): the caller bypasses the cache. */
  get(key: string): Promise<{ hit: ExecutionResult } | { miss: string } | undefined>;
  set(key: string, result: ExecutionResult, tags: readonly string[], ttlMs: number, since: string): Promise<void>;
  /** Drops every result carrying one of `tags`, on every replica sharing the store. */
  invalidate(tags: readonly string[]): Promise<void>;
}

/** Results larger than this are not worth a cache's memory (a full 100-row page with data is about 100 kB). */
export const MAX_CACHED_BYTES = 1_048_576;

/** One process's cache: least recently used results go first past `maxEntries`. */
export function createMemoryCacheStore(options: { maxEntries: number; markerTtlMs: number }): CacheStore {
  const byTag = new Map<string, Set<string>>();
  const entries = new LRUCache<string, { result: ExecutionResult; tags: readonly string[] }>({
    max: options.maxEntries,
    allowStale: false,
    dispose: (entry, key) => {
      for (const tag of entry.tags) {
        const keys = byTag.get(tag);
        keys?.delete(key);
        if (keys?.size === 0) byTag.delete(tag);
      }
    },
  });
  // Marker per tag: the sequence of its last invalidation, kept as long as an operation may run.
  const invalidated = new LRUCache<string, number>({ max: 100_000, ttl: options.markerTtlMs });
  let sequence = 0;
  return {
    async get(key) {
      const entry = entries.get(key);
      return entry ? { hit: entry.result } : { miss: String(sequence) };
    },
    async set(key, result, tags, ttlMs, since) {
      if (tags.some((tag) => (invalidated.get(tag) ?? -1) > Number(since))) return;
      entries.set(key, { result, tags }, { ttl: ttlMs });
      for (const tag of tags) {
        let keys = byTag.get(tag);
        if (!keys) byTag.set(tag, (keys = new Set()));
        keys.add(key);
      }
    },
    async invalidate(tags) {
      sequence++;
      for (const tag of tags) {
        invalidated.set(tag, sequence);
        for (const key of [...(byTag.get(tag) ?? [])]) entries.delete(key);
      }
    },
  };
}

/**
 * KEYS: result key (without generation), sequence, generation. A hit's value, or the
 * invalidation sequence and the generation at the time of the miss. Result keys end in
 * the generation: raising it (after invalidations were lost to an outage) drops them all.
 */
const GET = `
local generation = redis.call('GET', KEYS[3]) or '0'
local value = redis.call('GET', KEYS[1] .. ':' .. generation)
if value then return {1, value} end
return {0, (redis.call('GET', KEYS[2]) or '0') .. ':' .. generation}`;

/**
 * KEYS: result key (without generation), generation, then n tag sets, then n tag markers.
 * ARGV: value, ttl, since sequence, since generation, n, tag set ttl. Stores nothing if
 * a marker is newer than the miss or the generation moved. Tag sets expire with their
 * newest member's lifetime, so they never outgrow the results they index.
 */
const SET = `
local n = tonumber(ARGV[5])
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[4] then return 0 end
for i = 1, n do
  local marker = redis.call('GET', KEYS[2 + n + i])
  if marker and tonumber(marker) > tonumber(ARGV[3]) then return 0 end
end
local key = KEYS[1] .. ':' .. ARGV[4]
redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
for i = 1, n do
  redis.call('SADD', KEYS[2 + i], key)
  if redis.call('PTTL', KEYS[2 + i]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[2 + i], ARGV[6]) end
end
return 1`;

/** KEYS: sequence, then n tag sets, then n markers. ARGV: n, marker ttl. */
const INVALIDATE = `
local n = tonumber(ARGV[1])
local sequence = redis.call('INCR', KEYS[1])
for i = 1, n do
  local keys = redis.call('SMEMBERS', KEYS[1 + i])
  for j = 1, #keys, 1000 do
    redis.call('DEL', unpack(keys, j, math.min(j + 999, #keys)))
  end
  redis.call('DEL', KEYS[1 + i])
  redis.call('SET', KEYS[1 + n + i], sequence, 'PX', ARGV[2])
end
return sequence`;

/**
 * The cache every replica shares, in Redis (one node or Sentinel; the scripts touch
 * several keys, which Redis Cluster would refuse across slots). Any Redis failure is a
 * bypass, never an error: the query runs upstream as if nothing were cached. An
 * invalidation that fails (Redis down or unreachable from this replica) would leave
 * stale results for others to serve once Redis answers again, so the first thing done
 * after such an outage is to raise the generation, which drops every cached result.
 */
export function createRedisCacheStore(redis: SharedRedis, options: { prefix: string; markerTtlMs: number }): CacheStore {
  const prefix = `${options.prefix}cache:`;
  const sequenceKey = `${prefix}sequence`;
  const generationKey = `${prefix}generation`;
  const tagKeys = (tags: readonly string[]) => [...tags.map((tag) => `${prefix}tag:${tag}`), ...tags.map((tag) => `${prefix}marker:${tag}`)];
  let lostInvalidations = false;
  const flushIfNeeded = async () => {
    if (!lostInvalidations) return;
    const raised = await redis.attempt('cache flush', (command) => command.incr(generationKey));
    if (raised !== undefined) lostInvalidations = false;
  };
  redis.onStateChange((state) => {
    if (state === 'ok') void flushIfNeeded();
  });
  return {
    async get(key) {
      if (lostInvalidations) {
        await flushIfNeeded();
        if (lostInvalidations) return undefined;
      }
      const reply = (await redis.attempt('cache get', (command) => command.eval(GET, 3, prefix + key, sequenceKey, generationKey))) as
        | [number, string]
        | undefined;
      if (!reply) return undefined;
      const [found, value] = reply;
      if (found === 1) return { hit: JSON.parse(value) as ExecutionResult };
      return { miss: value };
    },
    async set(key, result, tags, ttlMs, since) {
      const value = JSON.stringify(result);
      if (value.length > MAX_CACHED_BYTES) return;
      const [sequence = '0', generation = '0'] = since.split(':');
      const keys = [prefix + key, generationKey, ...tagKeys(tags)];
      await redis.attempt('cache set', (command) =>
        command.eval(SET, keys.length, ...keys, value, String(ttlMs), sequence, generation, String(tags.length), String(ttlMs)),
      );
    },
    async invalidate(tags) {
      if (tags.length === 0) return;
      const keys = [sequenceKey, ...tagKeys(tags)];
      const done = await redis.attempt('cache invalidate', (command) =>
        command.eval(INVALIDATE, keys.length, ...keys, String(tags.length), String(options.markerTtlMs)),
      );
      if (done === undefined) lostInvalidations = true;
    },
  };
}
