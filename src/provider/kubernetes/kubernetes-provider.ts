/**
 * Entry point for the static configuration: builds the kubernetesCRD or
 * kubernetesIngress provider by name. (The providers themselves live in
 * crd-provider.ts and ingress-provider.ts.)
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Provider } from '../provider.js';
import type { ProviderSnapshot } from '../../dynamic/model.js';
import { KubernetesCrdProvider } from './crd-provider.js';
import { KubernetesIngressProvider } from './ingress-provider.js';
import type { KubernetesLog } from './cluster-provider.js';
import { validateKubernetesProviderOptions, type KubernetesProviderOptions } from './provider-options.js';

export { KubernetesCrdProvider } from './crd-provider.js';
export { KubernetesIngressProvider, PORTICO_INGRESS_CONTROLLER } from './ingress-provider.js';
export { loadKubeConfig, type KubernetesConnectionOptions } from './kube-config.js';
export type { KubernetesCrdProviderOptions, KubernetesIngressProviderOptions, KubernetesProviderOptions, KubernetesWatchOptions } from './provider-options.js';
export type { ClusterProviderDependencies, KubernetesLog } from './cluster-provider.js';
export { validateKubernetesProviderOptions } from './provider-options.js';

/** Build the provider named `name` (`kubernetescrd` or `kubernetesingress`). */
export function createKubernetesProvider(
  name: 'kubernetescrd' | 'kubernetesingress',
  options: KubernetesProviderOptions,
  deps: { log?: KubernetesLog; kubeConfig?: KubeConfig; backoffMs?: number; readOnly?: boolean } = {},
): KubernetesCrdProvider | KubernetesIngressProvider {
  return name === 'kubernetescrd' ? new KubernetesCrdProvider(options, deps) : new KubernetesIngressProvider(options, deps);
}

/**
 * Problems with a provider's options, without knowing which provider: the
 * union of both option sets. Prefer validateKubernetesProviderOptions.
 * @deprecated kept for src/server/kubernetes-providers.ts until it names the provider.
 */
export function validateKubernetesOptions(options: Record<string, unknown>, at: string): string[] {
  const provider = /ingress/i.test(at) ? 'kubernetesingress' : 'kubernetescrd';
  return validateKubernetesProviderOptions(provider, options, at);
}

/**
 * The provider named `name`, as one class.
 * @deprecated use KubernetesCrdProvider / KubernetesIngressProvider (or createKubernetesProvider).
 */
export class KubernetesProvider implements Provider {
  private readonly inner: KubernetesCrdProvider | KubernetesIngressProvider;

  constructor(
    readonly name: 'kubernetescrd' | 'kubernetesingress',
    options: KubernetesProviderOptions,
    log?: KubernetesLog,
    kubeConfig?: KubeConfig,
    readOnly = false,
  ) {
    this.inner = createKubernetesProvider(name, options, { log, kubeConfig, readOnly });
  }

  start(emit: (snapshot: ProviderSnapshot) => void): Promise<void> {
    return this.inner.start(emit);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }
}
