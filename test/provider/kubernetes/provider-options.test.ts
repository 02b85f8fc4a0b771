import { describe, expect, test } from 'vitest';
import { validateKubernetesProviderOptions } from '../../../src/provider/kubernetes/provider-options.js';
import { loadStaticConfig } from '../../../src/config/load-static-config.js';

describe('Kubernetes provider options', () => {
  test('valid options pass; the chart defaults pass', () => {
    expect(
      validateKubernetesProviderOptions(
        'kubernetescrd',
        {
          namespaces: [],
          labelSelector: '',
          ingressClass: '',
          allowCrossNamespace: false,
          allowExternalNameServices: false,
          nativeLB: false,
          throttleDuration: '2s',
          traefikCompat: false,
        },
        'providers.kubernetesCRD',
      ),
    ).toEqual([]);
    expect(
      validateKubernetesProviderOptions(
        'kubernetesingress',
        { ingressClass: 'portico', publishedService: 'portico/portico', resyncPeriod: '5m', traefikCompat: true },
        'providers.kubernetesIngress',
      ),
    ).toEqual([]);
  });

  test('each problem names its path and what to write instead', () => {
    expect(
      validateKubernetesProviderOptions(
        'kubernetesingress',
        {
          ingresClass: 'typo',
          namespaces: 'shop',
          publishedService: 'portico',
          ingressEndpoint: { address: '1.2.3.4' },
          endpoint: 'localhost:6443',
          nativeLB: 'yes',
        },
        'providers.kubernetesIngress',
      ),
    ).toEqual([
      expect.stringMatching(/^providers\.kubernetesIngress\.ingresClass: unknown option \(known: endpoint, /),
      'providers.kubernetesIngress.nativeLB: must be true or false',
      'providers.kubernetesIngress.namespaces: must be a list of namespace names',
      'providers.kubernetesIngress.publishedService: must be "namespace/name", got "portico"',
      'providers.kubernetesIngress.ingressEndpoint: must be { ip: <address> } or { hostname: <name> }',
      'providers.kubernetesIngress.endpoint: must be an http:// or https:// URL, got "localhost:6443"',
    ]);
    // Each provider knows its own options: publishedService is the Ingress provider's only.
    expect(validateKubernetesProviderOptions('kubernetescrd', { publishedService: 'a/b' }, 'providers.kubernetesCRD')).toEqual([
      expect.stringMatching(/publishedService: unknown option/),
    ]);
    expect(validateKubernetesProviderOptions('kubernetesingress', { publishedService: 'a/b' }, 'providers.kubernetesIngress')).toEqual([]);
  });

  test("kubernetesIngressNGINX takes Traefik's option names and refuses the ones Portico does not honour, naming them", () => {
    expect(
      validateKubernetesProviderOptions(
        'kubernetesingressnginx',
        {
          ingressClass: 'nginx',
          controllerClass: 'k8s.io/ingress-nginx',
          watchIngressWithoutClass: true,
          ingressClassByName: false,
          watchNamespace: 'shop',
          publishService: 'portico/portico',
          publishStatusAddress: ['1.2.3.4'],
          allowSnippetAnnotations: false,
          certAuthFilePath: '/ca.crt',
          httpEntryPoint: 'web',
          httpsEntryPoint: 'websecure',
        },
        'providers.kubernetesIngressNGINX',
      ),
    ).toEqual([]);
    expect(
      validateKubernetesProviderOptions(
        'kubernetesingressnginx',
        { defaultBackendService: 'a/b', allowSnippetAnnotations: true, publishService: 'x', watchNamespace: 'a', namespaces: ['b'], allowCrossNamespace: true },
        'providers.kubernetesIngressNGINX',
      ),
    ).toEqual([
      'providers.kubernetesIngressNGINX.defaultBackendService: not supported: give an Ingress without rules a spec.defaultBackend instead',
      expect.stringMatching(/^providers\.kubernetesIngressNGINX\.allowCrossNamespace: unknown option \(known: .*allowCrossNamespaceResources/),
      'providers.kubernetesIngressNGINX.allowSnippetAnnotations: not supported: Portico never executes nginx snippets; remove it or set it to false',
      'providers.kubernetesIngressNGINX.watchNamespace: set either watchNamespace or namespaces, not both',
      'providers.kubernetesIngressNGINX.publishService: must be "namespace/name", got "x"',
    ]);
  });

  test("kubernetesIngressNGINX in the static configuration: Traefik's flag spelling works, the two spellings together are refused", () => {
    const cfg = loadStaticConfig({ document: {}, flags: [['providers.kubernetesingressnginx.watchNamespace', 'shop']] });
    expect(cfg.providers.kubernetesIngressNGINX).toEqual({ watchNamespace: 'shop' });
    expect(loadStaticConfig({ document: { providers: { kubernetesIngressNginx: { ingressClass: 'nginx' } } } }).providers.kubernetesIngressNginx).toEqual({
      ingressClass: 'nginx',
    });
    expect(() => loadStaticConfig({ document: { providers: { kubernetesIngressNGINX: {}, kubernetesIngressNginx: {} } } })).toThrow(
      /providers\.kubernetesIngressNginx: the same provider as providers\.kubernetesIngressNGINX; set only one of them/,
    );
  });
});
