/**
 * The kubernetesIngress provider: networking.k8s.io/v1 Ingress objects of
 * our class (configured name, IngressClasses whose controller is ours, and
 * class-less Ingresses when one of those is the cluster default), with the
 * Secrets, Services and EndpointSlices they refer to; and their
 * status.loadBalancer, from the published Service or a fixed address.
 */
import type { V1IngressClass } from '@kubernetes/client-node';
import type { ConfigError } from '../../dynamic/model.js';
import { convertManifests, type ManifestConversion } from '../manifests/convert.js';
import { ingressClassOf } from '../manifests/ingress.js';
import { PORTICO_INGRESS_CONTROLLER, TRAEFIK_INGRESS_CONTROLLER, answeredIngressClasses, type AnsweredIngressClasses } from '../manifests/ingress-class.js';
import type { KubeObject } from '../manifests/kube-objects.js';
import { ClusterProvider, type ClusterProviderDependencies } from './cluster-provider.js';
import type { ClusterView } from './cluster-view.js';
import { ingressCollections } from './collections.js';
import { IngressStatusWriter, publishedAddresses, type LoadBalancerAddress } from './ingress-status.js';
import type { KubernetesIngressProviderOptions } from './provider-options.js';
import type { WatchedCollection } from './resource-watch.js';

export { PORTICO_INGRESS_CONTROLLER, TRAEFIK_INGRESS_CONTROLLER } from '../manifests/ingress-class.js';

export class KubernetesIngressProvider extends ClusterProvider {
  readonly name = 'kubernetesingress' as const;
  declare protected readonly options: KubernetesIngressProviderOptions;
  private readonly status: IngressStatusWriter;

  constructor(options: KubernetesIngressProviderOptions, deps: ClusterProviderDependencies = {}) {
    super(options, deps);
    this.status = new IngressStatusWriter(this.kc, this.log, () => this.refresh());
  }

  protected collections(): WatchedCollection[] {
    return ingressCollections(this.kc, this.namespaces(), this.options.labelSelector, this.options.publishedService);
  }

  /** The IngressClasses we answer: the configured name, and every IngressClass whose controller is ours (or Traefik's, with traefikCompat). */
  private classes(view: ClusterView): AnsweredIngressClasses {
    const controllers = [PORTICO_INGRESS_CONTROLLER, ...(this.options.traefikCompat ? [TRAEFIK_INGRESS_CONTROLLER] : [])];
    return answeredIngressClasses(view.objects('IngressClass') as V1IngressClass[], [this.options.ingressClass || 'portico'], controllers);
  }

  protected convert(view: ClusterView): ManifestConversion {
    const classes = this.classes(view);
    return convertManifests(view.documents(), {
      provider: this.name,
      apiGroups: [],
      ingressClass: classes.names,
      ingressWithoutClass: classes.isDefault,
      allowCrossNamespace: this.options.allowCrossNamespace ?? false,
      allowExternalNameServices: this.options.allowExternalNameServices ?? false,
      nativeLB: this.options.nativeLB ?? false,
      log: (level, msg) => this.log(level, msg),
    });
  }

  protected override afterConvert(view: ClusterView, conversion: ManifestConversion): ConfigError[] {
    if (this.readOnly) return [];
    const addresses = this.addresses(view);
    if (addresses) {
      const classes = this.classes(view);
      const failed = new Set(conversion.errors.map((e) => e.source));
      const ours = view.objects('Ingress').filter((o) => {
        const cls = ingressClassOf(o as KubeObject);
        const source = `${o.metadata?.namespace}/Ingress/${o.metadata?.name}`;
        return (cls === undefined ? classes.isDefault : classes.names.includes(cls)) && !failed.has(source);
      });
      void this.status.update(ours, addresses);
    }
    return this.status.error ? [{ provider: this.name, source: 'kubernetes ingresses/status', path: '', message: this.status.error }] : [];
  }

  /** Where clients reach us: the published Service's load balancer, or the configured endpoint. */
  private addresses(view: ClusterView): LoadBalancerAddress[] | undefined {
    return publishedAddresses(view, this.options.publishedService, this.options.ingressEndpoint ? [this.options.ingressEndpoint] : undefined, this.log);
  }

  /** Resolves when the status writes started so far are done (for tests and orderly shutdown). */
  statusWritesSettled(): Promise<void> {
    return this.status.update([], []);
  }
}
