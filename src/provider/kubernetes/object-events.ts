/**
 * Problems with our objects, recorded on them as Kubernetes Warning Events so
 * that `kubectl describe ingressroute x` (or gateway, httproute…) shows them. Once per distinct
 * problem while it lasts; best effort: a failure is logged, never fatal.
 */
import * as k8s from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ConfigError } from '../../dynamic/model.js';
import { describeApiError, statusOf } from './api-error.js';

const SOURCE =
  /^([^/]+)\/(IngressRoute(?:TCP|UDP)?|Middleware(?:TCP)?|TLSStore|TLSOption|ServersTransport(?:TCP)?|TraefikService|Ingress|Gateway|HTTPRoute|GRPCRoute|TLSRoute|TCPRoute|UDPRoute|BackendTLSPolicy)\/([^/]+)$/;

const GATEWAY_KINDS = new Set(['Gateway', 'HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute', 'BackendTLSPolicy']);

/** The apiVersion an Event names when the object is not at hand (its own when it is). */
function defaultApiVersion(kind: string): string {
  if (kind === 'Ingress') return 'networking.k8s.io/v1';
  if (GATEWAY_KINDS.has(kind)) return 'gateway.networking.k8s.io/v1';
  return 'portico.dev/v1alpha1';
}

export class ObjectEventRecorder {
  private readonly core: k8s.CoreV1Api;
  /** `ns/Kind/name` → the messages already recorded for it. */
  private reported = new Map<string, Set<string>>();
  private warnedForbidden = false;

  constructor(
    kc: k8s.KubeConfig,
    private readonly log: (level: 'debug' | 'warn', msg: string) => void,
  ) {
    this.core = kc.makeApiClient(k8s.CoreV1Api);
  }

  /** Record new problems; `find` gives the object (for its apiVersion and uid). */
  async record(errors: ConfigError[], find: (source: string) => KubernetesObject | undefined): Promise<void> {
    const current = new Map<string, Set<string>>();
    const pending: Array<Promise<void>> = [];
    for (const e of errors) {
      const m = SOURCE.exec(e.source);
      if (!m) continue;
      const message = `${e.path ? `${e.path}: ` : ''}${e.message}`;
      const set = current.get(e.source) ?? current.set(e.source, new Set()).get(e.source)!;
      set.add(message);
      if (this.reported.get(e.source)?.has(message)) continue;
      const object = find(e.source);
      pending.push(this.post(m[1]!, m[2]!, m[3]!, message, object));
    }
    // A fixed problem is forgotten, so it is recorded again if it comes back.
    this.reported = current;
    await Promise.all(pending);
  }

  private async post(namespace: string, kind: string, name: string, message: string, object: KubernetesObject | undefined): Promise<void> {
    const now = new Date();
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: {
            apiVersion: object?.apiVersion ?? defaultApiVersion(kind),
            kind,
            name,
            namespace,
            ...(object?.metadata?.uid ? { uid: object.metadata.uid } : {}),
            ...(object?.metadata?.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
          },
          reason: 'InvalidConfiguration',
          message: message.slice(0, 1024),
          type: 'Warning',
          source: { component: 'portico' },
          reportingComponent: 'portico.dev/portico',
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      if (statusOf(err) === 403) {
        if (!this.warnedForbidden) this.log('warn', describeApiError(err, { verb: 'create', resource: 'events', namespace }));
        this.warnedForbidden = true;
      } else this.log('debug', `could not record an Event on ${namespace}/${kind}/${name}: ${(err as Error).message}`);
    }
  }
}
