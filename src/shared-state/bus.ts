import type { SharedRedis } from './redis.ts';

/** Messages between the replicas of one gateway: JSON values on named channels. */
export interface Bus {
  /** Delivers to this replica's handlers at once and to every other replica through Redis, if any. */
  publish(channel: string, message: unknown): void;
  /** Handles every message on `channel`, from any replica; returns the unsubscribe function. */
  subscribe(channel: string, handler: (message: unknown) => void): () => void;
}

/** The local half of every bus: handlers by channel. */
class LocalChannels {
  private readonly handlers = new Map<string, Set<(message: unknown) => void>>();

  add(channel: string, handler: (message: unknown) => void): { first: boolean; remove: () => boolean } {
    let set = this.handlers.get(channel);
    const first = set === undefined;
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    return {
      first,
      remove: () => {
        set.delete(handler);
        if (set.size > 0 || this.handlers.get(channel) !== set) return false;
        this.handlers.delete(channel);
        return true;
      },
    };
  }

  deliver(channel: string, message: unknown): void {
    const set = this.handlers.get(channel);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(message);
      } catch (error) {
        // One failing handler must not keep the message from the others.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

/** The bus of a gateway running alone: this process only. */
export function createMemoryBus(): Bus {
  const local = new LocalChannels();
  return {
    publish: (channel, message) => queueMicrotask(() => local.deliver(channel, message)),
    subscribe: (channel, handler) => local.add(channel, handler).remove,
  };
}

interface Envelope {
  /** The replica that published: it delivered locally already and skips its own echo. */
  origin: string;
  message: unknown;
}

/**
 * A bus over Redis pub/sub. Local delivery never waits for Redis, so with Redis down
 * a replica still serves its own subscribers; what other replicas miss meanwhile, their
 * pollers find (see src/live/). `@graphql-yoga/redis-event-target` was not used: it
 * delivers even same-replica events only through Redis, so an outage would silence
 * every subscriber, and it cannot tell a replica's own messages from its peers'.
 */
export function createRedisBus(redis: SharedRedis, options: { prefix: string; replicaId: string }): Bus {
  const local = new LocalChannels();
  const channelPrefix = `${options.prefix}bus:`;
  redis.subscriber.on('message', (fullChannel: string, text: string) => {
    if (!fullChannel.startsWith(channelPrefix)) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      return;
    }
    if (envelope.origin === options.replicaId) return;
    local.deliver(fullChannel.slice(channelPrefix.length), envelope.message);
  });
  return {
    publish(channel, message) {
      queueMicrotask(() => local.deliver(channel, message));
      const envelope: Envelope = { origin: options.replicaId, message };
      void redis.attempt('publish', (command) => command.publish(channelPrefix + channel, JSON.stringify(envelope)));
    },
    subscribe(channel, handler) {
      const entry = local.add(channel, handler);
      // Errors here only mean "not yet": the subscriber connection queues and resubscribes.
      if (entry.first) redis.subscriber.subscribe(channelPrefix + channel).catch(() => {});
      return () => {
        if (entry.remove()) redis.subscriber.unsubscribe(channelPrefix + channel).catch(() => {});
      };
    },
  };
}
