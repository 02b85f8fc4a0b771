/**
 * A Kubernetes Service reference of a layer-4 route (IngressRouteTCP,
 * IngressRouteUDP) → the `host:port` addresses of its ready endpoints (or its
 * cluster IP with nativeLB), ports matched by name as Kubernetes does.
 * `nodePortLB` is refused: Portico does not read Nodes.
 */
import { Problem, optBoolean, optInteger, referencedNamespace, reqString, type ConversionContext } from './conversion-context.js';

export interface ServiceAddresses {
  addresses: string[];
  /** The Service's name and the port as the reference wrote it, for Traefik's `<route>-<service>-<port>` names. */
  service: string;
  port: string;
  weight: number;
}

export function serviceAddresses(ref: Record<string, unknown>, ctx: ConversionContext, at: string): ServiceAddresses {
  if ('nodePortLB' in ref)
    throw new Problem(`${at}.nodePortLB`, '"nodePortLB" is not supported by Portico (it reads no Nodes); remove it (nativeLB sends to the cluster IP)');
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
    // The directory speaks URLs (it serves HTTP backends); a layer-4 server is the URL's host:port.
    urls = ctx.index.directory.resolve({ name, namespace: ns, port, scheme: 'http', nativeLB }, ctx.opts).urls;
  } catch (err) {
    throw new Problem(`${at}.port`, (err as Error).message);
  }
  return { addresses: urls.map((u) => u.slice('http://'.length)), service: name, port: String(port), weight };
}
