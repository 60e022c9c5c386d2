/** DRF page-number pagination envelope. */
export interface WirePage<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** `page_size` the SDK sends and a DRF list answers with when none is given. */
export const DEFAULT_PAGE_SIZE = 100;
