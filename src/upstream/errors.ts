/** Codes a client of the gateway sees in `extensions.code` for upstream trouble. */
export type UpstreamErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'UPSTREAM_UNAVAILABLE'
  /** The backend lacks what the field needs (Synapse's v2 API); asking again will not help until it is upgraded. */
  | 'UPSTREAM_FEATURE_UNAVAILABLE';

export interface FieldError {
  field: string;
  message: string;
}

/** What a refusal was about, as a client can act on it (`extensions.resource`). */
export interface ResourceRef {
  type: 'Project' | 'Assignment' | 'Review';
  id: number;
}

/**
 * The one error type of the upstream client. It keeps the upstream body for logs
 * (`upstreamBody`), but its `message` is written by us and safe to show a client.
 */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly status: number | null;
  readonly code: UpstreamErrorCode;
  readonly fieldErrors: FieldError[];
  readonly retryable: boolean;
  /** Raw upstream body, for logs only: never put it in a GraphQL response. */
  readonly upstreamBody: string | undefined;
  /** Seconds the upstream asked us to wait (Retry-After), when it said. */
  readonly retryAfterSeconds: number | undefined;
  /** False when the request never left (circuit open, already cancelled): a write then surely did not happen. */
  readonly requestSent: boolean;
  /** The project or assignment refused, once the caller of the client has said which. */
  readonly resource: ResourceRef | undefined;
  /** `meta.request_id` of a v2 error body: what Synapse's support asks for. */
  readonly upstreamRequestId: string | undefined;
  /** `error.code` of a v2 error body (`CONFLICT`, `VALIDATION_ERROR`...). */
  readonly upstreamCode: string | undefined;

  constructor(init: {
    status: number | null;
    code: UpstreamErrorCode;
    message: string;
    fieldErrors?: FieldError[];
    upstreamBody?: string;
    retryAfterSeconds?: number;
    requestSent?: boolean;
    resource?: ResourceRef;
    upstreamRequestId?: string;
    upstreamCode?: string;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.fieldErrors = init.fieldErrors ?? [];
    this.retryable = init.code === 'UPSTREAM_UNAVAILABLE';
    this.upstreamBody = init.upstreamBody;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.requestSent = init.requestSent ?? true;
    this.resource = init.resource;
    this.upstreamRequestId = init.upstreamRequestId;
    this.upstreamCode = init.upstreamCode;
  }

  /**
   * The same failure with a message naming what was refused. The client only knows a
   * URL failed; the code that called it knows it was "assignment 7" or "project 3".
   */
  about(message: string, resource: ResourceRef): UpstreamError {
    return new UpstreamError({
      status: this.status,
      code: this.code,
      message,
      fieldErrors: this.fieldErrors,
      ...(this.upstreamBody === undefined ? {} : { upstreamBody: this.upstreamBody }),
      ...(this.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: this.retryAfterSeconds }),
      requestSent: this.requestSent,
      resource,
      ...(this.upstreamRequestId === undefined ? {} : { upstreamRequestId: this.upstreamRequestId }),
      ...(this.upstreamCode === undefined ? {} : { upstreamCode: this.upstreamCode }),
      cause: this.cause,
    });
  }
}

const MESSAGES: Record<UpstreamErrorCode, string> = {
  BAD_USER_INPUT: 'The Synapse backend rejected the input.',
  UNAUTHENTICATED: 'The Synapse backend did not accept the credentials.',
  FORBIDDEN: 'The caller may not access this resource.',
  NOT_FOUND: 'The resource does not exist.',
  UPSTREAM_UNAVAILABLE: 'The Synapse backend is unavailable; try again later.',
  UPSTREAM_FEATURE_UNAVAILABLE: 'The Synapse backend does not serve what this field needs.',
};

/**
 * Maps an HTTP status to our code: the single place where that mapping lives. v2's codes
 * come with their statuses (VALIDATION_ERROR 400, CONFLICT 409, UNPROCESSABLE_ENTITY 422,
 * RATE_LIMIT_EXCEEDED 429, INTERNAL_ERROR 500...), so they map the same way.
 */
export function codeForStatus(status: number): UpstreamErrorCode {
  if (status === 400 || status === 409 || status === 422) return 'BAD_USER_INPUT';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  return 'UPSTREAM_UNAVAILABLE';
}

/** Builds the error for a non-2xx answer, reading DRF and v2 `{error: {...}, meta}` bodies. */
export function errorFromResponse(
  status: number,
  body: string,
  retryAfterHeader: string | null,
): UpstreamError {
  const code = codeForStatus(status);
  const parsed = parseJson(body);
  const fieldErrors = code === 'BAD_USER_INPUT' ? fieldErrorsOf(parsed) : [];
  const retryAfterSeconds = parseRetryAfter(retryAfterHeader);
  const v2 = isRecord(parsed) && isRecord(parsed['error']) ? parsed : undefined;
  const requestId = v2 && isRecord(v2['meta']) ? v2['meta']['request_id'] : undefined;
  const upstreamCode = v2 ? (v2['error'] as Record<string, unknown>)['code'] : undefined;
  return new UpstreamError({
    status,
    code,
    message: MESSAGES[code],
    fieldErrors,
    upstreamBody: body,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    // Bounded: an id for a support ticket, never a place for a large upstream string.
    ...(typeof requestId === 'string' ? { upstreamRequestId: requestId.slice(0, 100) } : {}),
    ...(typeof upstreamCode === 'string' ? { upstreamCode: upstreamCode.slice(0, 50) } : {}),
  });
}

/** The error for a request that never got an HTTP answer (timeout, reset, refused, never sent). */
export function unavailableError(reason: string, cause: unknown, requestSent = true): UpstreamError {
  return new UpstreamError({
    status: null,
    code: 'UPSTREAM_UNAVAILABLE',
    message: `${MESSAGES.UPSTREAM_UNAVAILABLE} (${reason})`,
    cause,
    requestSent,
  });
}

/**
 * Whether a failed write may have been applied anyway: it left, and no answer came
 * that says it was refused (429/503 are refusals; a lost answer or a 500/502/504 is not).
 */
export function writeOutcomeUnknown(error: UpstreamError): boolean {
  if (!error.requestSent || error.code !== 'UPSTREAM_UNAVAILABLE') return false;
  return error.status !== 429 && error.status !== 503;
}

/**
 * Field messages from a 400 body. DRF: `{"field": ["msg"]}` or `{"detail": "msg"}`;
 * newer API: `{"error": {"message", "details": [{"field", "message"}]}}`.
 */
export function parseFieldErrors(body: string): FieldError[] {
  return fieldErrorsOf(parseJson(body));
}

function fieldErrorsOf(parsed: unknown): FieldError[] {
  if (!isRecord(parsed)) return [];
  const v2 = parsed['error'];
  if (isRecord(v2)) {
    const details = Array.isArray(v2['details']) ? v2['details'] : [];
    const out = details.filter(isRecord).map((d) => ({
      field: typeof d['field'] === 'string' ? d['field'] : 'non_field_errors',
      message: String(d['message'] ?? ''),
    }));
    if (out.length > 0) return out;
    return typeof v2['message'] === 'string' ? [{ field: 'non_field_errors', message: v2['message'] }] : [];
  }
  const out: FieldError[] = [];
  for (const [field, value] of Object.entries(parsed)) {
    const messages = Array.isArray(value) ? value : [value];
    for (const message of messages) {
      if (typeof message === 'string') out.push({ field: field === 'detail' ? 'non_field_errors' : field, message });
    }
  }
  return out;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function parseRetryAfter(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - Date.now()) / 1000);
}

/** A JSON object (not null, not an array): what a body must be before its fields are read. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
