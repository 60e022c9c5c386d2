import { createHash } from 'node:crypto';
import { Instant, type WireAssignment, type WireAssignmentFilter } from '../contract/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { SharedState } from '../shared-state/index.ts';
import { epochMicros } from '../workflows/timestamps.ts';
import type { Credentials, SynapseClient } from '../upstream/client.ts';
import { UpstreamError, type UpstreamErrorCode } from '../upstream/errors.ts';
import { createEventStream, type EventStream } from './event-stream.ts';

/** The codes a stream ends with: an upstream refusal, too many subscriptions, or a fault of ours. */
export type LiveEndCode = UpstreamErrorCode | 'RATE_LIMITED' | 'INTERNAL_SERVER_ERROR';

/**
 * Why a subscriber's stream ends, as its last event. The GraphQL layer turns it into
 * the error the subscriber receives (`extensions.code` is `code`, plus `extensions`).
 */
export class LiveEnd {
  constructor(
    readonly code: LiveEndCode,
    readonly message: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {}
}

/** What a subscriber receives: a changed assignment, or why its stream ends. */
export type LiveEvent = WireAssignment | LiveEnd;

/** What a write through the gateway touched: enough to know whose views may have changed. */
export interface AssignmentChange {
  assignmentIds: readonly number[];
  projectIds: readonly number[];
}

export interface LiveUpdatesOptions {
  shared: SharedState;
  /** A client for a caller's own credentials, without any operation's deadline. */
  clientFor(credentials: Credentials): SynapseClient;
  /** Hash of a caller's credentials (never the token itself): keys, leases and channels use it. */
  callerKey(credentials: Credentials): string;
  pollMs: number;
  leaseMs: number;
  maxPerToken: number;
  maxTotal: number;
  /** Rows asked per page of a poll. */
  pageSize: number;
  logger: Logger;
  /** Runs a poll's reads in a span of their own, when tracing is on. */
  tracePoll?: (<T>(poll: () => Promise<T>) => Promise<T>) | undefined;
}

/** Undelivered events one subscriber may have queued before it is ended as too slow. */
const MAX_QUEUED_EVENTS = 1_000;
/** Pages one poll reads at most; the rest waits for the next poll (the cursor moved). */
const MAX_PAGES_PER_POLL = 10;
/** Delivered (id, updatedAt) pairs a group remembers, to send each change once. */
const MAX_REMEMBERED = 10_000;

/** What travels for a write: the projects it touched (the pollers re-read with each subscriber's own token). */
interface ChangeMessage {
  projectIds: number[];
}

type BusMessage =
  | { type: 'rows'; rows: WireAssignment[] }
  | { type: 'end'; code: LiveEndCode; message: string };

/** Key of a filter that does not depend on property order. */
function canonicalFilter(filter: WireAssignmentFilter): string {
  return JSON.stringify(Object.entries(filter).filter(([, value]) => value !== undefined).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Live assignment updates for every subscriber of this replica. Subscribers with the
 * same credentials and filter form one group, and every group has one poller across
 * all replicas (whoever holds its lease) reading `updated_after` with the group's own
 * credentials and filter, so nothing a caller receives was read with another's token.
 * The poller fans its rows out to the group on every replica through the bus. Writes
 * made through any replica (see `publish`) make the affected groups poll at once,
 * instead of waiting for the next interval.
 */
export class LiveUpdates {
  private readonly groups = new Map<string, LiveGroup>();
  private readonly perCaller = new Map<string, number>();
  private subscribers = 0;
  private readonly offChanges: () => void;
  private closed = false;

  constructor(private readonly options: LiveUpdatesOptions) {
    this.offChanges = options.shared.bus.subscribe('changes', (message) => this.onChange(message as ChangeMessage));
  }

  /** A client for these credentials that outlives any one request (event fields resolve with it). */
  clientFor(credentials: Credentials): SynapseClient {
    return this.options.clientFor(credentials);
  }

  /** Announces a write made through this replica to every replica's affected groups. */
  publish(change: AssignmentChange): void {
    if (change.assignmentIds.length === 0) return;
    this.options.shared.bus.publish('changes', { projectIds: [...new Set(change.projectIds)] } satisfies ChangeMessage);
  }

  /** A stream of the assignments matching `filter` as they change, read with `credentials`. */
  subscribe(credentials: Credentials, filter: WireAssignmentFilter): AsyncIterableIterator<LiveEvent> {
    const { maxPerToken, maxTotal } = this.options;
    const caller = this.options.callerKey(credentials);
    const held = this.perCaller.get(caller) ?? 0;
    if (this.closed) return single(new LiveEnd('UPSTREAM_UNAVAILABLE', 'The gateway is shutting down; subscribe again.'));
    if (maxPerToken === 0) return single(new LiveEnd('FORBIDDEN', 'Live subscriptions are turned off on this gateway.'));
    if (held >= maxPerToken) {
      return single(
        new LiveEnd('RATE_LIMITED', `At most ${maxPerToken} live subscriptions per token at once; close one before opening another.`, {
          limit: maxPerToken,
        }),
      );
    }
    if (this.subscribers >= maxTotal) {
      return single(new LiveEnd('RATE_LIMITED', 'This gateway holds as many live subscriptions as it may; try again later.'));
    }

    const key = createHash('sha256').update(`${caller}\n${canonicalFilter(filter)}`).digest('base64url');
    let group = this.groups.get(key);
    if (!group) {
      group = new LiveGroup(key, caller, credentials, filter, this.options, () => this.groups.delete(key));
      this.groups.set(key, group);
    }
    this.perCaller.set(caller, held + 1);
    this.subscribers++;
    const owner = group;
    const stream = createEventStream<LiveEvent>({
      maxQueued: MAX_QUEUED_EVENTS,
      overflow: () => new LiveEnd('RATE_LIMITED', `More than ${MAX_QUEUED_EVENTS} updates were waiting for this subscriber; subscribe again.`),
      onEnd: () => {
        this.subscribers--;
        const left = (this.perCaller.get(caller) ?? 1) - 1;
        if (left > 0) this.perCaller.set(caller, left);
        else this.perCaller.delete(caller);
        owner.remove(stream);
      },
    });
    group.add(stream);
    return stream;
  }

  /** Ends this replica's streams of a caller whose token the upstream refused. */
  endCaller(caller: string): void {
    for (const group of [...this.groups.values()]) {
      if (group.caller === caller) group.end(new LiveEnd('UNAUTHENTICATED', 'The Synapse backend no longer accepts these credentials.'));
    }
  }

  /** Subscribers and groups of this replica (for metrics and tests). */
  get size(): { subscribers: number; groups: number } {
    return { subscribers: this.subscribers, groups: this.groups.size };
  }

  /** Completes every stream and gives up every lease. */
  async close(): Promise<void> {
    this.closed = true;
    this.offChanges();
    await Promise.all([...this.groups.values()].map((group) => group.end()));
  }

  private onChange(change: ChangeMessage): void {
    for (const group of this.groups.values()) {
      const project = group.filter.project;
      if (project === undefined || change.projectIds.includes(project)) group.pollSoon();
    }
  }
}

/** A stream that delivers only why it ends. */
function single(end: LiveEnd): AsyncIterableIterator<LiveEvent> {
  const stream = createEventStream<LiveEvent>({ maxQueued: 1, overflow: () => end, onEnd: () => {} });
  stream.finish(end);
  return stream;
}

/** The subscribers of one (caller, filter) on this replica, and its share of the poller. */
class LiveGroup {
  private readonly streams = new Set<EventStream<LiveEvent>>();
  /** Last `updated_at` (µs) delivered per id, in insertion order (oldest first), bounded. */
  private readonly delivered = new Map<number, number>();
  private readonly client: SynapseClient;
  private readonly channel: string;
  private readonly offBus: () => void;
  private readonly timer: NodeJS.Timeout;
  /** Newest `updated_at` seen; polls ask for rows updated after it (see readChanges). */
  private cursor: string | undefined;
  /** True when the last poll stopped at its page limit: rows at the cursor's own instant may remain. */
  private cursorInclusive = false;
  /** Rows updated at or before this (µs) predate the subscription: never delivered, whoever polled them. */
  private floor = Number.NEGATIVE_INFINITY;
  private starting: Promise<void>;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private ended = false;

  constructor(
    readonly key: string,
    readonly caller: string,
    credentials: Credentials,
    readonly filter: WireAssignmentFilter,
    private readonly options: LiveUpdatesOptions,
    private readonly onDispose: () => void,
  ) {
    this.client = options.clientFor(credentials);
    this.channel = `live:${key}`;
    this.offBus = options.shared.bus.subscribe(this.channel, (message) => this.onMessage(message as BusMessage));
    this.starting = this.start();
    // Spread groups over the interval rather than polling all of them at the same instant.
    const first = setTimeout(() => this.pollSoon(), Math.floor(Math.random() * options.pollMs));
    first.unref();
    this.timer = setInterval(() => this.pollSoon(), options.pollMs);
    this.timer.unref();
  }

  add(stream: EventStream<LiveEvent>): void {
    this.streams.add(stream);
  }

  remove(stream: EventStream<LiveEvent>): void {
    this.streams.delete(stream);
    if (this.streams.size === 0) void this.end();
  }

  /** Polls now (a write may have changed what this group sees); one poll at a time, one more queued at most. */
  pollSoon(): void {
    if (this.ended) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = this.poll().finally(() => {
      this.polling = undefined;
      if (this.pollAgain && !this.ended) {
        this.pollAgain = false;
        this.pollSoon();
      }
    });
  }

  /** Ends every stream of the group (with `last` as its last event, if given) and releases the lease. */
  async end(last?: LiveEnd): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    this.offBus();
    this.onDispose();
    for (const stream of [...this.streams]) stream.finish(last);
    this.streams.clear();
    await this.polling?.catch(() => {});
    await this.options.shared.leases.release(this.leaseName());
  }

  private leaseName(): string {
    return `poll:${this.key}`;
  }

  /**
   * One read with the caller's credentials before anything else: a token the upstream
   * refuses, or a filter it forbids, ends the subscription at once with that error.
   * It also fixes the starting point: only changes after it are delivered.
   */
  private async start(): Promise<void> {
    try {
      const head = await this.client.listAssignments(this.filter, { page: 1, pageSize: 1, ordering: '-updated_at' });
      const newest = head.results[0];
      if (newest) {
        this.cursor = newest.updated_at;
        this.floor = epochMicros(newest.updated_at);
      }
    } catch (error) {
      // Not awaited: end() waits for a poll in flight, and that poll waits for this start.
      void this.end(toLiveEnd(error));
    }
  }

  private async poll(): Promise<void> {
    await this.starting;
    if (this.ended) return;
    const { leases } = this.options.shared;
    if (!(await leases.hold(this.leaseName(), this.options.leaseMs))) return;
    const shared = await leases.read(`cursor:${this.key}`);
    if (shared !== undefined && (this.cursor === undefined || epochMicros(shared) > epochMicros(this.cursor))) this.cursor = shared;
    try {
      const { tracePoll } = this.options;
      const { rows, complete } = await (tracePoll ? tracePoll(() => this.readChanges()) : this.readChanges());
      if (this.ended) return;
      const last = rows.at(-1);
      this.cursorInclusive = !complete;
      if (last) {
        this.cursor = last.updated_at;
        await leases.write(`cursor:${this.key}`, last.updated_at, Math.max(this.options.leaseMs * 10, 60_000));
        this.options.shared.bus.publish(this.channel, { type: 'rows', rows } satisfies BusMessage);
      }
    } catch (error) {
      if (error instanceof UpstreamError && error.code === 'UPSTREAM_UNAVAILABLE') {
        // The next poll tries again from the same cursor: nothing is lost, only late.
        this.options.logger.debug({ code: error.code, status: error.status }, 'live poll failed; retrying at the next interval');
        return;
      }
      const { code, message } = toLiveEnd(error);
      this.options.shared.bus.publish(this.channel, { type: 'end', code, message } satisfies BusMessage);
    }
  }

  /**
   * Rows of the filter updated after the cursor, oldest change first, a few pages at
   * most. `updated_after` is inclusive, so the cursor is moved on by one microsecond
   * (the API's precision): rows sharing the cursor's instant (a bulk write of 1,000)
   * are not read again on every poll. After a poll cut short by its page limit, the
   * next one starts at the cursor's own instant, since some of its rows may be unread.
   */
  private async readChanges(): Promise<{ rows: WireAssignment[]; complete: boolean }> {
    const after =
      this.cursor === undefined || this.cursorInclusive ? this.cursor : Instant.parse(this.cursor, 'utc-if-missing')?.plusMicros(1).toString();
    const filter: WireAssignmentFilter = { ...this.filter, ...(after === undefined ? {} : { updated_after: after }) };
    const rows: WireAssignment[] = [];
    for (let page = 1; page <= MAX_PAGES_PER_POLL; page++) {
      const result = await this.client.listAssignments(filter, { page, pageSize: this.options.pageSize, ordering: 'updated_at' });
      rows.push(...result.results);
      // Trust the rows that came back, not the page size asked for (DRF may cap it).
      if (result.results.length === 0 || rows.length >= result.count || result.next === null) return { rows, complete: true };
    }
    return { rows, complete: false };
  }

  private onMessage(message: BusMessage): void {
    // Another replica's poller may publish before this group's first read fixed its floor.
    void this.starting.then(() => this.handle(message));
  }

  private handle(message: BusMessage): void {
    if (this.ended) return;
    if (message.type === 'end') {
      void this.end(new LiveEnd(message.code, message.message));
      return;
    }
    for (const row of message.rows) {
      const updated = epochMicros(row.updated_at);
      if (updated <= this.floor || (this.delivered.get(row.id) ?? Number.NEGATIVE_INFINITY) >= updated) continue;
      this.remember(row);
      if (this.cursor === undefined || updated > epochMicros(this.cursor)) this.cursor = row.updated_at;
      for (const stream of [...this.streams]) stream.push(row);
    }
  }

  private remember(row: WireAssignment): void {
    this.delivered.delete(row.id);
    this.delivered.set(row.id, epochMicros(row.updated_at));
    if (this.delivered.size > MAX_REMEMBERED) this.delivered.delete(this.delivered.keys().next().value!);
  }
}

/** How a failed read ends the streams: an upstream error keeps its code and our message. */
function toLiveEnd(error: unknown): LiveEnd {
  if (error instanceof UpstreamError) return new LiveEnd(error.code, error.message);
  return new LiveEnd('INTERNAL_SERVER_ERROR', 'Unexpected error.');
}
