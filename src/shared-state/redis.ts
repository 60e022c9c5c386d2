import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger.ts';

/** What `/ready` and the logs say about Redis. */
export type RedisState = 'ok' | 'degraded';

/**
 * One replica's connections to the Redis every replica shares. Redis is a help, never
 * a dependency: every use goes through `attempt`, which answers `undefined` instead of
 * throwing when Redis is down or slow, so each caller falls back to what one process
 * can do alone (bypass the cache, count limits locally, poll without a lease). One
 * warning is logged per outage, and one line when it ends.
 */
export interface SharedRedis {
  /** Commands. Never queued while disconnected: a command fails at once instead. */
  readonly command: Redis;
  /** Pub/sub only (a connection in subscriber mode can run nothing else); resubscribes after a reconnect. */
  readonly subscriber: Redis;
  readonly state: RedisState;
  /** Runs `operation`; on any Redis error or timeout, reports it and answers undefined. */
  attempt<T>(what: string, operation: (redis: Redis) => Promise<T>): Promise<T | undefined>;
  /** Notified on every state change (ok ↔ degraded). */
  onStateChange(listener: (state: RedisState) => void): () => void;
  close(): Promise<void>;
}

/** A command slower than this counts as Redis being unavailable: requests must not wait on it. */
const COMMAND_TIMEOUT_MS = 500;

const BASE_OPTIONS: RedisOptions = {
  connectTimeout: 1_000,
  commandTimeout: COMMAND_TIMEOUT_MS,
  maxRetriesPerRequest: 0,
  // Reconnects forever, backing off to one attempt every 2 s.
  retryStrategy: (times) => Math.min(100 * times, 2_000),
  // ioredis would print every connection error; the state machine below logs once per outage.
  showFriendlyErrorStack: false,
};

/** Connects both connections (in the background: the gateway serves, degraded, until Redis answers). */
export function connectRedis(url: string, logger: Logger): SharedRedis {
  const command = new Redis(url, { ...BASE_OPTIONS, enableOfflineQueue: false, connectionName: 'synapse-gateway' });
  // Queued while disconnected, so SUBSCRIBE calls made during an outage happen on reconnect.
  const subscriber = new Redis(url, { ...BASE_OPTIONS, commandTimeout: undefined, enableOfflineQueue: true, autoResubscribe: true });
  const listeners = new Set<(state: RedisState) => void>();
  const log = logger.child({ component: 'redis' });
  let state: RedisState = 'degraded';
  let outageSince: number | undefined = performance.now();
  let connectedOnce = false;
  let warned = false;
  let closed = false;

  const warnOnce = (reason: string) => {
    if (warned || closed) return;
    warned = true;
    log.warn({ reason }, 'redis unavailable: cache bypassed, limits per process, live updates within this replica');
  };
  const setState = (next: RedisState, reason: string) => {
    if (next === state || closed) return;
    state = next;
    if (next === 'degraded') {
      outageSince = performance.now();
      warnOnce(reason);
    } else {
      const downMs = outageSince === undefined ? undefined : Math.round(performance.now() - outageSince);
      log.info({ downMs }, connectedOnce ? 'redis available again: shared cache, limits and live updates resumed' : 'redis connected');
      connectedOnce = true;
      outageSince = undefined;
      warned = false;
    }
    for (const listener of listeners) listener(next);
  };
  // Errors are reported once per outage through the state; without a listener ioredis would print each one.
  subscriber.on('error', () => {});
  command.on('error', (error: Error) => {
    if (state === 'degraded') warnOnce(error.message);
  });
  command.on('ready', () => setState('ok', 'connected'));
  command.on('close', () => setState('degraded', 'connection closed'));

  return {
    command,
    subscriber,
    get state() {
      return state;
    },
    async attempt(what, operation) {
      if (command.status !== 'ready') return undefined;
      try {
        return await operation(command);
      } catch (error) {
        setState('degraded', `${what}: ${error instanceof Error ? error.message : String(error)}`);
        // A timed-out command leaves the connection up; the next success restores the state.
        if (command.status === 'ready') setTimeout(() => void probe(), 1_000).unref();
        return undefined;
      }
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      await Promise.allSettled([command.quit(), subscriber.quit()]);
      command.disconnect();
      subscriber.disconnect();
    },
  };

  async function probe(): Promise<void> {
    if (closed || state === 'ok') return;
    try {
      await command.ping();
      setState('ok', 'answering again');
    } catch {
      if (command.status === 'ready') setTimeout(() => void probe(), 1_000).unref();
      return;
    }
  }
}
