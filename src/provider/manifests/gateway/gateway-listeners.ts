/**
 * A Gateway's listeners, resolved: each lands on the entry point listening
 * on its port (TCP for HTTP/HTTPS/TLS/TCP, a `/udp` one for UDP), takes its
 * TLS certificates from Secrets (across namespaces only with a
 * ReferenceGrant), says which route kinds it accepts and from which
 * namespaces, and carries the conditions the spec defines for it. The
 * Gateway's own status is built from them once routes have attached.
 */
import type { CertificateRef } from '../../../dynamic/model.js';
import { secretValue, type KubeObject } from '../kube-objects.js';
import {
  GATEWAY_GROUP,
  condition,
  generationOf,
  type GatewayCondition,
  type GatewayConversionOptions,
  type GatewayEntryPoint,
  type GroupKind,
} from './gateway-objects.js';
import type { ReferenceGrants } from './reference-grants.js';

export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP';

export interface ResolvedListener {
  gateway: KubeObject;
  name: string;
  port: number;
  protocol: string;
  hostname?: string;
  /** The entry point it lands on, when it has one. */
  entryPoint?: string;
  tlsMode?: 'Terminate' | 'Passthrough';
  supportedKinds: GroupKind[];
  /** Whether routes of this namespace may attach (allowedRoutes.namespaces). */
  admits(namespace: string): boolean;
  certificates: CertificateRef[];
  accepted: GatewayCondition;
  resolvedRefs: GatewayCondition;
  conflicted: GatewayCondition;
  attachedRoutes: number;
}

/** Routes attach only to a listener that is accepted, resolved and not in conflict. */
export function listenerUsable(l: ResolvedListener): boolean {
  return l.accepted.status === 'True' && l.resolvedRefs.status === 'True' && l.conflicted.status === 'False';
}

const STANDARD_KINDS: Record<ListenerProtocol, string[]> = {
  HTTP: ['HTTPRoute', 'GRPCRoute'],
  HTTPS: ['HTTPRoute', 'GRPCRoute'],
  TLS: ['TLSRoute'],
  TCP: ['TCPRoute'],
  UDP: ['UDPRoute'],
};
const EXPERIMENTAL_KINDS = new Set(['TLSRoute', 'TCPRoute', 'UDPRoute']);

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** A Kubernetes label selector against a set of labels (an empty selector matches everything). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    const ok =
      e.operator === 'In'
        ? has && values.includes(labels[e.key]!)
        : e.operator === 'NotIn'
          ? !has || !values.includes(labels[e.key]!)
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

export interface ListenerInputs {
  opts: GatewayConversionOptions;
  grants: ReferenceGrants;
  secrets: Map<string, KubeObject>;
  namespaceLabels: Map<string, Record<string, string>>;
}

export function resolveListeners(gateway: KubeObject, inputs: ListenerInputs): ResolvedListener[] {
  const { opts } = inputs;
  const gen = generationOf(gateway);
  const ns = gateway.metadata.namespace ?? 'default';
  const spec = (gateway.spec ?? {}) as { listeners?: unknown };
  const raw = (Array.isArray(spec.listeners) ? spec.listeners : []) as Array<Record<string, unknown>>;
  const out = raw.map((l): ResolvedListener => {
    const name = typeof l.name === 'string' ? l.name : '';
    const port = typeof l.port === 'number' ? l.port : 0;
    const protocol = typeof l.protocol === 'string' ? l.protocol : '';
    const hostname = typeof l.hostname === 'string' && l.hostname ? l.hostname : undefined;
    const listener: ResolvedListener = {
      gateway,
      name,
      port,
      protocol,
      ...(hostname ? { hostname } : {}),
      supportedKinds: [],
      admits: allowedNamespaces(l.allowedRoutes, ns, inputs.namespaceLabels),
      certificates: [],
      accepted: condition('Accepted', true, 'Accepted', 'the listener is accepted', gen),
      resolvedRefs: condition('ResolvedRefs', true, 'ResolvedRefs', 'every reference of the listener is resolved', gen),
      conflicted: condition('Conflicted', false, 'NoConflicts', 'no other listener conflicts with this one', gen),
      attachedRoutes: 0,
    };
    if (!(protocol in STANDARD_KINDS)) {
      listener.accepted = condition('Accepted', false, 'UnsupportedProtocol', `protocol "${protocol}" is not one of HTTP, HTTPS, TLS, TCP, UDP`, gen);
      return listener;
    }
    const kinds = STANDARD_KINDS[protocol as ListenerProtocol].filter((k) => opts.experimentalChannel || !EXPERIMENTAL_KINDS.has(k));
    if (kinds.length === 0) {
      listener.accepted = condition(
        'Accepted',
        false,
        'UnsupportedProtocol',
        `${protocol} listeners carry ${STANDARD_KINDS[protocol as ListenerProtocol].join(', ')}, which the provider reads only with experimentalChannel: true`,
        gen,
      );
      return listener;
    }
    listener.supportedKinds = routeKinds(l.allowedRoutes, kinds, listener, gen);
    const ep: GatewayEntryPoint | undefined = opts.entryPoints.find((e) => e.port === port && e.udp === (protocol === 'UDP'));
    if (ep) listener.entryPoint = ep.name;
    else
      listener.accepted = condition(
        'Accepted',
        false,
        'PortUnavailable',
        `no ${protocol === 'UDP' ? 'UDP ' : ''}entry point listens on port ${port} (entry points: ${
          opts.entryPoints.map((e) => `${e.name} :${e.port}${e.udp ? '/udp' : ''}`).join(', ') || 'none'
        })`,
        gen,
      );
    if (protocol === 'HTTPS' || protocol === 'TLS') resolveTls(l.tls, listener, ns, inputs, gen);
    return listener;
  });
  markConflicts(out, gen);
  return out;
}

function allowedNamespaces(raw: unknown, gatewayNs: string, labels: Map<string, Record<string, string>>): (ns: string) => boolean {
  const allowed = (raw ?? {}) as { namespaces?: { from?: string; selector?: LabelSelector } };
  const from = allowed.namespaces?.from ?? 'Same';
  if (from === 'All') return () => true;
  if (from === 'Selector') {
    const selector = allowed.namespaces?.selector ?? {};
    return (ns) => selectorMatches(selector, labels.get(ns) ?? { 'kubernetes.io/metadata.name': ns });
  }
  return (ns) => ns === gatewayNs;
}

/** allowedRoutes.kinds filtered to what the protocol carries; an unknown one makes ResolvedRefs False (InvalidRouteKinds). */
function routeKinds(raw: unknown, carried: string[], listener: ResolvedListener, gen: number | undefined): GroupKind[] {
  const asked = ((raw ?? {}) as { kinds?: Array<{ group?: string; kind?: string }> }).kinds;
  if (!asked?.length) return carried.map((kind) => ({ group: GATEWAY_GROUP, kind }));
  const out: GroupKind[] = [];
  const refused: string[] = [];
  for (const k of asked) {
    const group = k.group ?? GATEWAY_GROUP;
    if (group === GATEWAY_GROUP && k.kind && carried.includes(k.kind)) out.push({ group, kind: k.kind });
    else refused.push(`${group}/${k.kind ?? ''}`);
  }
  if (refused.length)
    listener.resolvedRefs = condition(
      'ResolvedRefs',
      false,
      'InvalidRouteKinds',
      `route kinds ${refused.join(', ')} cannot attach to a ${listener.protocol} listener (it carries ${carried.join(', ')})`,
      gen,
    );
  return out;
}

function resolveTls(raw: unknown, listener: ResolvedListener, ns: string, inputs: ListenerInputs, gen: number | undefined): void {
  const tls = (raw ?? {}) as { mode?: string; certificateRefs?: Array<{ group?: string; kind?: string; name?: string; namespace?: string }> };
  const mode = tls.mode ?? 'Terminate';
  if (mode !== 'Terminate' && mode !== 'Passthrough') {
    listener.accepted = condition('Accepted', false, 'UnsupportedValue', `tls.mode "${mode}" is not Terminate or Passthrough`, gen);
    return;
  }
  listener.tlsMode = mode;
  if (listener.protocol === 'HTTPS' && mode === 'Passthrough') {
    listener.accepted = condition('Accepted', false, 'UnsupportedValue', 'an HTTPS listener terminates TLS; use protocol TLS for Passthrough', gen);
    return;
  }
  if (listener.protocol === 'TLS' && mode === 'Terminate') {
    listener.accepted = condition('Accepted', false, 'UnsupportedValue', 'TLS listeners are Passthrough here; terminate TLS with an HTTPS listener', gen);
    return;
  }
  if (mode === 'Passthrough') return;
  const refs = tls.certificateRefs ?? [];
  if (refs.length === 0) {
    listener.resolvedRefs = condition('ResolvedRefs', false, 'InvalidCertificateRef', 'an HTTPS listener needs tls.certificateRefs', gen);
    return;
  }
  for (const ref of refs) {
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'Secret';
    const target = `${ref.namespace ?? ns}/${ref.name ?? ''}`;
    if (group !== '' || kind !== 'Secret') {
      listener.resolvedRefs = condition('ResolvedRefs', false, 'InvalidCertificateRef', `certificateRef ${group}/${kind} ${target} is not a Secret`, gen);
      return;
    }
    const secretNs = ref.namespace ?? ns;
    if (
      !inputs.grants.allows({ group: GATEWAY_GROUP, kind: 'Gateway', namespace: ns }, { group: '', kind: 'Secret', namespace: secretNs, name: ref.name ?? '' })
    ) {
      listener.resolvedRefs = condition(
        'ResolvedRefs',
        false,
        'RefNotPermitted',
        `Secret ${target} is in another namespace and no ReferenceGrant there allows Gateways of ${ns} to use it`,
        gen,
      );
      return;
    }
    const secret = inputs.secrets.get(target);
    const cert = secret && secretValue(secret, 'tls.crt');
    const key = secret && secretValue(secret, 'tls.key');
    if (!cert || !key || !cert.includes('-----BEGIN') || !key.includes('-----BEGIN')) {
      listener.resolvedRefs = condition(
        'ResolvedRefs',
        false,
        'InvalidCertificateRef',
        secret ? `Secret ${target} has no PEM tls.crt and tls.key` : `no Secret ${target}`,
        gen,
      );
      return;
    }
    listener.certificates.push({ certFile: cert, keyFile: key });
  }
}

/** Two listeners on one port with the same hostname and protocol family, or a TCP listener beside any other: Conflicted. */
function markConflicts(listeners: ResolvedListener[], gen: number | undefined): void {
  const family = (p: string) => (p === 'UDP' ? 'udp' : p === 'TCP' ? 'tcp' : 'tls-http');
  for (const a of listeners) {
    if (a.accepted.status !== 'True') continue;
    for (const b of listeners) {
      if (a === b || b.accepted.status !== 'True' || a.port !== b.port || (a.protocol === 'UDP') !== (b.protocol === 'UDP')) continue;
      if (family(a.protocol) !== family(b.protocol) || (a.protocol === 'TCP' && b.protocol === 'TCP'))
        a.conflicted = condition('Conflicted', true, 'ProtocolConflict', `listener ${b.name} uses port ${a.port} with protocol ${b.protocol}`, gen);
      else if (a.protocol === b.protocol && (a.hostname ?? '') === (b.hostname ?? ''))
        a.conflicted = condition('Conflicted', true, 'HostnameConflict', `listener ${b.name} has the same port, protocol and hostname`, gen);
    }
  }
}

const UNSUPPORTED_ADDRESS = 'spec.addresses cannot be honoured: Portico is reached at its own Service address';

/** What its status says is wrong with the Gateway, as problems reported on it (`/api/errors`, a Warning Event). */
export function gatewayProblems(gateway: KubeObject, listeners: ResolvedListener[]): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  if (((gateway.spec ?? {}) as { addresses?: unknown[] }).addresses?.length)
    out.push({ path: 'spec.addresses', message: `UnsupportedAddress: ${UNSUPPORTED_ADDRESS}` });
  for (const l of listeners) {
    if (listenerUsable(l)) continue;
    const failing = [l.accepted, l.resolvedRefs].filter((c) => c.status !== 'True');
    if (l.conflicted.status === 'True') failing.push(l.conflicted);
    out.push({ path: 'spec.listeners', message: `listener ${l.name}: ${failing.map((c) => `${c.reason}: ${c.message}`).join('; ')}` });
  }
  return out;
}

/** The Gateway's status: its conditions, addresses, and each listener's. */
export function gatewayStatus(gateway: KubeObject, listeners: ResolvedListener[], opts: GatewayConversionOptions): Record<string, unknown> {
  const gen = generationOf(gateway);
  const spec = (gateway.spec ?? {}) as { addresses?: unknown[] };
  const usable = listeners.filter(listenerUsable);
  let accepted: GatewayCondition;
  if (spec.addresses?.length) accepted = condition('Accepted', false, 'UnsupportedAddress', UNSUPPORTED_ADDRESS, gen);
  else if (usable.length === listeners.length) accepted = condition('Accepted', true, 'Accepted', 'the Gateway is accepted', gen);
  else
    accepted = condition(
      'Accepted',
      true,
      'ListenersNotValid',
      `listeners not valid: ${listeners
        .filter((l) => !listenerUsable(l))
        .map((l) => l.name)
        .join(', ')}`,
      gen,
    );
  const programmed =
    accepted.status === 'True' && usable.length > 0
      ? condition('Programmed', true, 'Programmed', 'the Gateway is served', gen)
      : condition('Programmed', false, 'Invalid', usable.length ? accepted.message : 'no listener is valid', gen);
  return {
    ...(opts.addresses ? { addresses: opts.addresses.map((a) => ({ ...a })) } : {}),
    conditions: [accepted, programmed],
    listeners: listeners.map((l) => ({
      name: l.name,
      supportedKinds: l.supportedKinds.map((k) => ({ ...k })),
      attachedRoutes: l.attachedRoutes,
      conditions: [
        l.accepted,
        condition(
          'Programmed',
          listenerUsable(l),
          listenerUsable(l) ? 'Programmed' : 'Invalid',
          listenerUsable(l) ? `served on entry point ${l.entryPoint}` : 'the listener is not valid',
          gen,
        ),
        l.resolvedRefs,
        l.conflicted,
      ],
    })),
  };
}
