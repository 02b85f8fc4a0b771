/**
 * The API collections the providers watch, each with its typed list call from
 * the client library and its watch path.
 */
import * as k8s from '@kubernetes/client-node';
import type { ListPage, WatchedCollection } from './resource-watch.js';

export type CollectionKind = 'Secret' | 'Service' | 'EndpointSlice' | 'Ingress' | 'IngressClass';

/** Our CRD kinds and their plurals. */
export const CRD_RESOURCES: ReadonlyArray<readonly [kind: string, plural: string]> = [
  ['IngressRoute', 'ingressroutes'],
  ['IngressRouteTCP', 'ingressroutetcps'],
  ['IngressRouteUDP', 'ingressrouteudps'],
  ['Middleware', 'middlewares'],
  ['MiddlewareTCP', 'middlewaretcps'],
  ['TLSStore', 'tlsstores'],
  ['TLSOption', 'tlsoptions'],
  ['ServersTransport', 'serverstransports'],
  ['ServersTransportTCP', 'serverstransporttcps'],
  ['TraefikService', 'traefikservices'],
];

type Page = { limit: number; continue?: string; labelSelector?: string };
const params = (p: Page) => ({ limit: p.limit, _continue: p.continue, labelSelector: p.labelSelector });
const asPage = (p: Promise<unknown>) => p as Promise<ListPage>;

export function customCollection(
  kc: k8s.KubeConfig,
  group: string,
  kind: string,
  plural: string,
  namespace: string | undefined,
  labelSelector?: string,
  version = 'v1alpha1',
): WatchedCollection {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  return {
    kind,
    apiVersion: `${group}/${version}`,
    resource: `${plural}.${group}`,
    namespace,
    labelSelector,
    path: `/apis/${group}/${version}${namespace ? `/namespaces/${namespace}` : ''}/${plural}`,
    list: (p) =>
      asPage(
        namespace
          ? api.listNamespacedCustomObject({ group, version, namespace, plural, ...params(p) })
          : api.listClusterCustomObject({ group, version, plural, ...params(p) }),
      ),
  };
}

export function builtinCollection(kc: k8s.KubeConfig, kind: CollectionKind, namespace: string | undefined, labelSelector?: string): WatchedCollection {
  const ns = namespace ? `/namespaces/${namespace}` : '';
  switch (kind) {
    case 'Secret':
    case 'Service': {
      const core = kc.makeApiClient(k8s.CoreV1Api);
      const plural = kind === 'Secret' ? 'secrets' : 'services';
      return {
        kind,
        apiVersion: 'v1',
        resource: plural,
        namespace,
        labelSelector,
        path: `/api/v1${ns}/${plural}`,
        list: (p) =>
          asPage(
            kind === 'Secret'
              ? namespace
                ? core.listNamespacedSecret({ namespace, ...params(p) })
                : core.listSecretForAllNamespaces(params(p))
              : namespace
                ? core.listNamespacedService({ namespace, ...params(p) })
                : core.listServiceForAllNamespaces(params(p)),
          ),
      };
    }
    case 'EndpointSlice': {
      const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
      return {
        kind,
        apiVersion: 'discovery.k8s.io/v1',
        resource: 'endpointslices.discovery.k8s.io',
        namespace,
        labelSelector,
        path: `/apis/discovery.k8s.io/v1${ns}/endpointslices`,
        list: (p) =>
          asPage(namespace ? discovery.listNamespacedEndpointSlice({ namespace, ...params(p) }) : discovery.listEndpointSliceForAllNamespaces(params(p))),
      };
    }
    case 'Ingress': {
      const networking = kc.makeApiClient(k8s.NetworkingV1Api);
      return {
        kind,
        apiVersion: 'networking.k8s.io/v1',
        resource: 'ingresses.networking.k8s.io',
        namespace,
        labelSelector,
        path: `/apis/networking.k8s.io/v1${ns}/ingresses`,
        list: (p) => asPage(namespace ? networking.listNamespacedIngress({ namespace, ...params(p) }) : networking.listIngressForAllNamespaces(params(p))),
      };
    }
    case 'IngressClass': {
      const networking = kc.makeApiClient(k8s.NetworkingV1Api);
      return {
        kind,
        apiVersion: 'networking.k8s.io/v1',
        resource: 'ingressclasses.networking.k8s.io',
        labelSelector,
        path: '/apis/networking.k8s.io/v1/ingressclasses',
        list: (p) => asPage(networking.listIngressClass(params(p))),
      };
    }
  }
}

/**
 * What an Ingress provider watches: IngressClasses, and in each namespace
 * (undefined: all) Ingresses (by label selector) with the Secrets, Services and
 * EndpointSlices they refer to; plus the Services of the published Service's
 * namespace when it is not watched already (Portico's own namespace).
 */
export function ingressCollections(
  kc: k8s.KubeConfig,
  namespaces: Array<string | undefined>,
  labelSelector: string | undefined,
  publishedService: string | undefined,
): WatchedCollection[] {
  const out: WatchedCollection[] = [builtinCollection(kc, 'IngressClass', undefined)];
  for (const ns of namespaces) {
    out.push(builtinCollection(kc, 'Ingress', ns, labelSelector || undefined));
    for (const kind of ['Secret', 'Service', 'EndpointSlice'] as const) out.push(builtinCollection(kc, kind, ns));
  }
  const published = publishedService?.split('/')[0];
  if (published && !namespaces.includes(undefined) && !namespaces.includes(published)) out.push(builtinCollection(kc, 'Service', published));
  return out;
}
