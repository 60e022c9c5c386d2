import {
  DEFAULT_PAGE_SIZE,
  WIRE_ORDERING_FIELDS,
  WIRE_STATUSES,
  type WireAssignmentFilter,
  type WireOrdering,
  type WireStatus,
} from '../contract/index.ts';
import type { FieldErrors } from './errors.ts';
import { parseTimestamp } from './timestamps.ts';

/** Query parameters, last value winning as with Django's `QueryDict.get`. */
export type Query = Readonly<Record<string, string>>;

const MAX_IDS = 1000;
const ORDERING_FIELDS: ReadonlySet<string> = new Set(WIRE_ORDERING_FIELDS);

export const INTEGER_REQUIRED = 'A valid integer is required.';

export function parseInteger(text: string): number | undefined {
  if (!/^-?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Filters of `GET sdk/assignments/`. An empty value means "not given", as in
 * django-filter, except `ids`: an empty id list must not widen to every row.
 */
export function parseAssignmentFilter(query: Query, errors: FieldErrors): WireAssignmentFilter {
  const filter: WireAssignmentFilter = {};
  const given = (name: string) => (query[name] === undefined || query[name] === '' ? undefined : query[name]);
  const integer = (name: 'project' | 'assignee' | 'priority') => {
    const raw = given(name);
    if (raw === undefined) return;
    const value = parseInteger(raw);
    if (value === undefined) errors.add(name, INTEGER_REQUIRED);
    else filter[name] = value;
  };
  const timestamp = (name: 'created_after' | 'updated_after') => {
    const raw = given(name);
    if (raw === undefined) return;
    const value = parseTimestamp(raw);
    if (value === null) errors.add(name, 'Enter a valid date/time.');
    else filter[name] = value;
  };
  integer('project');
  integer('assignee');
  integer('priority');
  timestamp('created_after');
  timestamp('updated_after');
  const status = given('status');
  if (status !== undefined) {
    if ((WIRE_STATUSES as readonly string[]).includes(status)) filter.status = status as WireStatus;
    else errors.add('status', `"${status}" is not a valid choice.`);
  }
  const search = given('search')?.trim();
  if (search) filter.search = search;
  if (query.ids !== undefined) {
    const ids = parseIdList(query.ids, errors);
    if (ids) filter.ids = ids;
  }
  return filter;
}

function parseIdList(raw: string, errors: FieldErrors): number[] | undefined {
  const parts = raw.split(',').map((part) => part.trim());
  if (parts.every((part) => part === '')) {
    errors.add('ids', 'This list may not be empty.');
    return undefined;
  }
  const ids = parts.map(parseInteger);
  if (ids.some((id) => id === undefined)) {
    errors.add('ids', 'Enter a comma-separated list of integers.');
    return undefined;
  }
  if (ids.length > MAX_IDS) {
    errors.add('ids', `Ensure this field has no more than ${MAX_IDS} elements.`);
    return undefined;
  }
  return [...new Set(ids as number[])];
}

/**
 * `ordering`, a comma list as DRF's OrderingFilter takes it; default `id`. Unlike
 * DRF, an unknown field is a 400 rather than silently ignored: a stand-in backend
 * should surface a client's typo, not hide it behind the default order.
 */
export function parseOrdering(raw: string | undefined, errors: FieldErrors): WireOrdering[] {
  if (raw === undefined || raw.trim() === '') return ['id'];
  const terms = raw.split(',').map((term) => term.trim());
  const invalid = terms.filter((term) => !ORDERING_FIELDS.has(term.replace(/^-/, '')));
  for (const term of invalid) errors.add('ordering', `"${term}" is not a valid ordering field.`);
  return invalid.length > 0 ? ['id'] : (terms as WireOrdering[]);
}

/**
 * `page_size` as DRF's PageNumberPagination reads it: never an error. Above `max`
 * it is capped silently (`max_page_size`); a value that is not a positive integer
 * gives `fallback` (the default page size). A client must trust the rows it got,
 * not the size it asked for.
 */
export function parsePageSize(raw: string | undefined, max: number, fallback = DEFAULT_PAGE_SIZE): number {
  const value = raw === undefined ? undefined : parseInteger(raw.trim());
  if (value === undefined || value < 1) return Math.min(fallback, max);
  return Math.min(value, max);
}

/** A DRF BooleanField in a query string; absent or empty means `fallback`. */
export function parseBoolean(query: Query, name: string, fallback: boolean, errors: FieldErrors): boolean {
  const raw = query[name];
  if (raw === undefined || raw === '') return fallback;
  const normalized = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  errors.add(name, 'Must be a valid boolean.');
  return fallback;
}
