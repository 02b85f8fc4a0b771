/** Create the Kubernetes providers the static configuration asks for. */
import type { StaticConfig } from '../config/static-config.js';
import type { Logger } from '../observability/logger.js';
import type { Provider } from '../provider/provider.js';
import { KubernetesProvider, validateKubernetesOptions, type KubernetesProviderOptions } from '../provider/kubernetes/kubernetes-provider.js';

/** `readOnly`: watch without writing Events or Ingress status (every worker but the first of a multi-process Portico). */
export async function createKubernetesProviders(cfg: StaticConfig, log: Logger, readOnly = false): Promise<Provider[]> {
  const out: Provider[] = [];
  const make = (name: 'kubernetescrd' | 'kubernetesingress', options: Record<string, unknown> | undefined, at: string) => {
    if (!options) return;
    const problems = validateKubernetesOptions(options, at);
    if (problems.length) throw new Error(`invalid static configuration:\n  - ${problems.join('\n  - ')}`);
    out.push(new KubernetesProvider(name, options as KubernetesProviderOptions, (level, msg) => log[level]({ provider: name }, msg), undefined, readOnly));
  };
  make('kubernetescrd', cfg.providers.kubernetesCRD, 'providers.kubernetesCRD');
  make('kubernetesingress', cfg.providers.kubernetesIngress, 'providers.kubernetesIngress');
  return out;
}
