/**
 * status.loadBalancer of the Ingresses Portico serves: the address clients
 * reach Portico at, so `kubectl get ingress` shows it and tools such as
 * external-dns can use it. Written only when it differs, one write at a time.
 */
import * as k8s from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { describeApiError, statusOf } from './api-error.js';
import type { ClusterView } from './cluster-view.js';

export interface LoadBalancerAddress {
  ip?: string;
  hostname?: string;
}

/**
 * Where clients reach Portico: the published Service's load balancer
 * (`namespace/name`), else the fixed addresses; undefined when neither is
 * known yet (status is then left alone).
 */
export function publishedAddresses(
  view: ClusterView,
  publishedService: string | undefined,
  fixed: LoadBalancerAddress[] | undefined,
  log: (level: 'debug', msg: string) => void,
): LoadBalancerAddress[] | undefined {
  if (publishedService) {
    const [ns, name] = publishedService.split('/');
    const svc = view.objects('Service').find((s) => s.metadata?.namespace === ns && s.metadata?.name === name) as k8s.V1Service | undefined;
    if (!svc) {
      log('debug', `published Service ${publishedService} not found; Ingress status left alone`);
      return undefined;
    }
    const lb = svc.status?.loadBalancer?.ingress ?? [];
    return lb.map((a) => ({ ...(a.ip ? { ip: a.ip } : {}), ...(a.hostname ? { hostname: a.hostname } : {}) }));
  }
  return fixed;
}

export class IngressStatusWriter {
  private readonly networking: k8s.NetworkingV1Api;
  private queue: Promise<void> = Promise.resolve();
  /** `ns/name` → the object version and status already written (or queued) for it. */
  private readonly done = new Map<string, string>();
  /** The last write problem, for the provider's snapshot errors. */
  error: string | undefined;
  writes = 0;

  constructor(
    kc: k8s.KubeConfig,
    private readonly log: (level: 'debug' | 'warn', msg: string) => void,
    /** Called when `error` changes, so the provider can report it without waiting for another change. */
    private readonly onErrorChange: () => void = () => undefined,
  ) {
    this.networking = kc.makeApiClient(k8s.NetworkingV1Api);
  }

  /** Bring each Ingress's status to `addresses`; resolves when the writes this call started are done. */
  update(ingresses: KubernetesObject[], addresses: LoadBalancerAddress[]): Promise<void> {
    const wanted = JSON.stringify(normalize(addresses));
    const stale = ingresses.filter((o) => {
      if (JSON.stringify(normalize((o as k8s.V1Ingress).status?.loadBalancer?.ingress ?? [])) === wanted) return false;
      // Until the watch brings the written version, the cache still shows the old status: do not write twice.
      const key = `${o.metadata?.namespace}/${o.metadata?.name}`;
      const mark = `${o.metadata?.resourceVersion}|${wanted}`;
      if (this.done.get(key) === mark) return false;
      this.done.set(key, mark);
      return true;
    });
    if (stale.length === 0) return this.queue;
    this.queue = this.queue.then(() => this.write(stale, addresses));
    return this.queue;
  }

  private async write(ingresses: KubernetesObject[], addresses: LoadBalancerAddress[]): Promise<void> {
    let problem: string | undefined;
    for (const o of ingresses) {
      const namespace = o.metadata?.namespace ?? 'default';
      const name = o.metadata?.name ?? '';
      try {
        this.writes++;
        await this.networking.replaceNamespacedIngressStatus({
          name,
          namespace,
          body: {
            ...(o as k8s.V1Ingress),
            apiVersion: 'networking.k8s.io/v1',
            kind: 'Ingress',
            status: { loadBalancer: { ingress: addresses.map((a) => ({ ...a })) } },
          },
        });
      } catch (err) {
        // 409: the Ingress changed meanwhile; its MODIFIED event brings us back here with the new version.
        if (statusOf(err) === 409) continue;
        problem = describeApiError(err, { verb: 'update', resource: 'ingresses/status.networking.k8s.io', namespace });
        this.log('warn', `cannot write the status of Ingress ${namespace}/${name}: ${problem}`);
        // Try again on the next change rather than never.
        this.done.delete(`${namespace}/${name}`);
      }
    }
    if (problem !== this.error) {
      this.error = problem;
      this.onErrorChange();
    }
  }
}

function normalize(list: Array<{ ip?: string; hostname?: string }>): Array<{ ip?: string; hostname?: string }> {
  return list
    .map((a) => ({ ...(a.ip ? { ip: a.ip } : {}), ...(a.hostname ? { hostname: a.hostname } : {}) }))
    .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
}
