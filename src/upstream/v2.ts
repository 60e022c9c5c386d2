import type { V2Config } from '../config.ts';
import type { WireCursorPage, WireV2List } from '../contract/index.ts';
import { isRecord, UpstreamError } from './errors.ts';

/** One page of a v2 list, whichever shape it came in. */
export interface V2Page<T> {
  items: T[];
  /** Opaque: give it back as `cursor` for the next page; null at the end. */
  nextCursor: string | null;
}

/**
 * Reads a v2 list in either shape the contract's sources give: the runtime's envelope
 * `{data, meta: {pagination: {next_cursor}}}` or the spec's DRF cursor page
 * `{next, previous, results}`, whose cursor is the `cursor` parameter of `next`'s URL.
 */
export function readV2List<T>(body: unknown): V2Page<T> {
  if (isRecord(body) && Array.isArray(body['data'])) {
    const list = body as unknown as WireV2List<T>;
    return { items: list.data, nextCursor: list.meta?.pagination?.next_cursor ?? null };
  }
  if (isRecord(body) && Array.isArray(body['results'])) {
    const page = body as unknown as WireCursorPage<T>;
    return { items: page.results, nextCursor: page.next ? cursorOf(page.next) : null };
  }
  throw new UpstreamError({ status: 200, code: 'UPSTREAM_UNAVAILABLE', message: 'The Synapse backend answered a v2 list in an unknown shape.' });
}

/**
 * A v2 detail in either shape: the runtime's `{data, meta}` envelope or the spec's bare
 * object. A bare object may have a `data` field of its own (an assignment does), so the
 * envelope is recognized by having `meta` and no `id`.
 */
export function readV2Detail<T>(body: unknown): T {
  if (isRecord(body) && 'data' in body && 'meta' in body && !('id' in body)) return body['data'] as T;
  return body as T;
}

function cursorOf(url: string): string | null {
  // `next` is absolute in DRF; a relative one is read against any base.
  return URL.canParse(url, 'http://relative/') ? new URL(url, 'http://relative/').searchParams.get('cursor') : null;
}

/**
 * Whether the backend serves v2, as configured or as learned: shared by every client of a
 * gateway (it is a fact about the backend, never about a caller). With `auto`, what an
 * operation learns is remembered for `recheckMs`, then asked again, so a backend
 * upgraded to v2 is noticed.
 */
export class V2Support {
  private known: { present: boolean; until: number } | undefined;

  constructor(
    private readonly config: Pick<V2Config, 'mode' | 'recheckMs'>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get state(): 'present' | 'absent' | 'unknown' {
    if (this.config.mode === 'true') return 'present';
    if (this.config.mode === 'false') return 'absent';
    if (this.known && this.known.until > this.now()) return this.known.present ? 'present' : 'absent';
    return 'unknown';
  }

  /** Records what an answer said (only with `auto`: a configured answer stays as configured). */
  learn(present: boolean): void {
    if (this.config.mode === 'auto') this.known = { present, until: this.now() + this.config.recheckMs };
  }

  /** The error every v2 field answers while v2 is absent, naming what the backend lacks. */
  unavailable(): UpstreamError {
    const message =
      this.config.mode === 'false'
        ? "Synapse's v2 HITL API (v2/reviews/, v2/projects/{id}/tags/, v2/assignments/{id}/) is turned off on this gateway (SYNAPSE_API_V2=false); reviews, review status and tag management need it."
        : "The Synapse backend does not serve Synapse's v2 HITL API (GET v2/reviews/ answered 404 Not Found): reviews, review status and tag management need v2/reviews/, v2/projects/{id}/tags/ and v2/assignments/{id}/. Everything else works.";
    return new UpstreamError({ status: null, code: 'UPSTREAM_FEATURE_UNAVAILABLE', message, requestSent: false });
  }
}
