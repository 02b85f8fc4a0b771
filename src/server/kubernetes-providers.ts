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
import { validateKubernetesProviderOptions, type KubernetesCrdProviderOptions, type KubernetesIngressProviderOptions } from '../provider/kubernetes/provider-options.js';

/** `readOnly`: watch without writing Events or Ingress status (every worker but the first of a multi-process Portico). */
export async function createKubernetesProviders(cfg: StaticConfig, log: Logger, readOnly = false): Promise<Provider[]> {
  const out: Provider[] = [];
  const logAs = (provider: string): KubernetesLog => (level, msg) => log[level]({ provider }, msg);
  const check = (provider: 'kubernetescrd' | 'kubernetesingress', options: Record<string, unknown>, at: string) => {
    const problems = validateKubernetesProviderOptions(provider, options, at);
    if (problems.length) throw new Error(`invalid static configuration:\n  - ${problems.join('\n  - ')}`);
  };
  const crd = cfg.providers.kubernetesCRD;
  if (crd) {
    check('kubernetescrd', crd, 'providers.kubernetesCRD');
    const { KubernetesCrdProvider } = await import('../provider/kubernetes/crd-provider.js');
    out.push(new KubernetesCrdProvider(crd as KubernetesCrdProviderOptions, { log: logAs('kubernetescrd'), readOnly }));
  }
  const ingress = cfg.providers.kubernetesIngress;
  if (ingress) {
    check('kubernetesingress', ingress, 'providers.kubernetesIngress');
    const { KubernetesIngressProvider } = await import('../provider/kubernetes/ingress-provider.js');
    out.push(new KubernetesIngressProvider(ingress as KubernetesIngressProviderOptions, { log: logAs('kubernetesingress'), readOnly }));
  }
  return out;
}
