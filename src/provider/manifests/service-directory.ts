/**
 * Resolve an IngressRoute/Ingress service reference (`name`, `port`,
 * `namespace`) to backend URLs: the Service's port → targetPort, then the
 * ready addresses of its EndpointSlices (or Endpoints). `nativeLB` uses the
 * ClusterIP instead; ExternalName services only when allowed.
 */
import type { IndexedObject, KubeObject } from './kube-objects.js';

export interface ServiceRef {
  name: string;
  namespace: string;
  port?: number | string;
  scheme?: string;
  nativeLB?: boolean;
}

export interface ResolvedBackend {
  urls: string[];
}

interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

export class ServiceDirectory {
  private readonly services = new Map<string, KubeObject>();
  private readonly slices = new Map<string, KubeObject[]>();
  private readonly endpoints = new Map<string, KubeObject>();

  constructor(objects: IndexedObject[]) {
    for (const { object: o } of objects) {
      const ns = o.metadata.namespace ?? 'default';
      if (o.kind === 'Service') this.services.set(`${ns}/${o.metadata.name}`, o);
      else if (o.kind === 'Endpoints') this.endpoints.set(`${ns}/${o.metadata.name}`, o);
      else if (o.kind === 'EndpointSlice') {
        const svc = o.metadata.labels?.['kubernetes.io/service-name'];
        if (!svc) continue;
        const key = `${ns}/${svc}`;
        (this.slices.get(key) ?? this.slices.set(key, []).get(key)!).push(o);
      }
    }
  }

  has(namespace: string, name: string): boolean {
    return this.services.has(`${namespace}/${name}`);
  }

  /** The Service's port numbers in the order it lists them; undefined when there is no such Service. */
  ports(namespace: string, name: string): number[] | undefined {
    const svc = this.services.get(`${namespace}/${name}`);
    if (!svc) return undefined;
    return (((svc.spec ?? {}) as { ports?: ServicePort[] }).ports ?? []).map((p) => p.port);
  }

  /** The Service's annotations (Traefik reads `service.*` settings for Ingress backends there). */
  annotations(namespace: string, name: string): Record<string, string> {
    return this.services.get(`${namespace}/${name}`)?.metadata.annotations ?? {};
  }

  /** Throws an Error whose message says what is missing. */
  resolve(ref: ServiceRef, opts: { allowExternalNameServices?: boolean; nativeLB?: boolean }): ResolvedBackend {
    const svc = this.services.get(`${ref.namespace}/${ref.name}`);
    if (!svc) throw new Error(`no Service ${ref.namespace}/${ref.name}`);
    const spec = (svc.spec ?? {}) as { type?: string; ports?: ServicePort[]; clusterIP?: string; externalName?: string };
    const ports = spec.ports ?? [];
    const port = spec.type === 'ExternalName' ? externalNamePort(ref, ports) : servicePort(ref, ports);
    // Traefik's rule: port 443 or a port named https… speaks TLS unless the reference says otherwise.
    const scheme = ref.scheme ?? (port.port === 443 || port.name?.startsWith('https') ? 'https' : 'http');
    if (!['http', 'https', 'h2c'].includes(scheme)) throw new Error(`scheme "${scheme}" is not one of http, https, h2c`);
    if (spec.type === 'ExternalName') {
      if (!opts.allowExternalNameServices)
        throw new Error(`Service ${ref.namespace}/${ref.name} is of type ExternalName, which allowExternalNameServices does not permit`);
      return { urls: [`${scheme}://${hostPort(spec.externalName!, port.port)}`] };
    }
    if (ref.nativeLB ?? opts.nativeLB) {
      if (!spec.clusterIP || spec.clusterIP === 'None') throw new Error(`Service ${ref.namespace}/${ref.name} has no ClusterIP for nativeLB`);
      return { urls: [`${scheme}://${hostPort(spec.clusterIP, port.port)}`] };
    }
    const urls = new Set<string>();
    // Kubernetes matches a Service port to an endpoint port by name (both unnamed when the
    // Service has one port): a slice without that name serves other ports, not this one.
    const portName = port.name ?? '';
    for (const slice of this.slices.get(`${ref.namespace}/${ref.name}`) ?? []) {
      const sp = ((slice.ports ?? []) as Array<{ name?: string; port?: number }>).find((p) => (p.name ?? '') === portName);
      if (sp?.port === undefined) continue;
      for (const ep of (slice.endpoints ?? []) as Array<{ addresses?: string[]; conditions?: { ready?: boolean } }>) {
        if (ep.conditions?.ready === false) continue;
        for (const a of ep.addresses ?? []) urls.add(`${scheme}://${hostPort(a, sp.port)}`);
      }
    }
    const legacy = this.endpoints.get(`${ref.namespace}/${ref.name}`);
    if (urls.size === 0 && legacy) {
      for (const subset of (legacy.subsets ?? []) as Array<{ addresses?: Array<{ ip: string }>; ports?: Array<{ name?: string; port: number }> }>) {
        const sp = subset.ports?.find((p) => (p.name ?? '') === portName);
        if (!sp) continue;
        for (const a of subset.addresses ?? []) urls.add(`${scheme}://${hostPort(a.ip, sp.port)}`);
      }
    }
    // No ready endpoint is not an error: the service exists and answers 503 until pods are ready.
    return { urls: [...urls] };
  }
}

/** The Service port a reference names; without a port, the Service's only one. */
function servicePort(ref: ServiceRef, ports: ServicePort[]): ServicePort {
  const describe = () => ports.map((p) => (p.name ? `${p.port}/${p.name}` : String(p.port))).join(', ') || 'none';
  if (ref.port === undefined) {
    if (ports.length === 1) return ports[0]!;
    throw new Error(
      ports.length === 0
        ? `Service ${ref.namespace}/${ref.name} has no ports`
        : `Service ${ref.namespace}/${ref.name} has several ports (${describe()}); say which with port`,
    );
  }
  const port = ports.find((p) => (typeof ref.port === 'number' ? p.port === ref.port : p.name === ref.port || String(p.port) === ref.port));
  if (!port) throw new Error(`Service ${ref.namespace}/${ref.name} has no port ${JSON.stringify(ref.port)} (it has ${describe()})`);
  return port;
}

/**
 * An ExternalName Service often lists no ports: as Traefik does, a port the
 * Service does not list is taken from the reference, which must then give a number.
 */
function externalNamePort(ref: ServiceRef, ports: ServicePort[]): ServicePort {
  const listed = ports.find((p) => (typeof ref.port === 'number' ? p.port === ref.port : p.name === ref.port || String(p.port) === ref.port));
  if (listed) return listed;
  if (ref.port === undefined) {
    if (ports.length === 1) return ports[0]!;
    throw new Error(
      `Service ${ref.namespace}/${ref.name} is an ExternalName Service with ${ports.length ? 'several ports' : 'no ports'}; give the port number in the reference`,
    );
  }
  if (typeof ref.port === 'string' && !/^\d+$/.test(ref.port))
    throw new Error(
      `Service ${ref.namespace}/${ref.name} is an ExternalName Service without a port named ${JSON.stringify(ref.port)}; give the port number in the reference`,
    );
  return { port: Number(ref.port) };
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
