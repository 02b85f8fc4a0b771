/** Options of the kubernetesCRD and kubernetesIngress providers (static configuration `providers.kubernetesCRD` / `providers.kubernetesIngress`). */
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

const COMMON = ['endpoint', 'token', 'caFile', 'insecureSkipVerify', 'kubeconfig', 'inCluster', 'namespaces', 'labelSelector', 'allowCrossNamespace', 'allowExternalNameServices', 'nativeLB', 'throttleDuration', 'resyncPeriod'];
const KEYS = {
  kubernetescrd: [...COMMON, 'ingressClass', 'traefikCompat'],
  kubernetesingress: [...COMMON, 'ingressClass', 'traefikCompat', 'publishedService', 'ingressEndpoint'],
};
const BOOLEANS = ['insecureSkipVerify', 'inCluster', 'allowCrossNamespace', 'allowExternalNameServices', 'nativeLB', 'traefikCompat'];
const STRINGS = ['endpoint', 'token', 'caFile', 'kubeconfig', 'labelSelector', 'ingressClass', 'publishedService'];

/** Problems with a provider's options, each `<at>.<field>: <what is wrong>`. */
export function validateKubernetesProviderOptions(provider: 'kubernetescrd' | 'kubernetesingress', options: Record<string, unknown>, at: string): string[] {
  const problems: string[] = [];
  for (const k of Object.keys(options)) if (!KEYS[provider].includes(k)) problems.push(`${at}.${k}: unknown option (known: ${KEYS[provider].join(', ')})`);
  for (const k of BOOLEANS) if (options[k] !== undefined && typeof options[k] !== 'boolean') problems.push(`${at}.${k}: must be true or false`);
  for (const k of STRINGS) if (options[k] !== undefined && typeof options[k] !== 'string') problems.push(`${at}.${k}: must be a string`);
  if (options.namespaces !== undefined && (!Array.isArray(options.namespaces) || options.namespaces.some((n) => typeof n !== 'string' || !n)))
    problems.push(`${at}.namespaces: must be a list of namespace names`);
  if (typeof options.publishedService === 'string' && !/^[^/]+\/[^/]+$/.test(options.publishedService))
    problems.push(`${at}.publishedService: must be "namespace/name", got "${options.publishedService}"`);
  if (options.ingressEndpoint !== undefined) {
    const e = options.ingressEndpoint as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || Object.keys(e).some((k) => k !== 'ip' && k !== 'hostname') || (!e.ip && !e.hostname))
      problems.push(`${at}.ingressEndpoint: must be { ip: <address> } or { hostname: <name> }`);
  }
  if (options.endpoint !== undefined && typeof options.endpoint === 'string' && !/^https?:\/\//.test(options.endpoint))
    problems.push(`${at}.endpoint: must be an http:// or https:// URL, got "${options.endpoint}"`);
  return problems;
}
