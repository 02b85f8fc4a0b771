/**
 * Hostnames as the Gateway API compares them: a listener's hostname and a
 * route's hostnames intersect (an exact name, or a wildcard `*.example.com`
 * that matches one or more labels before the suffix), and what is left
 * becomes the Host part of a router's rule.
 */

/** True when `name` (exact or wildcard) lies within the wildcard `pattern` (`*.example.com`). */
function withinWildcard(name: string, pattern: string): boolean {
  const suffix = pattern.slice(1); // `.example.com`
  const bare = name.startsWith('*.') ? name.slice(1) : name;
  return bare.endsWith(suffix) && bare.length > suffix.length;
}

/**
 * The hostnames a route serves on a listener: undefined when both leave the
 * host open (any host), an empty list when they share none.
 */
export function intersectHostnames(listener: string | undefined, route: string[]): string[] | undefined {
  const l = listener?.toLowerCase();
  const r = route.map((h) => h.toLowerCase());
  if (!l) return r.length ? r : undefined;
  if (r.length === 0) return [l];
  const out = new Set<string>();
  for (const h of r) {
    if (h === l) out.add(h);
    else if (l.startsWith('*.') && withinWildcard(h, l)) out.add(h);
    else if (h.startsWith('*.') && withinWildcard(l, h)) out.add(l);
  }
  return [...out];
}

/** The rule part matching these hostnames (undefined: any host). */
export function hostnamesRule(hostnames: string[] | undefined): string | undefined {
  if (!hostnames?.length) return undefined;
  const parts = hostnames.map((h) => (h.startsWith('*.') ? `HostRegexp(\`^[^.]+(\\.[^.]+)*${h.slice(1).replace(/\./g, '\\.')}$\`)` : `Host(\`${h}\`)`));
  return parts.length === 1 ? parts[0] : `(${parts.join(' || ')})`;
}

/**
 * How specific the most specific of these hostnames is, for the route's
 * precedence: an exact name beats a wildcard, a longer one a shorter one,
 * and any beats none. Fits in 10 bits.
 */
export function hostnameSpecificity(hostnames: string[] | undefined): number {
  if (!hostnames?.length) return 0;
  return Math.max(...hostnames.map((h) => (h.startsWith('*.') ? 256 : 512) + Math.min(h.length, 255)));
}
