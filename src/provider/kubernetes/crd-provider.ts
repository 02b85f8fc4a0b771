/**
 * The kubernetesCRD provider: IngressRoute, IngressRouteTCP, IngressRouteUDP, Middleware,
 * MiddlewareTCP, TLSOption, TLSStore, ServersTransport, ServersTransportTCP and TraefikService objects of `portico.dev/v1alpha1` (and
 * Traefik's `traefik.io/v1alpha1` with traefikCompat), with the Secrets,
 * Services and EndpointSlices they refer to.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { convertManifests, type ManifestConversion } from '../manifests/convert.js';
import { ClusterProvider } from './cluster-provider.js';
import type { ClusterView } from './cluster-view.js';
import { CRD_RESOURCES, builtinCollection, customCollection } from './collections.js';
import type { KubernetesCrdProviderOptions } from './provider-options.js';
import type { WatchedCollection } from './resource-watch.js';

export const PORTICO_API_GROUP = 'portico.dev';
export const TRAEFIK_API_GROUP = 'traefik.io';

export class KubernetesCrdProvider extends ClusterProvider {
  readonly name = 'kubernetescrd' as const;
  declare protected readonly options: KubernetesCrdProviderOptions;

  private groups(): string[] {
    return [PORTICO_API_GROUP, ...(this.options.traefikCompat ? [TRAEFIK_API_GROUP] : [])];
  }

  protected collections(): WatchedCollection[] {
    const out: WatchedCollection[] = [];
    for (const ns of this.namespaces()) {
      for (const group of this.groups())
        for (const [kind, plural] of CRD_RESOURCES) out.push(customCollection(this.kc, group, kind, plural, ns, this.options.labelSelector || undefined));
      for (const kind of ['Secret', 'Service', 'EndpointSlice'] as const) out.push(builtinCollection(this.kc, kind, ns));
    }
    return out;
  }

  protected convert(view: ClusterView): ManifestConversion {
    const ingressClass = this.options.ingressClass;
    // With ingressClass set, only our objects annotated with that class (Traefik's rule); core objects always.
    const wanted = (o: KubernetesObject, c: WatchedCollection) =>
      !ingressClass || !c.apiVersion.endsWith('/v1alpha1') || o.metadata?.annotations?.['kubernetes.io/ingress.class'] === ingressClass;
    return convertManifests(view.documents(wanted), {
      provider: this.name,
      apiGroups: this.groups(),
      allowCrossNamespace: this.options.allowCrossNamespace ?? false,
      allowExternalNameServices: this.options.allowExternalNameServices ?? false,
      nativeLB: this.options.nativeLB ?? false,
      log: (level, msg) => this.log(level, msg),
    });
  }
}
