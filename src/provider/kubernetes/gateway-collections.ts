/**
 * What the kubernetesGateway provider watches: GatewayClasses (by the label
 * selector, as Traefik filters them) and Namespaces (allowedRoutes selects
 * namespaces by label), then in each watched namespace Gateways, the route
 * kinds, ReferenceGrants, BackendTLSPolicies, and the Secrets, Services,
 * EndpointSlices and ConfigMaps they refer to.
 */
import * as k8s from '@kubernetes/client-node';
import { GATEWAY_GROUP } from '../manifests/gateway/gateway-objects.js';
import { builtinCollection, customCollection } from './collections.js';
import type { ListPage, WatchedCollection } from './resource-watch.js';

/** Gateway API kinds: plural, version watched, and whether they are read only with experimentalChannel. */
export const GATEWAY_RESOURCES: ReadonlyArray<{ kind: string; plural: string; version: string; experimental?: boolean; clusterScoped?: boolean }> = [
  { kind: 'GatewayClass', plural: 'gatewayclasses', version: 'v1', clusterScoped: true },
  { kind: 'Gateway', plural: 'gateways', version: 'v1' },
  { kind: 'HTTPRoute', plural: 'httproutes', version: 'v1' },
  { kind: 'GRPCRoute', plural: 'grpcroutes', version: 'v1' },
  // v1beta1 is served by every release since ReferenceGrant exists (v1 only from v1.5 on).
  { kind: 'ReferenceGrant', plural: 'referencegrants', version: 'v1beta1' },
  { kind: 'BackendTLSPolicy', plural: 'backendtlspolicies', version: 'v1' },
  { kind: 'TLSRoute', plural: 'tlsroutes', version: 'v1', experimental: true },
  { kind: 'TCPRoute', plural: 'tcproutes', version: 'v1', experimental: true },
  { kind: 'UDPRoute', plural: 'udproutes', version: 'v1', experimental: true },
];

type Page = { limit: number; continue?: string; labelSelector?: string };
const params = (p: Page) => ({ limit: p.limit, _continue: p.continue, labelSelector: p.labelSelector });

function coreCollection(kc: k8s.KubeConfig, kind: 'Namespace' | 'ConfigMap', namespace: string | undefined): WatchedCollection {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  if (kind === 'Namespace')
    return { kind, apiVersion: 'v1', resource: 'namespaces', path: '/api/v1/namespaces', list: (p) => core.listNamespace(params(p)) as Promise<ListPage> };
  return {
    kind,
    apiVersion: 'v1',
    resource: 'configmaps',
    namespace,
    path: `/api/v1${namespace ? `/namespaces/${namespace}` : ''}/configmaps`,
    list: (p) => (namespace ? core.listNamespacedConfigMap({ namespace, ...params(p) }) : core.listConfigMapForAllNamespaces(params(p))) as Promise<ListPage>,
  };
}

export function gatewayCollections(
  kc: k8s.KubeConfig,
  namespaces: Array<string | undefined>,
  opts: { labelSelector?: string; experimentalChannel: boolean; statusService?: string },
): WatchedCollection[] {
  const out: WatchedCollection[] = [coreCollection(kc, 'Namespace', undefined)];
  for (const r of GATEWAY_RESOURCES)
    if (r.clusterScoped) out.push(customCollection(kc, GATEWAY_GROUP, r.kind, r.plural, undefined, opts.labelSelector || undefined, r.version));
  for (const ns of namespaces) {
    for (const r of GATEWAY_RESOURCES)
      if (!r.clusterScoped && (!r.experimental || opts.experimentalChannel))
        out.push(customCollection(kc, GATEWAY_GROUP, r.kind, r.plural, ns, undefined, r.version));
    for (const kind of ['Secret', 'Service', 'EndpointSlice'] as const) out.push(builtinCollection(kc, kind, ns));
    out.push(coreCollection(kc, 'ConfigMap', ns));
  }
  // The Service whose load balancer goes into Gateway status, when its namespace is not watched already.
  const statusNs = opts.statusService?.split('/')[0];
  if (statusNs && !namespaces.includes(undefined) && !namespaces.includes(statusNs)) out.push(builtinCollection(kc, 'Service', statusNs));
  return out;
}
