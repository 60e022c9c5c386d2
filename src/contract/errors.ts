/** DRF error body: `{"detail": "..."}` or `{"field": ["message", ...]}`. */
export type WireDrfError = { detail: string } | Record<string, string[] | string>;

/** Error body of the newer API generation. */
export interface WireV2Error {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
  meta?: { request_id?: string };
}
