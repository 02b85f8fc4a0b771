/**
 * The query parameters of the API's list endpoints, with Traefik's meaning so
 * tools written for its API page and filter the same way: `search` (a
 * case-insensitive substring of the name, or of a router's rule), `status`
 * (`enabled`, `disabled`, `warning`), `serviceName` and `middlewareName`
 * (routers only), `sortBy` and `direction`, and `per_page` (default 100) /
 * `page` (default 1) with the next page in `X-Next-Page` (1 on the last page).
 */

export const NEXT_PAGE_HEADER = 'x-next-page';
const DEFAULT_PER_PAGE = 100;

/** A request Traefik answers 400 (bad page numbers, a page past the end). */
export class ListQueryError extends Error {}

export interface ListQuery {
  search: string;
  status: string;
  serviceName: string;
  middlewareName: string;
  sortBy: string;
  descending: boolean;
  page: number;
  perPage: number;
}

export function parseListQuery(raw: string): ListQuery {
  const q = new URLSearchParams(raw);
  return {
    search: q.get('search') ?? '',
    status: q.get('status') ?? '',
    serviceName: q.get('serviceName') ?? '',
    middlewareName: q.get('middlewareName') ?? '',
    sortBy: q.get('sortBy') ?? '',
    descending: q.get('direction') === 'desc',
    page: positiveInt(q, 'page', 1),
    perPage: positiveInt(q, 'per_page', DEFAULT_PER_PAGE),
  };
}

function positiveInt(q: URLSearchParams, key: string, fallback: number): number {
  const raw = q.get(key);
  if (!raw) return fallback;
  // Traefik names the value it could parse (0 when it could not) in the message.
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : 0;
  if (!Number.isSafeInteger(value) || value <= 0) throw new ListQueryError(`invalid request: ${key}: ${Number.isSafeInteger(value) ? value : 0}`);
  return value;
}

/** What every listed object offers to the filters. */
export interface Listed {
  name: string;
  status: string;
}

/** True when `item` passes `search` (over `searchable`) and `status`. */
export function matchesQuery(q: ListQuery, item: Listed, searchable: readonly string[] = [item.name]): boolean {
  if (q.status && q.status.toLowerCase() !== item.status.toLowerCase()) return false;
  if (!q.search) return true;
  const needle = q.search.toLowerCase();
  return searchable.some((v) => v.toLowerCase().includes(needle));
}

/**
 * Sort by `sortBy` (a key of `sortKeys`; the name when unknown or absent), ties by name,
 * then cut out the requested page. Throws ListQueryError for a page past the end.
 */
export function sortAndPage<T extends { name: string }>(
  q: ListQuery,
  items: T[],
  sortKeys: Record<string, (item: T) => string | number>,
): { page: T[]; nextPage: number } {
  const key = Object.hasOwn(sortKeys, q.sortBy) ? sortKeys[q.sortBy]! : (item: T) => item.name;
  const sign = q.descending ? -1 : 1;
  items.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return (ka < kb ? -1 : 1) * sign;
    return (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) * sign;
  });
  const start = (q.page - 1) * q.perPage;
  if (start !== 0 && start >= items.length) throw new ListQueryError(`invalid request: page: ${q.page}, per_page: ${q.perPage}`);
  return { page: items.slice(start, start + q.perPage), nextPage: q.page * q.perPage < items.length ? q.page + 1 : 1 };
}
