/**
 * IngressRouteTCP → TCP routers and services, named as Traefik names them:
 * route `match` of `<ns>/<name>` becomes router and service
 * `<ns>-<name>-<hash of match>`; a route with one Kubernetes Service gets a
 * load balancer over its ready endpoints under that name, several a weighted
 * service over one load balancer each (`<route>-<service>-<port>`). A
 * terminating `tls` serves the certificate of `secretName`; `passthrough`
 * relays the client's TLS bytes to the servers.
 */
import type { CertificateRef } from '../../dynamic/model.js';
import { emptyTcpConfig, type TcpConfig, type TcpRouter, type TcpService } from '../../dynamic/tcp-model.js';
import type { KubeObject } from './kube-objects.js';
import {
  Problem,
  asArray,
  asObject,
  certificateFromSecret,
  checkKeys,
  normalizeName,
  objectReference,
  optBoolean,
  optInteger,
  optString,
  qualifiedReference,
  reqString,
  routeKey,
  stringList,
  type ConversionContext,
} from './conversion-context.js';
import { serviceAddresses } from './service-addresses.js';
import { routeTlsOptions } from './tls.js';

const ROUTE_KEYS = ['match', 'priority', 'syntax', 'services', 'middlewares'];
const SERVICE_KEYS = ['name', 'namespace', 'port', 'weight', 'proxyProtocol', 'serversTransport', 'tls', 'nativeLB', 'nodePortLB', 'terminationDelay'];
const NO_ACME_TCP = 'certificates from a resolver are ordered for HTTP routers only; put the certificate in a Secret and name it in spec.tls.secretName';

/** The staged tcp section of the object being converted. */
export function stagedTcp(ctx: ConversionContext): TcpConfig {
  return (ctx.staged.tcp ??= emptyTcpConfig());
}

export function convertIngressRouteTcp(o: KubeObject, ctx: ConversionContext, certificates: CertificateRef[]): void {
  const spec = asObject(o.spec, 'spec');
  checkKeys(spec, ['entryPoints', 'routes', 'tls'], 'spec');
  const routes = asArray(spec.routes, 'spec.routes');
  if (routes.length === 0) throw new Problem('spec.routes', 'at least one route is required');
  const entryPoints = spec.entryPoints === undefined ? undefined : stringList(spec.entryPoints, 'spec.entryPoints');
  const tls = spec.tls === undefined ? undefined : routerTls(spec.tls, ctx, certificates);
  const tcp = stagedTcp(ctx);

  // A bad route is reported and left out; the other routes stay (Traefik's behaviour).
  routes.forEach((raw, i) => {
    const at = `spec.routes[${i}]`;
    const route: TcpConfig = emptyTcpConfig();
    let key: string;
    try {
      key = convertRoute(raw, at, ctx, route, entryPoints, tls);
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      ctx.partial.push(err);
      return;
    }
    if (tcp.routers[key]) {
      ctx.partial.push(new Problem(`${at}.match`, 'the same match appears twice in this IngressRouteTCP; merge the routes'));
      return;
    }
    Object.assign(tcp.routers, route.routers);
    Object.assign(tcp.services, route.services);
  });
  if (Object.keys(tcp.routers).length === 0 && ctx.partial.length) throw ctx.partial.pop()!;
}

function convertRoute(raw: unknown, at: string, ctx: ConversionContext, out: TcpConfig, entryPoints: string[] | undefined, tls: TcpRouter['tls']): string {
  const r = asObject(raw, at);
  checkKeys(r, ROUTE_KEYS, at);
  const match = reqString(r.match, `${at}.match`).trim();
  if (r.syntax !== undefined && r.syntax !== 'v3') throw new Problem(`${at}.syntax`, 'only the v3 rule syntax is supported');
  const priority = optInteger(r.priority, `${at}.priority`);
  const key = routeKey(ctx.ns, ctx.name, match);

  const services = asArray(r.services, `${at}.services`);
  if (services.length === 0) throw new Problem(`${at}.services`, 'at least one service is required');
  const balancers = services.map((s, j) => tcpLoadBalancer(s, ctx, `${at}.services[${j}]`));
  if (balancers.length === 1) out.services[key] = balancers[0]!.service;
  else
    out.services[key] = {
      weighted: {
        services: balancers.map((b) => {
          const name = normalizeName(`${key}-${b.name}-${b.port}`);
          out.services[name] = b.service;
          return { name, weight: b.weight };
        }),
      },
    };

  const middlewares = asArray(r.middlewares, `${at}.middlewares`).map((m, j) => {
    const mat = `${at}.middlewares[${j}]`;
    const ref = asObject(m, mat);
    checkKeys(ref, ['name', 'namespace'], mat);
    return objectReference(ref as { name: unknown; namespace?: unknown }, ctx, mat, 'MiddlewareTCP', ctx.index.middlewaresTcp);
  });

  const router: TcpRouter = { rule: match, service: key };
  if (entryPoints) router.entryPoints = entryPoints;
  if (middlewares.length) router.middlewares = middlewares;
  if (priority) router.priority = priority;
  if (tls) router.tls = tls;
  out.routers[key] = router;
  return key;
}

/** A Kubernetes Service reference → a TCP load balancer over its endpoints. */
function tcpLoadBalancer(raw: unknown, ctx: ConversionContext, at: string): { service: TcpService; name: string; port: string; weight: number } {
  const ref = asObject(raw, at);
  checkKeys(ref, SERVICE_KEYS, at);
  if (ref.terminationDelay !== undefined)
    throw new Problem(`${at}.terminationDelay`, 'terminationDelay on a service is deprecated in Traefik v3 and not read; set it on a ServersTransportTCP');
  const { addresses, service, port, weight } = serviceAddresses(ref, ctx, at);
  const tls = optBoolean(ref.tls, `${at}.tls`);
  const lb: NonNullable<TcpService['loadBalancer']> = { servers: addresses.map((address) => (tls ? { address, tls } : { address })) };
  if (ref.proxyProtocol !== undefined) {
    const pp = asObject(ref.proxyProtocol ?? {}, `${at}.proxyProtocol`);
    checkKeys(pp, ['version'], `${at}.proxyProtocol`);
    const version = optInteger(pp.version, `${at}.proxyProtocol.version`);
    if (version !== undefined && version !== 1 && version !== 2) throw new Problem(`${at}.proxyProtocol.version`, `must be 1 or 2, got ${version}`);
    // Traefik's default version is 2.
    lb.proxyProtocol = { version: version === 1 ? 1 : 2 };
  }
  const transport = optString(ref.serversTransport, `${at}.serversTransport`);
  if (transport) lb.serversTransport = serversTransportName(transport, ctx, `${at}.serversTransport`);
  return { service: { loadBalancer: lb }, name: service, port, weight };
}

/** Traefik resolves a service's serversTransport in the IngressRouteTCP's own namespace; `name@provider` passes through. */
function serversTransportName(name: string, ctx: ConversionContext, at: string): string {
  if (name.includes('@')) return qualifiedReference(name, ctx, at);
  if (!ctx.index.serversTransportsTcp.has(`${ctx.ns}/${name}`)) throw new Problem(at, `no ServersTransportTCP ${ctx.ns}/${name}`);
  return normalizeName(`${ctx.ns}-${name}`);
}

function routerTls(raw: unknown, ctx: ConversionContext, certificates: CertificateRef[]): NonNullable<TcpRouter['tls']> {
  const t = asObject(raw ?? {}, 'spec.tls');
  checkKeys(t, ['secretName', 'passthrough', 'options', 'store', 'certResolver', 'domains'], 'spec.tls');
  for (const k of ['certResolver', 'domains']) if (t[k] !== undefined) throw new Problem(`spec.tls.${k}`, NO_ACME_TCP);
  const tls: NonNullable<TcpRouter['tls']> = {};
  const passthrough = optBoolean(t.passthrough, 'spec.tls.passthrough');
  if (passthrough) tls.passthrough = true;
  const options = routeTlsOptions(t, ctx, 'IngressRouteTCP');
  if (options) tls.options = options;
  const secretName = optString(t.secretName, 'spec.tls.secretName');
  // A passthrough route never sees the handshake: Traefik reads no Secret for it.
  if (secretName && !passthrough) certificates.push(certificateFromSecret(ctx.ns, secretName, ctx, 'spec.tls.secretName'));
  return tls;
}
