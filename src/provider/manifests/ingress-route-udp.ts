/**
 * IngressRouteUDP → UDP routers and services, named as Traefik names them:
 * route `i` of `<ns>/<name>` becomes router and service `<ns>-<name>-<i>`. A
 * route with one Kubernetes Service gets a load balancer over its ready
 * endpoints under that name; several get a weighted service of that name
 * over one load balancer each (`<ns>-<name>-<i>-<service>-<port>`).
 */
import type { UdpLoadBalancerService } from '../../dynamic/model.js';
import type { KubeObject } from './kube-objects.js';
import {
  Problem,
  asArray,
  asObject,
  checkKeys,
  normalizeName,
  optBoolean,
  optInteger,
  referencedNamespace,
  reqString,
  stringList,
  type ConversionContext,
} from './conversion-context.js';

const REFERENCE_KEYS = ['name', 'namespace', 'port', 'weight', 'nativeLB', 'nodePortLB'];

export function convertIngressRouteUdp(o: KubeObject, ctx: ConversionContext): void {
  const spec = asObject(o.spec, 'spec');
  checkKeys(spec, ['entryPoints', 'routes'], 'spec');
  const routes = asArray(spec.routes, 'spec.routes');
  if (routes.length === 0) throw new Problem('spec.routes', 'at least one route is required');
  const entryPoints = spec.entryPoints === undefined ? undefined : stringList(spec.entryPoints, 'spec.entryPoints');
  routes.forEach((raw, i) => {
    const at = `spec.routes[${i}]`;
    const route = asObject(raw, at);
    checkKeys(route, ['services'], at);
    const services = asArray(route.services, `${at}.services`);
    if (services.length === 0) throw new Problem(`${at}.services`, 'at least one service is required');
    const key = normalizeName(`${ctx.ns}-${ctx.name}-${i}`);
    const balancers = services.map((s, j) => udpLoadBalancer(s, ctx, `${at}.services[${j}]`));
    if (balancers.length === 1) ctx.staged.udp.services[key] = { loadBalancer: balancers[0]!.lb };
    else {
      const members = balancers.map((b) => {
        const name = normalizeName(`${key}-${b.service}-${b.port}`);
        ctx.staged.udp.services[name] = { loadBalancer: b.lb };
        return { name, weight: b.weight };
      });
      ctx.staged.udp.services[key] = { weighted: { services: members } };
    }
    ctx.staged.udp.routers[key] = entryPoints ? { entryPoints, service: key } : { service: key };
  });
}

/** A Kubernetes Service reference → a UDP load balancer over its endpoints (host:port). */
function udpLoadBalancer(raw: unknown, ctx: ConversionContext, at: string): { lb: UdpLoadBalancerService; service: string; port: string; weight: number } {
  const ref = asObject(raw, at);
  if ('nodePortLB' in ref) throw new Problem(`${at}.nodePortLB`, '"nodePortLB" is not supported by Portico; remove it (nativeLB sends to the cluster IP)');
  checkKeys(ref, REFERENCE_KEYS, at);
  const name = reqString(ref.name, `${at}.name`);
  const ns = referencedNamespace(ref.namespace, ctx, at);
  const port = ref.port;
  if (port === undefined) throw new Problem(`${at}.port`, 'is required (a port number or a port name of the Service)');
  if (typeof port !== 'string' && !(typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536))
    throw new Problem(`${at}.port`, 'must be a port number (1-65535) or a port name');
  const weight = optInteger(ref.weight, `${at}.weight`, 0) ?? 1;
  const nativeLB = optBoolean(ref.nativeLB, `${at}.nativeLB`);
  if (!ctx.index.directory.has(ns, name)) throw new Problem(`${at}.name`, `no Service ${ns}/${name}`);
  let urls: string[];
  try {
    // The directory speaks URLs (it serves HTTP backends); a UDP server is the URL's host:port.
    urls = ctx.index.directory.resolve({ name, namespace: ns, port, scheme: 'http', nativeLB }, ctx.opts).urls;
  } catch (err) {
    throw new Problem(`${at}.port`, (err as Error).message);
  }
  return { lb: { servers: urls.map((u) => ({ address: u.slice('http://'.length) })) }, service: name, port: String(port), weight };
}
