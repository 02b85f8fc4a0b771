import { describe, expect, test } from 'vitest';
import yaml from 'js-yaml';
import { convertManifests, type ManifestConversionOptions } from '../../../src/provider/manifests/convert.js';

const opts: ManifestConversionOptions = { provider: 'file', apiGroups: ['portico.dev', 'traefik.io'], allowCrossNamespace: false };
const docs = (text: string) => yaml.loadAll(text).map((object, i) => ({ source: 'test.yaml', line: i, object }));
const b64 = (s: string) => Buffer.from(s).toString('base64');

const cluster = `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  clusterIP: 10.96.0.10
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-abc, namespace: shop, labels: { kubernetes.io/service-name: web } }
ports: [{ name: http, port: 8080 }]
endpoints:
  - addresses: [10.0.0.1]
    conditions: { ready: true }
  - addresses: [10.0.0.2]
    conditions: { ready: false }
  - addresses: [fd00::3]
---
apiVersion: v1
kind: Secret
metadata: { name: web-tls, namespace: shop }
type: kubernetes.io/tls
data: { tls.crt: ${b64('CERT')}, tls.key: ${b64('KEY')} }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
`;

describe('manifests → dynamic configuration', () => {
  test('IngressRoute with middlewares, TLS secret and options; endpoints resolved to ready pods', () => {
    const { config, errors } = convertManifests(
      docs(`${cluster}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: shop, namespace: shop }
spec:
  entryPoints: [websecure]
  routes:
    - match: Host(\`shop.example.com\`)
      kind: Rule
      middlewares: [{ name: strip }]
      services: [{ name: web, port: 80 }]
  tls:
    secretName: web-tls
    options: { name: modern }
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: { name: strip, namespace: shop }
spec:
  stripPrefix: { prefixes: [/api] }
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: { name: modern, namespace: shop }
spec: { minVersion: VersionTLS13 }
`),
      opts,
    );
    expect(errors).toEqual([]);
    const [name, router] = Object.entries(config.http.routers)[0]!;
    expect(name).toMatch(/^shop-shop-[0-9a-f]{20}$/);
    expect(router).toEqual({ rule: 'Host(`shop.example.com`)', service: 'shop-web-80', entryPoints: ['websecure'], middlewares: ['shop-strip'], tls: { options: 'shop-modern' } });
    expect(config.http.services['shop-web-80']!.loadBalancer!.servers).toEqual([{ url: 'http://10.0.0.1:8080' }, { url: 'http://[fd00::3]:8080' }]);
    expect(config.http.middlewares['shop-strip']).toEqual({ stripPrefix: { prefixes: ['/api'] } });
    expect(config.tls.options['shop-modern']).toEqual({ minVersion: 'VersionTLS13' });
    expect(config.tls.certificates).toEqual([{ certFile: 'CERT', keyFile: 'KEY' }]);
  });

  test('two services make a weighted service; nativeLB uses the ClusterIP; internal services pass through', () => {
    const { config, errors } = convertManifests(
      docs(`${cluster}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: split, namespace: shop }
spec:
  routes:
    - match: PathPrefix(\`/\`)
      services: [{ name: web, port: http, weight: 3 }, { name: web, port: 80, nativeLB: true, weight: 1, passHostHeader: false }]
    - match: Path(\`/who\`)
      services: [{ name: whoami@internal, kind: TraefikService }]
`),
      opts,
    );
    expect(errors).toEqual([]);
    const weighted = Object.values(config.http.services).find((s) => s.weighted)!;
    expect(weighted.weighted!.services.map((s) => s.weight)).toEqual([3, 1]);
    expect(config.http.services['shop-web-80-nohost']!.loadBalancer).toEqual({ servers: [{ url: 'http://10.96.0.10:80' }], passHostHeader: false });
    expect(Object.values(config.http.routers).some((r) => r.service === 'whoami@internal')).toBe(true);
  });

  test('errors name the object and field; the bad object is left out, others convert', () => {
    const { config, errors } = convertManifests(
      docs(`${cluster}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: bad, namespace: shop }
spec:
  routes:
    - match: Host(\`a\`)
      services: [{ name: missing, port: 80 }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: typo, namespace: shop }
spec:
  rotes: []
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: xns, namespace: shop }
spec:
  routes:
    - match: Host(\`b\`)
      services: [{ name: web, namespace: other, port: 80 }]
---
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: { name: mine, namespace: shop }
spec: {}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: good, namespace: shop }
spec:
  routes:
    - match: Host(\`good\`)
      services: [{ name: web, port: 80 }]
`),
      opts,
    );
    const msg = errors.map((e) => `${e.source}|${e.path}|${e.message}`);
    expect(msg).toContain('test.yaml (shop/IngressRoute/bad)|spec.routes[0].services[0].name|no Service shop/missing');
    expect(msg.some((m) => m.startsWith('test.yaml (shop/IngressRoute/typo)|spec.rotes|unknown field "rotes"'))).toBe(true);
    expect(msg.some((m) => m.includes('xns') && m.includes('spec.routes[0].services[0].namespace|cross-namespace'))).toBe(true);
    expect(msg.some((m) => m.includes('TLSStore/mine') && m.includes('only the TLS store named "default" exists'))).toBe(true);
    expect(Object.values(config.http.routers).map((r) => r.rule)).toEqual(['Host(`good`)']);
  });

  test('TLSStore default certificate, ServersTransport, Ingress with class and annotations, unknown kinds skipped', () => {
    const skipped: string[] = [];
    const { config, errors } = convertManifests(
      docs(`${cluster}
---
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: { name: default, namespace: shop }
spec: { defaultCertificate: { secretName: web-tls } }
---
apiVersion: traefik.io/v1alpha1
kind: ServersTransport
metadata: { name: internal, namespace: shop }
spec: { serverName: web.internal, insecureSkipVerify: true, forwardingTimeouts: { dialTimeout: 5s } }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: legacy
  namespace: shop
  annotations: { portico.ingress.kubernetes.io/router.entrypoints: websecure, traefik.ingress.kubernetes.io/router.middlewares: shop-strip@kubernetescrd }
spec:
  ingressClassName: portico
  tls: [{ secretName: web-tls }]
  rules:
    - host: legacy.example.com
      http:
        paths:
          - { path: /app, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
          - { path: /exact, pathType: Exact, backend: { service: { name: web, port: { name: http } } } }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: other-class, namespace: shop }
spec: { ingressClassName: nginx, defaultBackend: { service: { name: web, port: { number: 80 } } } }
`),
      { ...opts, ingressClass: 'portico', log: (_l, m) => skipped.push(m) },
    );
    expect(errors).toEqual([]);
    expect(config.tls.stores.default).toEqual({ defaultCertificate: { certFile: 'CERT', keyFile: 'KEY' } });
    expect(config.http.serversTransports['shop-internal']).toEqual({ serverName: 'web.internal', insecureSkipVerify: true, forwardingTimeouts: { dialTimeout: '5s' } });
    const rules = Object.values(config.http.routers).map((r) => r.rule).sort();
    expect(rules).toEqual(['Host(`legacy.example.com`) && Path(`/exact`)', 'Host(`legacy.example.com`) && PathPrefix(`/app`)']);
    expect(Object.values(config.http.routers)[0]).toMatchObject({ entryPoints: ['websecure'], middlewares: ['shop-strip@kubernetescrd'], tls: {} });
    expect(skipped.some((m) => /Deployment/.test(m))).toBe(true);
    expect(skipped.some((m) => /other-class/.test(m))).toBe(true);
  });
});
