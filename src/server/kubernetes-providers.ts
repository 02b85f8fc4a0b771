/**
 * Create the Kubernetes providers the static configuration asks for. The
 * providers (and @kubernetes/client-node under them, ~1.3 s of CPU to load)
 * are imported only when one is configured: a laptop on the file provider, and
 * every test that starts Portico, would otherwise pay for it at each start.
 */
import type { StaticConfig } from '../config/static-config.js';
import type { Logger } from '../observability/logger.js';
import type { Provider } from '../provider/provider.js';
import type { KubernetesLog } from '../provider/kubernetes/cluster-provider.js';
import {
  validateKubernetesProviderOptions,
  type KubernetesCrdProviderOptions,
  type KubernetesGatewayProviderOptions,
  type KubernetesIngressNginxProviderOptions,
  type KubernetesIngressProviderOptions,
} from '../provider/kubernetes/provider-options.js';
import type { NginxIngressSelection } from '../provider/manifests/convert.js';
import type { GatewayEntryPoint } from '../provider/manifests/gateway/gateway-objects.js';
import { isUdpEntryPoint, parseListenAddress } from '../config/listen-address.js';

/**
 * `readOnly`: watch without writing Events or status (every worker but the first of a multi-process Portico).
 * `boundPort`: the port an entry point listens on, for those configured on port 0 (Gateway listeners land on entry points by port).
 */
export async function createKubernetesProviders(
  cfg: StaticConfig,
  log: Logger,
  readOnly = false,
  boundPort: (entryPoint: string) => number = () => 0,
): Promise<Provider[]> {
  const out: Provider[] = [];
  const logAs =
    (provider: string): KubernetesLog =>
    (level, msg) =>
      log[level]({ provider }, msg);
  const problems = kubernetesOptionProblems(cfg);
  if (problems.length) throw new Error(`invalid static configuration:\n  - ${problems.join('\n  - ')}`);
  const crd = cfg.providers.kubernetesCRD;
  if (crd) {
    const { KubernetesCrdProvider } = await import('../provider/kubernetes/crd-provider.js');
    out.push(new KubernetesCrdProvider(crd as KubernetesCrdProviderOptions, { log: logAs('kubernetescrd'), readOnly }));
  }
  const ingress = cfg.providers.kubernetesIngress;
  if (ingress) {
    const { KubernetesIngressProvider } = await import('../provider/kubernetes/ingress-provider.js');
    out.push(new KubernetesIngressProvider(ingress as KubernetesIngressProviderOptions, { log: logAs('kubernetesingress'), readOnly }));
  }
  const nginx = ingressNginxOptions(cfg);
  if (nginx) {
    const { KubernetesIngressNginxProvider } = await import('../provider/kubernetes/ingress-nginx-provider.js');
    out.push(new KubernetesIngressNginxProvider(nginx.options as KubernetesIngressNginxProviderOptions, { log: logAs('kubernetesingressnginx'), readOnly }));
  }
  const gateway = cfg.providers.kubernetesGateway;
  if (gateway) {
    const { KubernetesGatewayProvider } = await import('../provider/kubernetes/gateway-provider.js');
    out.push(
      new KubernetesGatewayProvider(gateway as KubernetesGatewayProviderOptions, {
        log: logAs('kubernetesgateway'),
        readOnly,
        entryPoints: () => gatewayEntryPoints(cfg, boundPort),
      }),
    );
  }
  return out;
}

/** Problems with the options of every configured Kubernetes provider (the running proxy and `portico check` both ask). */
export function kubernetesOptionProblems(cfg: StaticConfig): string[] {
  const nginx = ingressNginxOptions(cfg);
  const configured: Array<[Parameters<typeof validateKubernetesProviderOptions>[0], Record<string, unknown> | undefined, string]> = [
    ['kubernetescrd', cfg.providers.kubernetesCRD, 'providers.kubernetesCRD'],
    ['kubernetesingress', cfg.providers.kubernetesIngress, 'providers.kubernetesIngress'],
    ['kubernetesingressnginx', nginx?.options, nginx?.at ?? ''],
    ['kubernetesgateway', cfg.providers.kubernetesGateway, 'providers.kubernetesGateway'],
  ];
  return configured.flatMap(([provider, options, at]) => (options ? validateKubernetesProviderOptions(provider, options, at) : []));
}

/** Every entry point with the port it listens on: the configured one, or the bound one for `:0`. */
export function gatewayEntryPoints(cfg: StaticConfig, boundPort: (entryPoint: string) => number): GatewayEntryPoint[] {
  return Object.entries(cfg.entryPoints).map(([name, ep]) => ({
    name,
    port: parseListenAddress(ep.address).port || boundPort(name),
    udp: isUdpEntryPoint(ep),
  }));
}

/** `providers.kubernetesIngressNGINX` (Traefik's spelling) or `providers.kubernetesIngressNginx` (the static config refuses both at once). */
function ingressNginxOptions(cfg: StaticConfig): { options: Record<string, unknown>; at: string } | undefined {
  const { kubernetesIngressNGINX, kubernetesIngressNginx } = cfg.providers;
  if (kubernetesIngressNGINX) return { options: kubernetesIngressNGINX, at: 'providers.kubernetesIngressNGINX' };
  if (kubernetesIngressNginx) return { options: kubernetesIngressNginx, at: 'providers.kubernetesIngressNginx' };
  return undefined;
}

/**
 * With the kubernetesIngressNGINX provider configured, the file provider
 * reads nginx-class Ingresses in its files the same way (the YAML written
 * for ingress-nginx runs locally unchanged); otherwise it skips them.
 * Class-less Ingresses in files stay Portico's own.
 */
export function nginxIngressForFiles(cfg: StaticConfig): NginxIngressSelection | undefined {
  const nginx = ingressNginxOptions(cfg)?.options as KubernetesIngressNginxProviderOptions | undefined;
  if (!nginx) return undefined;
  const entryPoints = [nginx.httpEntryPoint, nginx.httpsEntryPoint].filter((e): e is string => typeof e === 'string' && !!e);
  return {
    classes: [nginx.ingressClass || 'nginx'],
    withoutClass: false,
    ...(entryPoints.length ? { entryPoints } : {}),
    ...(nginx.enableSSLPassthrough ? { sslPassthrough: true } : {}),
    ...(nginx.httpsEntryPoint ? { httpsEntryPoint: nginx.httpsEntryPoint } : {}),
  };
}
