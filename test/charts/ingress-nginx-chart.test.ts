/**
 * The chart's switch for the kubernetesIngressNGINX provider: off by default;
 * on, the rendered static configuration has the provider with the chart's
 * Service as publishService and the extra options passed through, and
 * Portico accepts it (static schema and the provider's own option check).
 */
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { validateStaticConfig } from '../../src/config/load-static-config.js';
import { validateKubernetesProviderOptions } from '../../src/provider/kubernetes/provider-options.js';
import { helm } from './helm-binary.js';

const repo = join(import.meta.dirname, '..', '..');

function renderedConfig(args: string[]): { providers: Record<string, Record<string, unknown>> } {
  const out = helm(['template', 'edge', join(repo, 'charts', 'portico'), '--namespace', 'portico', ...args], repo);
  const configMap = (yaml.loadAll(out) as Array<{ kind?: string; data?: Record<string, string> } | null>).find((o) => o?.kind === 'ConfigMap')!;
  return yaml.load(configMap.data!['portico.yaml']!) as { providers: Record<string, Record<string, unknown>> };
}

describe('chart: kubernetesIngressNGINX', () => {
  it('is off by default, and on it publishes the chart\'s Service and passes Traefik\'s options through', () => {
    expect(renderedConfig([]).providers.kubernetesIngressNGINX).toBeUndefined();
    const cfg = renderedConfig(['--set', 'providers.kubernetesIngressNGINX.enabled=true', '--set', 'providers.kubernetesIngressNGINX.options.watchIngressWithoutClass=true']);
    expect(cfg.providers.kubernetesIngressNGINX).toEqual({ publishService: 'portico/edge-portico', watchIngressWithoutClass: true });
    expect(() => validateStaticConfig(cfg, '/etc/portico', 'ConfigMap portico.yaml')).not.toThrow();
    expect(validateKubernetesProviderOptions('kubernetesingressnginx', cfg.providers.kubernetesIngressNGINX!, 'providers.kubernetesIngressNGINX')).toEqual([]);
    // Side by side with ingress-nginx: no status writes, so the two controllers do not overwrite each other.
    const quiet = renderedConfig(['--set', 'providers.kubernetesIngressNGINX.enabled=true', '--set', 'providers.kubernetesIngressNGINX.publishStatus=false']);
    expect(quiet.providers.kubernetesIngressNGINX).toEqual({});
    expect(() => validateStaticConfig(quiet, '/etc/portico', 'ConfigMap portico.yaml')).not.toThrow();
  });
});
