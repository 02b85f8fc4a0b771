/**
 * The kubernetesIngressNGINX provider (Traefik's name): Ingresses written for
 * ingress-nginx, served unchanged. It answers the IngressClasses whose
 * controller is ingress-nginx's (`k8s.io/ingress-nginx`), the legacy
 * `kubernetes.io/ingress.class: nginx` annotation, and (with
 * watchIngressWithoutClass, or when its class is the cluster default)
 * Ingresses without class; the translation is src/provider/manifests/ingress-nginx/.
 *
 * Problems (unknown annotations, bad values, refused ones) are Warning Events
 * on the Ingress and entries of /api/errors; an Ingress that serves anything
 * gets status.loadBalancer, as ingress-nginx writes it.
 */
import type { V1IngressClass } from '@kubernetes/client-node';
import type { ConfigError } from '../../dynamic/model.js';
import { convertManifests, type ManifestConversion, type NginxIngressSelection } from '../manifests/convert.js';
import { answeredIngressClasses } from '../manifests/ingress-class.js';
import { ClusterProvider, type ClusterProviderDependencies } from './cluster-provider.js';
import type { ClusterView } from './cluster-view.js';
import { ingressCollections } from './collections.js';
import { IngressStatusWriter, publishedAddresses, type LoadBalancerAddress } from './ingress-status.js';
import type { KubernetesIngressNginxProviderOptions } from './provider-options.js';
import type { WatchedCollection } from './resource-watch.js';

/** ingress-nginx's controller name, on the IngressClasses it (and now Portico) answers. */
export const NGINX_INGRESS_CONTROLLER = 'k8s.io/ingress-nginx';
export const NGINX_INGRESS_CLASS = 'nginx';

export class KubernetesIngressNginxProvider extends ClusterProvider {
  readonly name = 'kubernetesingressnginx' as const;
  declare protected readonly options: KubernetesIngressNginxProviderOptions;
  private readonly status: IngressStatusWriter;

  constructor(options: KubernetesIngressNginxProviderOptions, deps: ClusterProviderDependencies = {}) {
    // Traefik's names for options our other providers spell differently.
    super(
      {
        ...options,
        ...(options.certAuthFilePath ? { caFile: options.certAuthFilePath } : {}),
        ...(options.watchNamespace ? { namespaces: [options.watchNamespace] } : {}),
      },
      deps,
    );
    this.status = new IngressStatusWriter(this.kc, this.log, () => this.refresh());
  }

  protected collections(): WatchedCollection[] {
    return ingressCollections(this.kc, this.namespaces(), this.options.labelSelector, this.options.publishService);
  }

  /** The Ingresses this provider takes, as the conversion selects them. */
  private selection(view: ClusterView): NginxIngressSelection {
    const name = this.options.ingressClass || NGINX_INGRESS_CLASS;
    const byController = answeredIngressClasses(
      view.objects('IngressClass') as V1IngressClass[],
      [],
      [this.options.controllerClass || NGINX_INGRESS_CONTROLLER],
    );
    const classes = new Set(byController.names);
    // The legacy annotation names the class by its value; ingressClassByName also takes an IngressClass of that name whatever its controller.
    if (this.options.ingressClassByName || !(view.objects('IngressClass') as V1IngressClass[]).some((c) => c.metadata?.name === name)) classes.add(name);
    const entryPoints = [this.options.httpEntryPoint, this.options.httpsEntryPoint].filter((e): e is string => !!e);
    return {
      classes: [...classes],
      withoutClass: this.options.watchIngressWithoutClass === true || byController.isDefault,
      ...(entryPoints.length ? { entryPoints } : {}),
      ...(this.options.enableSSLPassthrough ? { sslPassthrough: true } : {}),
      ...(this.options.httpsEntryPoint ? { httpsEntryPoint: this.options.httpsEntryPoint } : {}),
    };
  }

  protected convert(view: ClusterView): ManifestConversion {
    return convertManifests(view.documents(), {
      provider: this.name,
      apiGroups: [],
      nginxIngress: this.selection(view),
      allowCrossNamespace: this.options.allowCrossNamespaceResources ?? false,
      // ingress-nginx serves ExternalName Services unless told not to.
      allowExternalNameServices: !(this.options.disableSvcExternalName ?? false),
      nativeLB: this.options.nativeLB ?? false,
      log: (level, msg) => this.log(level, msg),
    });
  }

  protected override afterConvert(view: ClusterView, conversion: ManifestConversion): ConfigError[] {
    if (this.readOnly) return [];
    const fixed = this.options.publishStatusAddress?.map((a): LoadBalancerAddress => (/^[\d.]+$|:/.test(a) ? { ip: a } : { hostname: a }));
    const addresses = publishedAddresses(view, this.options.publishService, fixed, this.log);
    if (addresses) {
      // An Ingress that serves something (even with some annotations refused) is ours; one left out whole is not.
      const serving = new Set(Object.values(conversion.origins));
      const ours = view.objects('Ingress').filter((o) => serving.has(`${o.metadata?.namespace}/Ingress/${o.metadata?.name}`));
      void this.status.update(ours, addresses);
    }
    return this.status.error ? [{ provider: this.name, source: 'kubernetes ingresses/status', path: '', message: this.status.error }] : [];
  }

  /** Resolves when the status writes started so far are done (for tests and orderly shutdown). */
  statusWritesSettled(): Promise<void> {
    return this.status.update([], []);
  }
}
