/**
 * How ingress-nginx matches a path and which location wins, as router rules
 * and priorities.
 *
 * Matching (one nginx `location` per Ingress path):
 * - `Exact`: `location = /p` → Path(`/p`).
 * - `Prefix`: whole path segments, as Kubernetes defines it: `/p` matches
 *   `/p` and `/p/…`, never `/px`.
 * - `ImplementationSpecific` (and no pathType): nginx's plain prefix
 *   location: `/p` matches `/px` too.
 * - When any Ingress of a host sets `use-regex` or `rewrite-target`,
 *   ingress-nginx writes every location of that host as `~* "^<path>"`: a
 *   case-insensitive regular expression anchored at the start only, whatever
 *   the pathType.
 *
 * Precedence: ingress-nginx sorts a host's locations by path length, longest
 * first; nginx then takes the exact match, else the longest prefix, else the
 * first regex that matches (so the longest). A priority that grows with the
 * path length (exact matches above all) reproduces that. Named hosts come
 * before wildcard hosts and hostless rules (nginx picks the server by name
 * first).
 */
import { Problem } from '../conversion-context.js';
import { hostMatcher } from '../ingress.js';

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

/** What sits above a route's own priority: app-root's redirect at a host's `/` beats every location. */
export const PRIORITY_STEP = 100;
const EXACT_BONUS = 50_000_000;

/** The rule of a location: any of `hosts` (none: any host; more than one with server-alias) and the path. */
export function pathRule(hosts: string[], path: string, pathType: PathType, regex: boolean, at: string): string {
  if (path.includes('`')) throw new Problem(at, 'a path cannot contain a backtick');
  const hostPart = hosts.length > 1 ? `(${hosts.map(hostMatcher).join(' || ')})` : hostMatcher(hosts[0]);
  let pathPart: string | undefined;
  if (regex) pathPart = `PathRegexp(\`(?i)^${path}\`)`;
  else if (pathType === 'Exact') pathPart = `Path(\`${path}\`)`;
  else if (path === '/') pathPart = undefined;
  else if (pathType === 'Prefix' && !path.endsWith('/')) pathPart = `(Path(\`${path}\`) || PathPrefix(\`${path}/\`))`;
  else pathPart = `PathPrefix(\`${path}\`)`;
  return [hostPart, pathPart].filter(Boolean).join(' && ') || 'PathPrefix(`/`)';
}

/** The priority of a location; `variant` (0..PRIORITY_STEP-1) orders routers sharing one location (canary rules above the main one). */
export function pathPriority(host: string | undefined, path: string, exact: boolean, variant = 0): number {
  return hostBase(host) + (exact ? EXACT_BONUS : 0) + path.length * PRIORITY_STEP + variant;
}

/** Below every location of the host: the Ingress's spec.defaultBackend for that host. */
export function hostFallbackPriority(host: string | undefined): number {
  return hostBase(host) + 1;
}

/** Above every location of the host: app-root answers `/` before any location is chosen. */
export function hostTopPriority(host: string | undefined): number {
  return hostBase(host) + EXACT_BONUS * 2;
}

function hostBase(host: string | undefined): number {
  if (!host) return 100_000_000;
  return host.startsWith('*.') ? 300_000_000 : 500_000_000;
}
