import { EventEmitter, once, setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32, type Random } from './prng.ts';

export interface FaultSettings {
  /** Added before every answer. */
  latencyMs: number;
  /** Fraction of requests answered 503. */
  failRate: number;
  /** While true, requests wait and are answered only once it is turned off. */
  hang: boolean;
  /** `POST v2/reviews/` for these assignment ids answers 500 `INTERNAL_ERROR` and writes nothing (partial-failure tests). */
  failReviewsFor: readonly number[];
  /** v2 lists ignore `fields` and answer their lean items, as a server built from the OpenAPI spec (which declares no `fields`) would. */
  ignoreFields: boolean;
}

/** Every setting off: no latency, no failure, no hang. */
export const NO_FAULTS: FaultSettings = { latencyMs: 0, failRate: 0, hang: false, failReviewsFor: [], ignoreFields: false };

/** Injected latency, failures and hangs, changeable at runtime. */
export class Faults {
  private settings: FaultSettings;
  private readonly random: Random;
  private readonly releases = new EventEmitter();
  private readonly closing = new AbortController();

  constructor(initial: FaultSettings, seed: number) {
    validate(initial);
    this.settings = { ...initial };
    this.random = mulberry32(seed);
    // Every waiting request listens once; many at a time is the point, not a leak.
    this.releases.setMaxListeners(0);
    setMaxListeners(0, this.closing.signal);
  }

  /** Changes the given settings; keys left out or undefined keep their value. */
  update(changes: Partial<FaultSettings>): void {
    const given = Object.entries(changes).filter(([, value]) => value !== undefined);
    const next: FaultSettings = { ...this.settings, ...Object.fromEntries(given) };
    validate(next);
    const released = this.settings.hang && !next.hang;
    this.settings = next;
    if (released) this.releases.emit('release');
  }

  /**
   * Decides whether this request fails. Called once per request as it arrives, so the
   * pattern depends only on the seed and request order, and before any processing,
   * so a failed write changes nothing.
   */
  drawFailure(): boolean {
    return this.random() < this.settings.failRate;
  }

  /** Whether a review create for this assignment is to fail (checked after the body is read, before anything is written). */
  failsReviewFor(assignmentId: number): boolean {
    return this.settings.failReviewsFor.includes(assignmentId);
  }

  get ignoresFields(): boolean {
    return this.settings.ignoreFields;
  }

  /** Waits out the latency, then any hang. Rejects (AbortError) once closed. */
  async delay(): Promise<void> {
    const { signal } = this.closing;
    if (this.settings.latencyMs > 0) await sleep(this.settings.latencyMs, undefined, { signal });
    while (this.settings.hang) await once(this.releases, 'release', { signal });
  }

  close(): void {
    this.closing.abort();
  }
}

function validate(settings: FaultSettings): void {
  if (!(Number.isFinite(settings.latencyMs) && settings.latencyMs >= 0)) {
    throw new RangeError(`latencyMs must be a non-negative number, got ${settings.latencyMs}`);
  }
  if (!(settings.failRate >= 0 && settings.failRate <= 1)) {
    throw new RangeError(`failRate must be between 0 and 1, got ${settings.failRate}`);
  }
  if (!settings.failReviewsFor.every((id) => Number.isSafeInteger(id))) {
    throw new RangeError('failReviewsFor must hold integer assignment ids');
  }
}
