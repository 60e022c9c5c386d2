import { LRUCache } from 'lru-cache';
import type { SharedRedis } from './redis.ts';

/**
 * What an idempotency key remembers of one assignment, encoded as one short string
 * (the same in memory and in Redis): `done:<review id>`, `writing:<until, epoch ms>`
 * while a request writes it, or `unknown:<since, epoch ms>` after a write whose answer
 * was lost (it may or may not have landed).
 */
export type KeyedWrite = { state: 'done'; reviewId: number } | { state: 'writing'; until: number } | { state: 'unknown'; since: number };

/** What a claim found for one assignment. */
export type Claim =
  /** This request writes it. `previous` says what was there: nothing, a lost answer, or a writer that never settled (crashed). */
  | { kind: 'claimed'; previous: 'none' | 'unknown' | 'abandoned'; since?: number }
  /** Written under this key before. */
  | { kind: 'done'; reviewId: number }
  /** Another request with this key is writing it right now. */
  | { kind: 'busy' };

/**
 * Idempotency keys of review writes. A key belongs to one caller and one decision
 * (`fingerprint`): the caller's hash is part of the scope, so two callers' equal keys
 * never meet. Claims are atomic, so two requests with one key never both write an
 * assignment's review.
 */
export interface IdempotencyStore {
  /** Binds the key to the fingerprint (or finds it bound to another: `mismatch`) and claims every assignment not done. */
  claim(scope: string, fingerprint: string, assignmentIds: readonly number[], times: ClaimTimes): Promise<Map<number, Claim> | 'mismatch'>;
  /** What the key holds, claiming nothing (a preview). */
  peek(scope: string, fingerprint: string, assignmentIds: readonly number[]): Promise<Map<number, KeyedWrite> | 'mismatch'>;
  /** Records how claimed writes ended; null releases a claim whose write surely did not happen. */
  settle(scope: string, outcomes: ReadonlyMap<number, KeyedWrite | null>, ttlMs: number): Promise<void>;
}

export interface ClaimTimes {
  /** Epoch ms. */
  now: number;
  /** How long a claim holds before it counts as abandoned (the writer's operation deadline). */
  writingMs: number;
  /** How long the key is remembered. */
  ttlMs: number;
}

/** One key's record: its fingerprint and the encoded state per assignment. */
interface KeyRecord {
  fingerprint: string;
  writes: Map<number, string>;
}

/** Keys one process remembers at most (least recently used go first). */
const MAX_KEYS = 100_000;

/** Keys remembered by this process alone: what a gateway without Redis (or with Redis down) uses. */
export function createMemoryIdempotencyStore(): IdempotencyStore {
  const keys = new LRUCache<string, KeyRecord>({ max: MAX_KEYS });
  return {
    async claim(scope, fingerprint, assignmentIds, times) {
      const record = keys.get(scope) ?? { fingerprint, writes: new Map() };
      if (record.fingerprint !== fingerprint) return 'mismatch';
      const claims = new Map<number, Claim>();
      for (const id of assignmentIds) {
        const claim = claimOne(record.writes.get(id), times.now);
        if (claim.kind === 'claimed') record.writes.set(id, encode({ state: 'writing', until: times.now + times.writingMs }));
        claims.set(id, claim);
      }
      keys.set(scope, record, { ttl: times.ttlMs });
      return claims;
    },
    async peek(scope, fingerprint, assignmentIds) {
      const record = keys.get(scope);
      if (record && record.fingerprint !== fingerprint) return 'mismatch';
      return decodeAll(assignmentIds, (id) => record?.writes.get(id));
    },
    async settle(scope, outcomes, ttlMs) {
      const record = keys.get(scope);
      if (!record) return;
      for (const [id, outcome] of outcomes) {
        if (outcome === null) record.writes.delete(id);
        else record.writes.set(id, encode(outcome));
      }
      keys.set(scope, record, { ttl: ttlMs });
    },
  };
}

/**
 * KEYS: the key's hash. ARGV: fingerprint, now, writing-until, ttl, then the ids.
 * `mismatch` when the key is bound to another fingerprint; else one entry per id: the
 * done state, `busy`, or `claimed:<what was there>`. The same decisions as claimOne.
 */
const CLAIM = `
local bound = redis.call('HGET', KEYS[1], 'fingerprint')
if bound and bound ~= ARGV[1] then return 'mismatch' end
if not bound then redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1]) end
local out = {}
for i = 5, #ARGV do
  local field = 'a:' .. ARGV[i]
  local value = redis.call('HGET', KEYS[1], field)
  if value and string.sub(value, 1, 5) == 'done:' then
    out[#out + 1] = value
  elseif value and string.sub(value, 1, 8) == 'writing:' and tonumber(string.sub(value, 9)) > tonumber(ARGV[2]) then
    out[#out + 1] = 'busy'
  else
    redis.call('HSET', KEYS[1], field, 'writing:' .. ARGV[3])
    out[#out + 1] = 'claimed:' .. (value or '')
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return out`;

/**
 * Keys every replica shares, in one Redis hash per (caller, key). Redis is a help, never
 * a dependency: while it does not answer, this process's own memory stands in (so a
 * retry reaching another replica during an outage is not recognized: documented).
 */
export function createRedisIdempotencyStore(redis: SharedRedis, options: { prefix: string }): IdempotencyStore {
  const local = createMemoryIdempotencyStore();
  const key = (scope: string) => `${options.prefix}review-key:${scope}`;
  return {
    async claim(scope, fingerprint, assignmentIds, times) {
      const reply = (await redis.attempt('idempotency claim', (command) =>
        command.eval(CLAIM, 1, key(scope), fingerprint, String(times.now), String(times.now + times.writingMs), String(times.ttlMs), ...assignmentIds.map(String)),
      )) as string | string[] | undefined;
      if (reply === undefined) return local.claim(scope, fingerprint, assignmentIds, times);
      if (reply === 'mismatch') return 'mismatch';
      return new Map(
        assignmentIds.map((id, i) => {
          const value = (reply as string[])[i]!;
          if (value === 'busy') return [id, { kind: 'busy' }];
          if (value.startsWith('claimed:')) return [id, claimOne(value.slice('claimed:'.length) || undefined, times.now)];
          return [id, claimOne(value, times.now)];
        }),
      );
    },
    async peek(scope, fingerprint, assignmentIds) {
      const fields = (await redis.attempt('idempotency peek', (command) => command.hgetall(key(scope)))) as Record<string, string> | undefined;
      if (fields === undefined) return local.peek(scope, fingerprint, assignmentIds);
      if (fields['fingerprint'] !== undefined && fields['fingerprint'] !== fingerprint) return 'mismatch';
      return decodeAll(assignmentIds, (id) => fields[`a:${id}`]);
    },
    async settle(scope, outcomes, ttlMs) {
      const done = await redis.attempt('idempotency settle', (command) => {
        const batch = command.multi();
        for (const [id, outcome] of outcomes) {
          if (outcome === null) batch.hdel(key(scope), `a:${id}`);
          else batch.hset(key(scope), `a:${id}`, encode(outcome));
        }
        return batch.pexpire(key(scope), ttlMs).exec();
      });
      if (done === undefined) await local.settle(scope, outcomes, ttlMs);
    },
  };
}

/** What a claim finds in one stored value (undefined: nothing stored). */
function claimOne(stored: string | undefined, now: number): Claim {
  const write = stored === undefined ? undefined : decode(stored);
  if (write === undefined) return { kind: 'claimed', previous: 'none' };
  if (write.state === 'done') return { kind: 'done', reviewId: write.reviewId };
  if (write.state === 'unknown') return { kind: 'claimed', previous: 'unknown', since: write.since };
  // A claim past its time: its writer's operation is over without settling (its replica died).
  return write.until > now ? { kind: 'busy' } : { kind: 'claimed', previous: 'abandoned', since: write.until };
}

function encode(write: KeyedWrite): string {
  if (write.state === 'done') return `done:${write.reviewId}`;
  return write.state === 'writing' ? `writing:${write.until}` : `unknown:${write.since}`;
}

function decode(stored: string): KeyedWrite | undefined {
  const [state, value] = stored.split(':');
  const number = Number(value);
  if (!Number.isSafeInteger(number)) return undefined;
  if (state === 'done') return { state, reviewId: number };
  if (state === 'writing') return { state, until: number };
  if (state === 'unknown') return { state, since: number };
  return undefined;
}

function decodeAll(ids: readonly number[], read: (id: number) => string | undefined): Map<number, KeyedWrite> {
  const found = new Map<number, KeyedWrite>();
  for (const id of ids) {
    const stored = read(id);
    const write = stored === undefined ? undefined : decode(stored);
    if (write) found.set(id, write);
  }
  return found;
}
