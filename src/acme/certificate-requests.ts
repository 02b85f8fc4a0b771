/**
 * Which certificates the routers ask each resolver for, as Traefik decides:
 * a router with `tls.certResolver` asks for one certificate per entry of
 * `tls.domains` (main first, then sans); without domains, for one
 * certificate covering the hosts of its `Host()` rule. Requests are
 * deduplicated per resolver (the same names in any order are one request).
 * A router naming a resolver that does not exist, or asking for what no
 * order can get (no names, a wildcard from a resolver without DNS-01), is an
 * error on that router; it keeps serving with whatever certificate matches.
 */
import type { ConfigError, DynamicConfig } from '../dynamic/model.js';
import { hostsOfRule } from '../router/rule-hosts.js';

/** Resolver name → the name lists to order, each sorted as asked (main first). */
export type CertificateRequests = Map<string, string[][]>;

/** Identity of a request: the same names in any order are the same certificate. */
export function requestKey(domains: readonly string[]): string {
  return [...new Set(domains.map((d) => d.toLowerCase()))].sort().join(',');
}

/** `dnsResolvers`: the resolvers with dnsChallenge, the only ones that can get a wildcard name. */
export function certificateRequests(
  config: DynamicConfig,
  resolvers: ReadonlySet<string>,
  dnsResolvers: ReadonlySet<string> = new Set(),
): { requests: CertificateRequests; errors: ConfigError[] } {
  const requests: CertificateRequests = new Map();
  const seen = new Set<string>();
  const errors: ConfigError[] = [];
  for (const [name, router] of Object.entries(config.http.routers)) {
    const resolver = router.tls?.certResolver;
    if (!resolver) continue;
    const error = (field: string, message: string) =>
      errors.push({ provider: name.split('@')[1] ?? 'acme', source: name, path: `http.routers.${name}.tls.${field}`, message });
    if (!resolvers.has(resolver)) {
      error(
        'certResolver',
        `no certificatesResolvers entry named "${resolver}" in the static configuration; this router is served with the certificate that matches its name (or the default)`,
      );
      continue;
    }
    let lists: string[][];
    if (router.tls?.domains?.length) lists = router.tls.domains.map((d) => [d.main, ...(d.sans ?? [])]);
    else {
      let hosts: string[] | undefined;
      try {
        hosts = hostsOfRule(router.rule);
      } catch {
        continue; // the rule's syntax error is reported by the router's own compilation
      }
      if (!hosts?.length) {
        error('certResolver', 'no domain to order: the rule has no Host() matcher; list the names in tls.domains');
        continue;
      }
      lists = [hosts];
    }
    for (const raw of lists) {
      const domains = [...new Set(raw.map((d) => d.toLowerCase().replace(/\.$/, '')))];
      const bad = domains.find((d) => (dnsResolvers.has(resolver) ? !/^(\*\.)?[^*]+$/.test(d) : d.includes('*')));
      if (bad) {
        error(
          'domains',
          dnsResolvers.has(resolver)
            ? `"${bad}": a wildcard is only allowed as the whole leftmost label (*.example.com)`
            : `"${bad}": wildcard certificates need the DNS-01 challenge; resolver "${resolver}" has no dnsChallenge`,
        );
        continue;
      }
      const key = `${resolver}|${requestKey(domains)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      requests.set(resolver, [...(requests.get(resolver) ?? []), domains]);
    }
  }
  return { requests, errors };
}
