/**
 * TLSRoute, TCPRoute and UDPRoute → our TCP and UDP routers. A TLSRoute on a
 * Passthrough TLS listener relays the TLS bytes of the SNIs it names
 * (HostSNI, HostSNIRegexp for wildcards) to its backends; a TCPRoute takes
 * every connection of its TCP listener (HostSNI(`*`)); a UDPRoute ties its
 * UDP listener's entry point to its backends. Backends are the Services'
 * ready endpoints, several of them weighted.
 */
import type { ConfigError } from '../../../dynamic/model.js';
import type { TcpService } from '../../../dynamic/tcp-model.js';
import type { UdpService } from '../../../dynamic/model.js';
import { emptyTcpConfig } from '../../../dynamic/tcp-model.js';
import { normalizeName } from '../conversion-context.js';
import type { KubeObject } from '../kube-objects.js';
import { followBackendRef, type BackendProblem } from './backend-refs.js';
import { generationOf } from './gateway-objects.js';
import type { RouteContext, RouteResult } from './http-route.js';
import { attachRoute, attachmentProblems, parentStatuses } from './route-parents.js';

type L4Kind = 'TLSRoute' | 'TCPRoute' | 'UDPRoute';

function sniRule(hostnames: string[] | undefined): string {
  if (!hostnames?.length) return 'HostSNI(`*`)';
  const parts = hostnames.map((h) => (h.startsWith('*.') ? `HostSNIRegexp(\`^[^.]+(\\.[^.]+)*${h.slice(1).replace(/\./g, '\\.')}$\`)` : `HostSNI(\`${h}\`)`));
  return parts.join(' || ');
}

export function convertL4Route(route: KubeObject, kind: L4Kind, ctx: RouteContext): RouteResult {
  const ns = route.metadata.namespace ?? 'default';
  const name = route.metadata.name!;
  const spec = (route.spec ?? {}) as { hostnames?: unknown; rules?: unknown };
  const hostnames = kind === 'TLSRoute' ? (Array.isArray(spec.hostnames) ? spec.hostnames : []).filter((h): h is string => typeof h === 'string') : undefined;
  const outcomes = attachRoute(route, kind, hostnames, ctx.gateways);
  if (outcomes.length === 0) return { parents: [], errors: [] };
  const ancestors = outcomes.filter((o) => o.attachments.length).map((o) => `${String(o.parentRef.namespace)}/${String(o.parentRef.name)}`);
  const local: RouteContext = { ...ctx, ancestors };
  const problems: BackendProblem[] = [];
  let unsupported: string | undefined;
  const rules = (Array.isArray(spec.rules) ? spec.rules : []) as Array<{ backendRefs?: unknown }>;
  if (rules.length !== 1) unsupported = `spec.rules: exactly one rule is supported, got ${rules.length}`;

  // Backends: `host:port` of each ready endpoint, by Service.
  const members: Array<{ id: string; addresses: string[]; weight: number }> = [];
  for (const raw of (Array.isArray(rules[0]?.backendRefs) ? rules[0].backendRefs : []) as Array<Record<string, unknown>>) {
    const b = followBackendRef(raw, route, local, 'http');
    if ('problem' in b) {
      problems.push(b.problem);
      continue;
    }
    const weight = typeof raw.weight === 'number' ? raw.weight : 1;
    if (weight > 0)
      members.push({
        id: normalizeName(`${b.namespace}-${b.name}-${b.port}-${kind === 'UDPRoute' ? 'udp' : 'tcp'}`),
        addresses: b.urls.map((u) => u.replace(/^[a-z0-9]+:\/\//, '')),
        weight,
      });
  }
  const base = normalizeName(`${ns}-${name}`);
  const services: Record<string, TcpService & UdpService> = {};
  for (const m of members) services[m.id] = { loadBalancer: { servers: m.addresses.map((address) => ({ address })) } };
  let service: string;
  if (members.length === 1) service = members[0]!.id;
  else {
    service = members.length ? `${base}-wrr` : `${base}-unavailable`;
    services[service] = members.length ? { weighted: { services: members.map((m) => ({ name: m.id, weight: m.weight })) } } : { loadBalancer: { servers: [] } };
  }

  const errors: ConfigError[] = [];
  const source = `${ns}/${kind}/${name}`;
  if (!unsupported) {
    const tcp = (ctx.staged.tcp ??= emptyTcpConfig());
    for (const o of outcomes)
      for (const a of o.attachments) {
        const l = a.listener;
        const routerName = normalizeName(`${ns}-${name}-${l.gateway.metadata.namespace}-${l.gateway.metadata.name}-${l.name}`);
        if (kind === 'UDPRoute') {
          const taken = Object.entries(ctx.staged.udp.routers).find(([, r]) => r.entryPoints?.includes(l.entryPoint!));
          if (taken) {
            unsupported = `listener ${l.name} already carries UDP router ${taken[0]}: a UDP entry point has one route`;
            continue;
          }
          ctx.staged.udp.routers[routerName] = { entryPoints: [l.entryPoint!], service };
        } else
          tcp.routers[routerName] = {
            rule: kind === 'TLSRoute' ? sniRule(a.hostnames) : 'HostSNI(`*`)',
            entryPoints: [l.entryPoint!],
            service,
            ...(kind === 'TLSRoute' ? { tls: { passthrough: true } } : {}),
          };
      }
    if (kind === 'UDPRoute') Object.assign(ctx.staged.udp.services, services);
    else Object.assign(tcp.services, services);
  }
  for (const p of attachmentProblems(outcomes)) errors.push({ provider: ctx.opts.provider, source, ...p });
  if (unsupported) errors.push({ provider: ctx.opts.provider, source, path: 'spec', message: unsupported });
  for (const p of problems) errors.push({ provider: ctx.opts.provider, source, path: 'spec.rules', message: `${p.reason}: ${p.message}` });
  return { parents: parentStatuses(outcomes, unsupported, problems, generationOf(route), ctx.controllerName), errors };
}
