import { keepAliveFetch, type FetchFn } from '../../src/upstream/transport.ts';

/** A gateway's upstream, with a gate a test closes to hold some calls back: it sees what is answered before they are served. */
export interface UpstreamGate {
  /** Give it to the gateway as `deps.fetch`. */
  fetch: FetchFn;
  /** From now on, calls `matches` picks wait until `open()`. */
  close(): void;
  /** Lets every held call go, and holds no more. */
  open(): void;
  /** URLs of the calls held since the gate was closed, in order. */
  readonly held: readonly string[];
  /** Waits until `count` calls are held, failing after `timeoutMs`. */
  holding(count: number, timeoutMs?: number): Promise<void>;
}

/** A gate over node-fetch to the real upstream (the embedded backend), open at first. */
export function upstreamGate(matches: (url: URL) => boolean): UpstreamGate {
  let waiting: (() => void)[] | undefined;
  const held: string[] = [];
  const heldChanged = new Set<() => void>();
  return {
    async fetch(url, init) {
      if (waiting && matches(new URL(url))) {
        held.push(url);
        for (const wake of [...heldChanged]) wake();
        const queue = waiting;
        await new Promise<void>((resolve) => queue.push(resolve));
      }
      return keepAliveFetch(url, init);
    },
    close() {
      waiting = [];
      held.length = 0;
    },
    open() {
      const queue = waiting ?? [];
      waiting = undefined;
      for (const release of queue) release();
    },
    held,
    holding(count, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (held.length < count) return;
          heldChanged.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          heldChanged.delete(check);
          reject(new Error(`upstream gate: ${held.length} of ${count} calls held after ${timeoutMs} ms`));
        }, timeoutMs);
        heldChanged.add(check);
        check();
      });
    },
  };
}
