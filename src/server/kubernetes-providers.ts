/** Create the Kubernetes providers the static configuration asks for. */
import type { StaticConfig } from '../config/static-config.js';
import type { Logger } from '../observability/logger.js';
import type { Provider } from '../provider/provider.js';

export async function createKubernetesProviders(cfg: StaticConfig, log: Logger): Promise<Provider[]> {
  const out: Provider[] = [];
  if (cfg.providers.kubernetesCRD || cfg.providers.kubernetesIngress)
    log.warn('Kubernetes providers are configured but not available in this build');
  return out;
}
