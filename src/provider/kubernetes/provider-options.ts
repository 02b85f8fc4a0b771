/** Options of the Kubernetes providers (static configuration `providers.kubernetesCRD`, `providers.kubernetesIngress`, `providers.kubernetesIngressNGINX`, `providers.kubernetesGateway`). */
import type { KubernetesConnectionOptions } from './kube-config.js';
import type { LoadBalancerAddress } from './ingress-status.js';

export interface KubernetesWatchOptions extends KubernetesConnectionOptions {
  /** Namespaces to watch; empty or unset: all. */
  namespaces?: string[];
  /** Label selector (`app=web,tier!=db`) for the provider's own objects: our CRDs, or Ingresses. */
  labelSelector?: string;
  /** References into other namespaces (services, middlewares, TLS options…). Default false. */
  allowCrossNamespace?: boolean;
  /** Let references name ExternalName Services. Default false. */
  allowExternalNameServices?: boolean;
  /** Use Services' ClusterIPs instead of their endpoints. Default false. */
  nativeLB?: boolean;
  /** Coalesce bursts of changes into one configuration: `2s` (default, as Traefik) or milliseconds. */
  throttleDuration?: string | number;
  /** Relist everything this often so a missed event cannot stick: `10m` (default) or milliseconds. */
  resyncPeriod?: string | number;
}

export interface KubernetesCrdProviderOptions extends KubernetesWatchOptions {
  /** Only CRD objects annotated `kubernetes.io/ingress.class: <this>` (Traefik's rule). Unset: all. */
  ingressClass?: string;
  /** Also read Traefik's `traefik.io/v1alpha1` kinds, beside `portico.dev/v1alpha1`. */
  traefikCompat?: boolean;
}

export interface KubernetesIngressProviderOptions extends KubernetesWatchOptions {
  /**
   * The class this provider answers (default `portico`), by `spec.ingressClassName` or the legacy
   * `kubernetes.io/ingress.class` annotation. IngressClasses whose controller is
   * `portico.dev/ingress-controller` are answered too (and `traefik.io/ingress-controller` with traefikCompat).
   */
  ingressClass?: string;
  /** Also answer IngressClasses whose controller is Traefik's `traefik.io/ingress-controller`. */
  traefikCompat?: boolean;
  /** `namespace/name` of the Service in front of Portico: its load-balancer address goes into each Ingress's status. */
  publishedService?: string;
  /** Or a fixed address for Ingress status. */
  ingressEndpoint?: LoadBalancerAddress;
}

export type KubernetesProviderOptions = KubernetesCrdProviderOptions & KubernetesIngressProviderOptions;

/**
 * Options of the kubernetesIngressNGINX provider, under Traefik's names for
 * its provider of the same name (plus our connection and watch options).
 */
export interface KubernetesIngressNginxProviderOptions extends KubernetesWatchOptions {
  /** Traefik's name for caFile. */
  certAuthFilePath?: string;
  /** One namespace to watch (Traefik's name; `namespaces` takes a list). */
  watchNamespace?: string;
  /** The IngressClass name (and legacy annotation value) this provider answers; default `nginx`. */
  ingressClass?: string;
  /** IngressClasses whose spec.controller is this are answered; default `k8s.io/ingress-nginx`. */
  controllerClass?: string;
  /** Also Ingresses that name no class. */
  watchIngressWithoutClass?: boolean;
  /** Also the IngressClass named ingressClass whatever its controller. */
  ingressClassByName?: boolean;
  /** `namespace/name` of the Service in front of Portico, for Ingress status. */
  publishService?: string;
  /** Or fixed addresses (IPs or host names) for Ingress status. */
  publishStatusAddress?: string[];
  /** Let auth-secret and proxy-ssl-secret name Secrets of other namespaces (ingress-nginx allows it; default false). */
  allowCrossNamespaceResources?: boolean;
  /** Refuse ExternalName Services as backends (ingress-nginx allows them; default false). */
  disableSvcExternalName?: boolean;
  /** Entry point of the routers for plain HTTP, and for HTTPS; unset: every entry point. */
  httpEntryPoint?: string;
  httpsEntryPoint?: string;
  /** Only `false`: Portico never executes nginx snippets. */
  allowSnippetAnnotations?: boolean;
  /** ingress-nginx's --enable-ssl-passthrough: the ssl-passthrough annotation relays TLS by SNI to the backend (TCP routers on httpsEntryPoint). */
  enableSSLPassthrough?: boolean;
}

/**
 * Options of the kubernetesGateway provider (the Gateway API), under Traefik's
 * names for its provider of the same name, plus our connection and watch options.
 */
export interface KubernetesGatewayProviderOptions extends KubernetesWatchOptions {
  /** Traefik's name for caFile. */
  certAuthFilePath?: string;
  /** Also read TLSRoute, TCPRoute and UDPRoute (Traefik gates them behind this). */
  experimentalChannel?: boolean;
  /** Gateway status.addresses: a fixed IP or host name, or the load balancer of a Service in front of Portico. */
  statusAddress?: { ip?: string; hostname?: string; service?: { name: string; namespace: string } };
  /** Also answer GatewayClasses whose controllerName is Traefik's `traefik.io/gateway-controller`. */
  traefikCompat?: boolean;
  /** Traefik's name for nativeLB. */
  nativeLBByDefault?: boolean;
}

/** Traefik's kubernetesIngressNGINX options Portico does not honour, with why. */
const REFUSED_NGINX_OPTIONS: Record<string, string> = {
  watchNamespaceSelector: 'select namespaces by name with namespaces or watchNamespace',
  defaultBackendService: 'give an Ingress without rules a spec.defaultBackend instead',
  globalAuthURL: 'set nginx.ingress.kubernetes.io/auth-url on the Ingresses, or add a forwardAuth Middleware to the entrypoint',
  ipAllowListStrategy: 'the source-range annotations use the client address of the connection',
  proxyRequestBuffering: 'Portico streams request bodies',
  clientBodyBufferSize: 'Portico streams request bodies',
  proxyBodySize: 'set nginx.ingress.kubernetes.io/proxy-body-size on the Ingresses',
  proxyBuffering: 'Portico streams responses',
  proxyBufferSize: 'Portico streams responses',
  proxyBuffersNumber: 'Portico streams responses',
  proxyConnectTimeout: 'set nginx.ingress.kubernetes.io/proxy-connect-timeout on the Ingresses',
  proxyReadTimeout: 'set nginx.ingress.kubernetes.io/proxy-read-timeout on the Ingresses',
  proxySendTimeout: 'no Portico equivalent',
  proxyNextUpstream: 'retries are not configurable here',
  proxyNextUpstreamTries: 'retries are not configurable here',
  proxyNextUpstreamTimeout: 'retries are not configurable here',
  customHTTPErrors: 'set nginx.ingress.kubernetes.io/custom-http-errors with default-backend on the Ingresses',
  upstreamKeepaliveTimeout: 'backend connections are tuned with a ServersTransport',
  globalAllowedResponseHeaders: 'no Portico equivalent',
  strictValidatePathType: 'paths are validated as ingress-nginx does by default',
};

const COMMON = [
  'endpoint',
  'token',
  'caFile',
  'insecureSkipVerify',
  'kubeconfig',
  'inCluster',
  'namespaces',
  'labelSelector',
  'allowCrossNamespace',
  'allowExternalNameServices',
  'nativeLB',
  'throttleDuration',
  'resyncPeriod',
];
const KEYS = {
  kubernetesgateway: [
    ...COMMON.filter((k) => k !== 'allowCrossNamespace'),
    'certAuthFilePath',
    'experimentalChannel',
    'statusAddress',
    'traefikCompat',
    'nativeLBByDefault',
  ],
  kubernetescrd: [...COMMON, 'ingressClass', 'traefikCompat'],
  kubernetesingress: [...COMMON, 'ingressClass', 'traefikCompat', 'publishedService', 'ingressEndpoint'],
  kubernetesingressnginx: [
    ...COMMON.filter((k) => k !== 'allowCrossNamespace' && k !== 'allowExternalNameServices'),
    'certAuthFilePath',
    'watchNamespace',
    'ingressClass',
    'controllerClass',
    'watchIngressWithoutClass',
    'ingressClassByName',
    'publishService',
    'publishStatusAddress',
    'allowCrossNamespaceResources',
    'disableSvcExternalName',
    'httpEntryPoint',
    'httpsEntryPoint',
    'allowSnippetAnnotations',
    'enableSSLPassthrough',
  ],
};
type ProviderKind = keyof typeof KEYS;
const BOOLEANS = [
  'insecureSkipVerify',
  'inCluster',
  'allowCrossNamespace',
  'allowExternalNameServices',
  'nativeLB',
  'traefikCompat',
  'watchIngressWithoutClass',
  'ingressClassByName',
  'allowCrossNamespaceResources',
  'disableSvcExternalName',
  'allowSnippetAnnotations',
  'experimentalChannel',
  'nativeLBByDefault',
  'enableSSLPassthrough',
];
const STRINGS = [
  'endpoint',
  'token',
  'caFile',
  'kubeconfig',
  'labelSelector',
  'ingressClass',
  'publishedService',
  'certAuthFilePath',
  'watchNamespace',
  'controllerClass',
  'publishService',
  'httpEntryPoint',
  'httpsEntryPoint',
];

/** Problems with a provider's options, each `<at>.<field>: <what is wrong>`. */
export function validateKubernetesProviderOptions(provider: ProviderKind, options: Record<string, unknown>, at: string): string[] {
  const problems: string[] = [];
  for (const k of Object.keys(options)) {
    if (provider === 'kubernetesingressnginx' && REFUSED_NGINX_OPTIONS[k] !== undefined)
      problems.push(`${at}.${k}: not supported: ${REFUSED_NGINX_OPTIONS[k]}`);
    else if (provider === 'kubernetesgateway' && k === 'allowCrossNamespace')
      problems.push(`${at}.${k}: not an option of the Gateway API provider: ReferenceGrants allow cross-namespace references`);
    else if (!KEYS[provider].includes(k)) problems.push(`${at}.${k}: unknown option (known: ${KEYS[provider].join(', ')})`);
  }
  if (options.allowSnippetAnnotations === true)
    problems.push(`${at}.allowSnippetAnnotations: not supported: Portico never executes nginx snippets; remove it or set it to false`);
  if (options.watchNamespace !== undefined && options.namespaces !== undefined)
    problems.push(`${at}.watchNamespace: set either watchNamespace or namespaces, not both`);
  if (
    options.publishStatusAddress !== undefined &&
    (!Array.isArray(options.publishStatusAddress) || options.publishStatusAddress.some((a) => typeof a !== 'string' || !a))
  )
    problems.push(`${at}.publishStatusAddress: must be a list of IP addresses or host names`);
  for (const k of BOOLEANS) if (options[k] !== undefined && typeof options[k] !== 'boolean') problems.push(`${at}.${k}: must be true or false`);
  for (const k of STRINGS) if (options[k] !== undefined && typeof options[k] !== 'string') problems.push(`${at}.${k}: must be a string`);
  if (options.namespaces !== undefined && (!Array.isArray(options.namespaces) || options.namespaces.some((n) => typeof n !== 'string' || !n)))
    problems.push(`${at}.namespaces: must be a list of namespace names`);
  for (const k of ['publishedService', 'publishService'])
    if (typeof options[k] === 'string' && !/^[^/]+\/[^/]+$/.test(options[k])) problems.push(`${at}.${k}: must be "namespace/name", got "${options[k]}"`);
  if (options.ingressEndpoint !== undefined) {
    const e = options.ingressEndpoint as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || Object.keys(e).some((k) => k !== 'ip' && k !== 'hostname') || (!e.ip && !e.hostname))
      problems.push(`${at}.ingressEndpoint: must be { ip: <address> } or { hostname: <name> }`);
  }
  if (options.statusAddress !== undefined) {
    const a = options.statusAddress as Record<string, unknown> | null;
    const svc = a?.service as Record<string, unknown> | undefined;
    const keys = a && typeof a === 'object' ? Object.keys(a) : [];
    if (
      !a ||
      typeof a !== 'object' ||
      keys.length !== 1 ||
      !['ip', 'hostname', 'service'].includes(keys[0]!) ||
      (keys[0] !== 'service' && (typeof a[keys[0]!] !== 'string' || !a[keys[0]!])) ||
      (keys[0] === 'service' && (!svc || typeof svc.name !== 'string' || typeof svc.namespace !== 'string' || Object.keys(svc).length !== 2))
    )
      problems.push(`${at}.statusAddress: must be one of { ip: <address> }, { hostname: <name> }, { service: { name, namespace } }`);
  }
  if (options.endpoint !== undefined && typeof options.endpoint === 'string' && !/^https?:\/\//.test(options.endpoint))
    problems.push(`${at}.endpoint: must be an http:// or https:// URL, got "${options.endpoint}"`);
  return problems;
}
