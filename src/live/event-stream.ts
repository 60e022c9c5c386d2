/**
 * A push-fed async iterable for one subscriber: events queue until the transport
 * (SSE or WebSocket) pulls them. The queue is bounded: a consumer that stops reading
 * is ended with an error rather than growing the process without limit.
 */
export interface EventStream<T> extends AsyncIterableIterator<T> {
  /** Queues an event; false once the stream has ended (or just ended because the queue overflowed). */
  push(event: T): boolean;
  /** Queues a last event and ends the stream after it. */
  finish(last?: T): void;
  /** True once the stream has ended, by either side. */
  readonly ended: boolean;
}

export function createEventStream<T>(options: {
  maxQueued: number;
  /** The event that ends an overflowing stream (an error the subscriber sees). */
  overflow: () => T;
  /** Called once when the stream ends, whoever ends it (consumer gone, finish, overflow). */
  onEnd: () => void;
}): EventStream<T> {
  const queue: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let ended = false;
  let closing = false;

  const end = () => {
    if (ended) return;
    ended = true;
    options.onEnd();
  };
  const settleWaiter = () => {
    if (!waiting) return;
    const resolve = waiting;
    if (queue.length > 0) {
      waiting = undefined;
      resolve({ done: false, value: queue.shift()! });
    } else if (closing) {
      waiting = undefined;
      resolve({ done: true, value: undefined });
    }
  };

  const stream: EventStream<T> = {
    push(event) {
      if (closing) return false;
      if (queue.length >= options.maxQueued) {
        stream.finish(options.overflow());
        return false;
      }
      queue.push(event);
      settleWaiter();
      return true;
    },
    finish(last) {
      if (closing) return;
      if (last !== undefined) queue.push(last);
      closing = true;
      end();
      settleWaiter();
    },
    get ended() {
      return ended;
    },
    next() {
      if (queue.length > 0) return Promise.resolve({ done: false, value: queue.shift()! });
      if (closing) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return() {
      // The consumer went away (client disconnected, or the transport completed).
      queue.length = 0;
      closing = true;
      end();
      settleWaiter();
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
