import type { WireDrfError } from '../contract/index.ts';

/** An answer other than 200, thrown by handlers and sent by the server. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: WireDrfError,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`HTTP ${status}`);
    this.name = 'HttpError';
  }
}

export const notFound = (detail = 'Not found.') => new HttpError(404, { detail });

export const forbidden = () => new HttpError(403, { detail: 'You do not have permission to perform this action.' });

/** DRF's TokenAuthentication answers 401 with this challenge. */
export const unauthorized = (detail: string) => new HttpError(401, { detail }, { 'WWW-Authenticate': 'Token' });

export const methodNotAllowed = (method: string, allowed: readonly string[]) =>
  new HttpError(405, { detail: `Method "${method}" not allowed.` }, { Allow: allowed.join(', ') });

export const serviceUnavailable = () => new HttpError(503, { detail: 'Service temporarily unavailable.' });

export const payloadTooLarge = () => new HttpError(413, { detail: 'Request body exceeds the 1 MB limit.' });

/** DRF validation errors: every invalid field at once, each with its messages. */
export class FieldErrors {
  private readonly errors: Record<string, string[]> = {};

  add(field: string, message: string): void {
    (this.errors[field] ??= []).push(message);
  }

  throwIfAny(): void {
    if (Object.keys(this.errors).length > 0) throw new HttpError(400, this.errors);
  }
}
