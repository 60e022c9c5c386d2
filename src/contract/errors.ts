/** DRF error body: `{"detail": "..."}` or `{"field": ["message", ...]}`. */
export type WireDrfError = { detail: string } | Record<string, string[] | string>;

/** Error body of the newer API generation (v2); 401/403/404 may also come without a body. */
export interface WireV2Error {
  error: { code: string; message: string; details?: { field: string; message: string }[] | null };
  meta?: { request_id?: string };
}
