import type { SharedRedis } from './redis.ts';

/**
 * Which replica does a shared job (one poller per caller and filter), plus the small
 * values that job hands on to its next holder (the poll cursor).
 */
export interface Leases {
  /**
   * Takes the lease or renews it; true means "this replica does the job now". When no
   * one can say (Redis down), the answer is true: a job done twice is the fallback,
   * never a job not done.
   */
  hold(name: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if this replica holds it, so another can take it at once. */
  release(name: string): Promise<void>;
  /** A value shared by the holders of a lease over time; undefined when none was stored (or Redis is down). */
  read(name: string): Promise<string | undefined>;
  write(name: string, value: string, ttlMs: number): Promise<void>;
}

/** A gateway running alone holds every lease. */
export function createMemoryLeases(): Leases {
  const values = new Map<string, { value: string; expiresAt: number }>();
  return {
    hold: async () => true,
    release: async () => {},
    async read(name) {
      const entry = values.get(name);
      if (!entry || entry.expiresAt <= performance.now()) {
        values.delete(name);
        return undefined;
      }
      return entry.value;
    },
    async write(name, value, ttlMs) {
      values.set(name, { value, expiresAt: performance.now() + ttlMs });
    },
  };
}

/** Renews the lease if held, takes it if free: one atomic step, so two replicas never both hold it. */
const HOLD = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Leases in Redis: a key holding the replica id, expiring unless renewed (the holder dying frees it). */
export function createRedisLeases(redis: SharedRedis, options: { prefix: string; replicaId: string }): Leases {
  const key = (name: string) => `${options.prefix}lease:${name}`;
  const valueKey = (name: string) => `${options.prefix}value:${name}`;
  return {
    async hold(name, ttlMs) {
      const held = await redis.attempt('lease', (command) => command.eval(HOLD, 1, key(name), options.replicaId, String(ttlMs)));
      return held === undefined ? true : held === 1;
    },
    async release(name) {
      await redis.attempt('lease release', (command) => command.eval(RELEASE, 1, key(name), options.replicaId));
    },
    async read(name) {
      const value = await redis.attempt('lease value', (command) => command.get(valueKey(name)));
      return value ?? undefined;
    },
    async write(name, value, ttlMs) {
      await redis.attempt('lease value', (command) => command.set(valueKey(name), value, 'PX', ttlMs));
    },
  };
}
