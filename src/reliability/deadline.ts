import { setMaxListeners } from 'node:events';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/** Reason of the abort at release; one shared value, since a DOMException per request costs a stack capture. */
const FINISHED = new DOMException('operation finished', 'AbortError');

/** Listeners one deadline may have: the calls in flight (at most SYNAPSE_CONCURRENCY, 64) and their backoff sleeps. */
const MAX_LISTENERS = 256;

/** The overall time budget of one GraphQL operation, as a signal every upstream call inherits. */
export interface Deadline {
  /** Aborts when the deadline passes (reason: a TimeoutError) or the client goes away. */
  signal: AbortSignal;
  /** `performance.now()` value at which the deadline passes. */
  expiresAt: number;
}

/**
 * Deadlines of the operations in flight, one per HTTP request. Each is an
 * AbortController with one timer, cleared when the response goes out (not left to
 * fire 30 s later), and one listener on the request's signal, removed the same way.
 * Releasing also aborts the signal, so an upstream call still running when the
 * answer is ready (a sibling of a field that failed) is cancelled: no call outlives
 * its operation, and nothing outlives its request, whatever the request rate.
 */
export class OperationDeadlines {
  private readonly active = new WeakMap<Request, { deadline: Deadline; dispose: () => void }>();

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The request's deadline, counted from `startedAt` (when the request arrived). */
  for(request: Request, startedAt: number = this.now()): Deadline {
    const existing = this.active.get(request);
    if (existing) return existing.deadline;
    const controller = new AbortController();
    // Every upstream call in flight listens to it (and stops when it ends): dozens at
    // once are no leak, and Node's warning (a stack trace and a stderr line) would
    // otherwise be written for every operation that makes more than ten calls.
    setMaxListeners(MAX_LISTENERS, controller.signal);
    const expiresAt = startedAt + this.timeoutMs;
    const expire = () => {
      controller.abort(new DOMException(`operation deadline of ${this.timeoutMs} ms exceeded`, 'TimeoutError'));
    };
    const cancel = () => controller.abort(request.signal.reason);
    const timer = setTimeout(expire, Math.max(0, expiresAt - this.now()));
    timer.unref?.();
    if (request.signal.aborted) cancel();
    else request.signal.addEventListener('abort', cancel, { once: true });
    const deadline = { signal: controller.signal, expiresAt };
    this.active.set(request, {
      deadline,
      dispose: () => {
        clearTimeout(timer);
        request.signal.removeEventListener('abort', cancel);
        if (!controller.signal.aborted) controller.abort(FINISHED);
      },
    });
    return deadline;
  }

  /** Clears the request's timer and listener and cancels upstream calls still running. */
  release(request: Request): void {
    this.active.get(request)?.dispose();
    this.active.delete(request);
  }

  /**
   * Yoga plugin that releases each request's deadline once its response is ready, or, for
   * an answer in parts (@defer, @stream), once its last part is sent or its client goes:
   * deferred fields still call upstream after the response began, within the same deadline.
   */
  plugin(): Plugin {
    const streaming = new WeakSet<Request>();
    return {
      onExecute: ({ args }) => ({
        onExecuteDone: ({ result }) => {
          const { request } = args.contextValue as { request?: Request };
          if (!request || !isAsyncIterable(result)) return undefined;
          streaming.add(request);
          return { onEnd: () => this.release(request) };
        },
      }),
      onResponse: ({ request }) => {
        if (!streaming.has(request)) this.release(request);
      },
    };
  }
}
