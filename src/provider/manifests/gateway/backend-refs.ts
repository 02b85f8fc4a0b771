/**
 * A route rule's backendRefs → one service name: the Service's ready
 * endpoints as a load balancer (`<ns>-<service>-<port>`, as our Ingress
 * conversion names it), several of them under a weighted service. A
 * reference that cannot be followed (another kind, no such Service, another
 * namespace without a ReferenceGrant) makes the route's ResolvedRefs False
 * with the spec's reason, and its share of the traffic goes to
 * `unresolved-backend@internal`, which answers 500 as the spec says.
 */
import type { DynamicConfig, ServersTransport } from '../../../dynamic/model.js';
import { normalizeName, shortHash } from '../conversion-context.js';
import type { KubeObject } from '../kube-objects.js';
import type { ServiceDirectory } from '../service-directory.js';
import { GATEWAY_GROUP, type GatewayConversionOptions } from './gateway-objects.js';
import type { ReferenceGrants } from './reference-grants.js';

export interface BackendContext {
  opts: GatewayConversionOptions;
  directory: ServiceDirectory;
  grants: ReferenceGrants;
  staged: DynamicConfig;
  /** How the backends are spoken to: `h2c` for gRPC; https with a transport when a BackendTLSPolicy covers the Service. */
  backendTls: (namespace: string, service: string, gateways: readonly string[]) => { serversTransport: string } | { invalid: string } | undefined;
  /** The Gateways (`ns/name`) the route being converted is attached to (a BackendTLSPolicy's status names them). */
  ancestors: readonly string[];
  /** The rule's timeouts (backendRequest, else request): how long a backend may take to answer with its headers. */
  responseTimeout?: string;
  /** ServersTransports defined so far (a BackendTLSPolicy's), which a timeout extends. */
  transports: Record<string, ServersTransport>;
}

export interface BackendProblem {
  reason: 'InvalidKind' | 'BackendNotFound' | 'RefNotPermitted' | 'InvalidCACertificateRef';
  message: string;
}

export interface ResolvedBackends {
  service: string;
  problems: BackendProblem[];
}

export interface FollowedBackend {
  namespace: string;
  name: string;
  port: number;
  /** `scheme://host:port` of each ready endpoint. */
  urls: string[];
  /** The BackendTLSPolicy's transport, when one covers the Service. */
  tls: { serversTransport: string } | undefined;
}

/** Follow one backendRef to its Service's endpoints, or say why it cannot be followed. */
export function followBackendRef(
  raw: Record<string, unknown>,
  route: KubeObject,
  ctx: BackendContext,
  scheme: 'http' | 'h2c',
): FollowedBackend | { problem: BackendProblem } {
  const routeNs = route.metadata.namespace ?? 'default';
  const group = typeof raw.group === 'string' ? raw.group : '';
  const kind = typeof raw.kind === 'string' ? raw.kind : 'Service';
  const name = typeof raw.name === 'string' ? raw.name : '';
  const ns = typeof raw.namespace === 'string' && raw.namespace ? raw.namespace : routeNs;
  if (group !== '' || kind !== 'Service')
    return { problem: { reason: 'InvalidKind', message: `backendRef ${group ? `${group}/` : ''}${kind} ${name}: only core Services are supported` } };
  if (!ctx.grants.allows({ group: GATEWAY_GROUP, kind: route.kind, namespace: routeNs }, { group: '', kind: 'Service', namespace: ns, name }))
    return {
      problem: {
        reason: 'RefNotPermitted',
        message: `Service ${ns}/${name} is in another namespace and no ReferenceGrant there allows ${route.kind}s of ${routeNs} to use it`,
      },
    };
  if (typeof raw.port !== 'number') return { problem: { reason: 'BackendNotFound', message: `backendRef to Service ${ns}/${name} needs a port` } };
  const tls = ctx.backendTls(ns, name, ctx.ancestors);
  if (tls && 'invalid' in tls) return { problem: { reason: 'InvalidCACertificateRef', message: tls.invalid } };
  try {
    const urls = ctx.directory.resolve({ name, namespace: ns, port: raw.port, scheme: tls ? 'https' : scheme }, ctx.opts).urls;
    return { namespace: ns, name, port: raw.port, urls, tls };
  } catch (err) {
    return { problem: { reason: 'BackendNotFound', message: (err as Error).message } };
  }
}

/** One backendRef → a load-balancer service name, or a problem. */
export function backendService(
  raw: Record<string, unknown>,
  route: KubeObject,
  ctx: BackendContext,
  scheme: 'http' | 'h2c',
): { name: string } | { problem: BackendProblem } {
  const b = followBackendRef(raw, route, ctx, scheme);
  if ('problem' in b) return b;
  const effective = b.tls ? 'https' : scheme;
  let transport = b.tls?.serversTransport;
  if (ctx.responseTimeout) {
    // The policy's transport (if any) with the rule's timeout: one per (Service, timeout).
    const base = transport ? ctx.transports[transport] : undefined;
    const timed: ServersTransport = { ...base, forwardingTimeouts: { ...base?.forwardingTimeouts, responseHeaderTimeout: ctx.responseTimeout } };
    transport = normalizeName(`${transport ?? `${b.namespace}-${b.name}`}-timeout-${ctx.responseTimeout}`);
    ctx.staged.http.serversTransports[transport] = timed;
  }
  const id = normalizeName(`${b.namespace}-${b.name}-${b.port}${effective === 'http' ? '' : `-${effective}`}${transport ? `-${shortHash(transport)}` : ''}`);
  ctx.staged.http.services[id] = { loadBalancer: { servers: b.urls.map((url) => ({ url })), ...(transport ? { serversTransport: transport } : {}) } };
  return { name: id };
}

/** Where requests meant for a backendRef that cannot be followed go: it answers 500 (src/api/internal-services.ts). */
export const UNRESOLVED_BACKEND = 'unresolved-backend@internal';

/** A rule's backendRefs → the service the rule's routers use (`base` names the weighted service). */
export function ruleBackends(refs: unknown, route: KubeObject, base: string, ctx: BackendContext, scheme: 'http' | 'h2c'): ResolvedBackends {
  const list = (Array.isArray(refs) ? refs : []) as Array<Record<string, unknown>>;
  const problems: BackendProblem[] = [];
  const weighted: Array<{ name: string; weight: number }> = [];
  for (const raw of list) {
    const weight = typeof raw.weight === 'number' ? raw.weight : 1;
    const resolved = backendService(raw, route, ctx, scheme);
    if ('problem' in resolved) {
      problems.push(resolved.problem);
      // The spec: requests that would have gone to an invalid backend fail; the others are still served.
      if (weight > 0) weighted.push({ name: UNRESOLVED_BACKEND, weight });
      continue;
    }
    if (weight > 0) weighted.push({ name: resolved.name, weight });
  }
  if (weighted.length === 0) return { service: UNRESOLVED_BACKEND, problems };
  if (weighted.length === 1) return { service: weighted[0]!.name, problems };
  const name = `${base}-wrr`;
  ctx.staged.http.services[name] = { weighted: { services: weighted.map((w) => ({ name: w.name, weight: w.weight })) } };
  return { service: name, problems };
}
