import { randomUUID } from 'node:crypto';
import type { SharedStateConfig } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { createMemoryBus, createRedisBus, type Bus } from './bus.ts';
import { createMemoryIdempotencyStore, createRedisIdempotencyStore, type IdempotencyStore } from './idempotency.ts';
import { createMemoryLeases, createRedisLeases, type Leases } from './leases.ts';
import { connectRedis, type RedisState, type SharedRedis } from './redis.ts';

export type { Bus } from './bus.ts';
export type { Claim, IdempotencyStore, KeyedWrite } from './idempotency.ts';
export type { Leases } from './leases.ts';
export type { RedisState, SharedRedis } from './redis.ts';

/** What one replica shares with the others: through Redis when REDIS_URL is set, else within itself. */
export interface SharedState {
  /** Unique per process: tells this replica's messages and leases from its peers'. */
  readonly replicaId: string;
  readonly keyPrefix: string;
  /** Undefined when REDIS_URL is unset. */
  readonly redis: SharedRedis | undefined;
  readonly bus: Bus;
  readonly leases: Leases;
  /** Review idempotency keys, per caller. */
  readonly idempotency: IdempotencyStore;
  /** `off` without Redis; `degraded` while Redis is unavailable (the gateway still answers). */
  status(): 'off' | RedisState;
  close(): Promise<void>;
}

export function createSharedState(config: SharedStateConfig, logger: Logger): SharedState {
  const replicaId = randomUUID();
  const keyPrefix = config.keyPrefix;
  if (config.redisUrl === undefined) {
    return {
      replicaId,
      keyPrefix,
      redis: undefined,
      bus: createMemoryBus(),
      leases: createMemoryLeases(),
      idempotency: createMemoryIdempotencyStore(),
      status: () => 'off',
      close: async () => {},
    };
  }
  const redis = connectRedis(config.redisUrl, logger);
  return {
    replicaId,
    keyPrefix,
    redis,
    bus: createRedisBus(redis, { prefix: keyPrefix, replicaId }),
    leases: createRedisLeases(redis, { prefix: keyPrefix, replicaId }),
    idempotency: createRedisIdempotencyStore(redis, { prefix: keyPrefix }),
    status: () => redis.state,
    close: () => redis.close(),
  };
}
