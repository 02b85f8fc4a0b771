/**
 * BackendTLSPolicy: HTTPS to the Services it targets, the certificate
 * checked against the CA of its ConfigMaps (`ca.crt`) or the system's, for
 * its hostname (also the SNI). Each policy becomes a ServersTransport; the
 * backends of those Services speak https through it. Its status names, as
 * ancestors, the Gateways whose routes use a Service it covers.
 */
import type { ConfigError, DynamicConfig } from '../../../dynamic/model.js';
import { normalizeName } from '../conversion-context.js';
import type { KubeObject } from '../kube-objects.js';
import { GATEWAY_GROUP, condition, generationOf, type GatewayConversionOptions, type StatusUpdate } from './gateway-objects.js';
import type { ResolvedListener } from './gateway-listeners.js';

export interface BackendTlsPolicies {
  /** The transport for a Service's backends, recording that these Gateways (`ns/name`) use it. */
  transportFor(namespace: string, service: string, gateways: readonly string[]): { serversTransport: string } | { invalid: string } | undefined;
  statuses(gateways: Map<string, ResolvedListener[]>, controllerName: string): StatusUpdate[];
  errors: ConfigError[];
}

export function backendTlsPolicies(
  policies: KubeObject[],
  configMaps: KubeObject[],
  config: DynamicConfig,
  opts: GatewayConversionOptions,
): BackendTlsPolicies {
  /** `ns/service` → the policy covering it (the oldest by order of the input when several do). */
  const byService = new Map<string, KubeObject>();
  const outcome = new Map<KubeObject, { ok: boolean; reason: string; message: string; used: Set<string>; transport?: string }>();
  const errors: ConfigError[] = [];
  const cms = new Map(configMaps.map((c) => [`${c.metadata.namespace}/${c.metadata.name}`, c]));
  for (const p of policies) {
    const targets = (p.spec as { targetRefs?: unknown } | undefined)?.targetRefs;
    for (const t of Array.isArray(targets) ? (targets as Array<{ group?: string; kind?: string; name?: string } | null>) : [])
      if (t && (t.group ?? '') === '' && t.kind === 'Service' && t.name && !byService.has(`${p.metadata.namespace}/${t.name}`))
        byService.set(`${p.metadata.namespace}/${t.name}`, p);
    try {
      readPolicy(p);
    } catch (err) {
      // Malformed input (the API server's validation would refuse it): reported, never a crash.
      outcome.set(p, { ok: false, reason: 'Invalid', message: `malformed BackendTLSPolicy: ${(err as Error).message}`, used: new Set() });
      errors.push({
        provider: opts.provider,
        source: `${p.metadata.namespace}/BackendTLSPolicy/${p.metadata.name}`,
        path: 'spec',
        message: outcome.get(p)!.message,
      });
    }
  }
  function readPolicy(p: KubeObject): void {
    const ns = p.metadata.namespace ?? 'default';
    const spec = (p.spec ?? {}) as {
      targetRefs?: Array<{ group?: string; kind?: string; name?: string }>;
      validation?: { caCertificateRefs?: Array<{ group?: string; kind?: string; name?: string }>; wellKnownCACertificates?: string; hostname?: string };
    };
    const v = spec.validation ?? {};
    const fail = (reason: string, message: string) => {
      outcome.set(p, { ok: false, reason, message, used: new Set() });
      errors.push({ provider: opts.provider, source: `${ns}/BackendTLSPolicy/${p.metadata.name}`, path: 'spec.validation', message });
    };
    if (!v.hostname) return fail('Invalid', 'validation.hostname is required');
    const roots: string[] = [];
    let bad: string | undefined;
    for (const ref of v.caCertificateRefs ?? []) {
      const cm = (ref.group ?? '') === '' && ref.kind === 'ConfigMap' ? cms.get(`${ns}/${ref.name}`) : undefined;
      const pem = (cm as { data?: Record<string, string> } | undefined)?.data?.['ca.crt'];
      if (!pem?.includes('-----BEGIN CERTIFICATE')) bad = `caCertificateRef ${ref.kind ?? ''} ${ns}/${ref.name ?? ''}: no ConfigMap with a PEM ca.crt`;
      else roots.push(pem);
    }
    if (bad) return fail('InvalidCACertificateRef', bad);
    if (roots.length === 0 && v.wellKnownCACertificates !== 'System') return fail('Invalid', 'give caCertificateRefs or wellKnownCACertificates: System');
    const transport = normalizeName(`${ns}-${p.metadata.name}-backendtls`);
    config.http.serversTransports[transport] = { serverName: v.hostname, ...(roots.length ? { rootCAs: roots } : {}) };
    outcome.set(p, { ok: true, reason: 'Accepted', message: 'backends are reached over TLS', used: new Set(), transport });
  }
  return {
    errors,
    transportFor(namespace, service, gateways) {
      const policy = byService.get(`${namespace}/${service}`);
      if (!policy) return undefined;
      const o = outcome.get(policy)!;
      for (const g of gateways) o.used.add(g);
      // An invalid policy must not turn into plain text to the backend: the backend is refused instead.
      return o.transport ? { serversTransport: o.transport } : { invalid: `BackendTLSPolicy ${namespace}/${policy.metadata.name}: ${o.message}` };
    },
    statuses(gateways, controllerName) {
      return [...outcome].flatMap(([p, o]): StatusUpdate[] => {
        const used = [...o.used].filter((g) => gateways.has(g));
        if (used.length === 0) return [];
        const gen = generationOf(p);
        return [
          {
            kind: 'BackendTLSPolicy',
            namespace: p.metadata.namespace,
            name: p.metadata.name!,
            object: p,
            status: {
              ancestors: used.map((g) => ({
                ancestorRef: { group: GATEWAY_GROUP, kind: 'Gateway', namespace: g.split('/')[0], name: g.split('/')[1] },
                controllerName,
                conditions: [
                  condition('Accepted', o.ok, o.ok ? 'Accepted' : 'Invalid', o.message, gen),
                  condition('ResolvedRefs', o.ok, o.ok ? 'ResolvedRefs' : o.reason, o.message, gen),
                ],
              })),
            },
          },
        ];
      });
    },
  };
}
