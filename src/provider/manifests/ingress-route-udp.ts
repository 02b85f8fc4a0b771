/**
 * IngressRouteUDP → UDP routers and services, named as Traefik names them:
 * route `i` of `<ns>/<name>` becomes router and service `<ns>-<name>-<i>`. A
 * route with one Kubernetes Service gets a load balancer over its ready
 * endpoints under that name; several get a weighted service of that name
 * over one load balancer each (`<ns>-<name>-<i>-<service>-<port>`).
 */
import type { UdpLoadBalancerService } from '../../dynamic/model.js';
import type { KubeObject } from './kube-objects.js';
import { Problem, asArray, asObject, checkKeys, normalizeName, stringList, type ConversionContext } from './conversion-context.js';
import { serviceAddresses } from './service-addresses.js';

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
  checkKeys(ref, REFERENCE_KEYS, at);
  const { addresses, service, port, weight } = serviceAddresses(ref, ctx, at);
  return { lb: { servers: addresses.map((address) => ({ address })) }, service, port, weight };
}
