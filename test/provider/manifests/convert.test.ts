/**
 * convertManifests, pure: each kind, Traefik's names, errors with object and
 * field, a bad object left out whole, Traefik group compatibility, unknown
 * kinds skipped.
 */
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import yaml from 'js-yaml';
import { convertManifests, type ManifestConversionOptions } from '../../../src/provider/manifests/convert.js';

const opts: ManifestConversionOptions = { provider: 'kubernetescrd', apiGroups: ['portico.dev', 'traefik.io'] };
/** One document per `---`, with the line it starts on, as the file provider passes them. */
const docs = (text: string) => {
  let line = 1;
  return text
    .split(/^---$/m)
    .map((chunk) => {
      const d = { source: 'test.yaml', line, object: yaml.load(chunk) };
      line += chunk.split('\n').length - 1;
      return d;
    })
    .filter((d) => d.object !== undefined && d.object !== null);
};
/** A stand-in CA: PEM-shaped, which is all the conversion checks (the runtime parses it). */
const CA_PEM = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');
/** Traefik's route key: `<ns>-<name>-` and the first 10 bytes of sha256(match) in hex. */
const key = (ns: string, name: string, match: string) => `${ns}-${name}-${createHash('sha256').update(match).digest('hex').slice(0, 20)}`;

const cluster = `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  clusterIP: 10.96.0.10
  ports: [{ name: http, port: 80, targetPort: 8080 }, { name: https, port: 443, targetPort: 8443 }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-abc, namespace: shop, labels: { kubernetes.io/service-name: web } }
ports: [{ name: http, port: 8080 }, { name: https, port: 8443 }]
endpoints:
  - addresses: [10.0.0.1]
    conditions: { ready: true }
  - addresses: [10.0.0.2]
    conditions: { ready: false }
  - addresses: [fd00::3]
---
apiVersion: v1
kind: Service
metadata: { name: legacy, namespace: shop }
spec:
  ports: [{ port: 9000, targetPort: 9900 }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: legacy, namespace: shop }
subsets: [{ addresses: [{ ip: 10.1.0.1 }, { ip: 10.1.0.2 }], ports: [{ port: 9900 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: ext, namespace: shop }
spec: { type: ExternalName, externalName: api.example.net, ports: [{ port: 443 }] }
---
apiVersion: v1
kind: Secret
metadata: { name: web-tls, namespace: shop }
type: kubernetes.io/tls
data: { tls.crt: ${b64('CERT')}, tls.key: ${b64('KEY')} }
---
apiVersion: v1
kind: Secret
metadata: { name: ca, namespace: shop }
stringData: { ca.crt: ${JSON.stringify(CA_PEM)} }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: shop }
`;

const route = (name: string, spec: string, group = 'portico.dev') => `
---
apiVersion: ${group}/v1alpha1
kind: IngressRoute
metadata: { name: ${name}, namespace: shop }
spec:
${spec.replace(/^/gm, '  ')}`;

describe('IngressRoute', () => {
  test('router, middleware, TLS secret and options; the route service is a load balancer over ready pods named after the router', () => {
    const { config, errors, origins } = convertManifests(
      docs(
        cluster +
          route(
            'shop',
            `entryPoints: [websecure]
routes:
  - match: Host(\`shop.example.com\`)
    kind: Rule
    priority: 20
    middlewares: [{ name: strip }]
    services: [{ name: web, port: 80 }]
tls:
  secretName: web-tls
  options: { name: modern }
  domains: [{ main: shop.example.com, sans: [www.shop.example.com] }]`,
          ) +
          `
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: { name: strip, namespace: shop }
spec: { stripPrefix: { prefixes: [/api] } }
---
apiVersion: portico.dev/v1alpha1
kind: TLSOption
metadata: { name: modern, namespace: shop }
spec: { minVersion: VersionTLS13, clientAuth: { secretNames: [ca], clientAuthType: RequireAndVerifyClientCert } }
`,
      ),
      opts,
    );
    expect(errors).toEqual([]);
    const name = key('shop', 'shop', 'Host(`shop.example.com`)');
    expect(config.http.routers).toEqual({
      [name]: {
        rule: 'Host(`shop.example.com`)',
        service: name,
        entryPoints: ['websecure'],
        middlewares: ['shop-strip'],
        priority: 20,
        tls: { options: 'shop-modern', domains: [{ main: 'shop.example.com', sans: ['www.shop.example.com'] }] },
      },
    });
    // Ready and condition-less endpoints, the slice's port for the Service port's name; the unready pod is left out.
    expect(config.http.services[name]).toEqual({ loadBalancer: { servers: [{ url: 'http://10.0.0.1:8080' }, { url: 'http://[fd00::3]:8080' }] } });
    expect(config.http.middlewares['shop-strip']).toEqual({ stripPrefix: { prefixes: ['/api'] } });
    expect(config.tls.options['shop-modern']).toEqual({
      minVersion: 'VersionTLS13',
      clientAuth: { caFiles: [CA_PEM], clientAuthType: 'RequireAndVerifyClientCert' },
    });
    expect(config.tls.certificates).toEqual([{ certFile: 'CERT', keyFile: 'KEY' }]);
    expect(origins[`http.routers.${name}`]).toBe('test.yaml');
  });

  test('port 443 or a port named https speaks https; legacy Endpoints when there is no EndpointSlice; port by name', () => {
    const { config, errors } = convertManifests(
      docs(
        cluster +
          route(
            'mixed',
            `routes:
  - match: Host(\`a\`)
    services: [{ name: web, port: https }]
  - match: Host(\`b\`)
    services: [{ name: legacy, port: 9000 }]
  - match: Host(\`c\`)
    services: [{ name: web, port: 80, scheme: h2c }]`,
          ),
      ),
      opts,
    );
    expect(errors).toEqual([]);
    const url = (match: string) => config.http.services[key('shop', 'mixed', match)]!.loadBalancer!.servers.map((s) => s.url);
    expect(url('Host(`a`)')).toEqual(['https://10.0.0.1:8443', 'https://[fd00::3]:8443']);
    expect(url('Host(`b`)')).toEqual(['http://10.1.0.1:9900', 'http://10.1.0.2:9900']);
    expect(url('Host(`c`)')).toEqual(['h2c://10.0.0.1:8080', 'h2c://[fd00::3]:8080']);
  });

  test('several services make a weighted service named after the router; nativeLB uses the ClusterIP; TraefikService and name@provider refs pass through', () => {
    const { config, errors } = convertManifests(
      docs(
        cluster +
          route(
            'split',
            `routes:
  - match: PathPrefix(\`/\`)
    services:
      - { name: web, port: http, weight: 3 }
      - { name: web, port: 80, nativeLB: true, weight: 1, passHostHeader: false }
      - { name: canary, kind: TraefikService, weight: 2 }
  - match: Path(\`/who\`)
    services: [{ name: whoami@internal, kind: TraefikService }]
  - match: Path(\`/file\`)
    services: [{ name: api@file, kind: TraefikService }]`,
          ) +
          `
---
apiVersion: portico.dev/v1alpha1
kind: TraefikService
metadata: { name: canary, namespace: shop }
spec:
  weighted:
    services: [{ name: legacy, port: 9000, weight: 1 }, { name: whoami@internal, kind: TraefikService, weight: 1 }]
`,
      ),
      opts,
    );
    expect(errors).toEqual([]);
    const split = key('shop', 'split', 'PathPrefix(`/`)');
    const weighted = config.http.services[split]!.weighted!.services;
    expect(weighted.map((s) => s.weight)).toEqual([3, 1, 2]);
    expect(weighted[0]!.name).toBe('shop-web-http');
    expect(weighted[1]!.name).toMatch(/^shop-web-80-[0-9a-f]{6}$/);
    expect(weighted[2]!.name).toBe('shop-canary');
    expect(config.http.services[weighted[1]!.name]!.loadBalancer).toEqual({ servers: [{ url: 'http://10.96.0.10:80' }], passHostHeader: false });
    expect(config.http.services['shop-canary']).toEqual({
      weighted: {
        services: [
          { name: 'shop-legacy-9000', weight: 1 },
          { name: 'whoami@internal', weight: 1 },
        ],
      },
    });
    expect(config.http.routers[key('shop', 'split', 'Path(`/who`)')]!.service).toBe('whoami@internal');
    expect(config.http.routers[key('shop', 'split', 'Path(`/file`)')]!.service).toBe('api@file');
  });

  test('ExternalName services only when allowed; a native service of the same provider when no Service manifest exists', () => {
    const ir = route('ext', `routes:\n  - match: Host(\`ext\`)\n    services: [{ name: ext, port: 443 }]`);
    const refused = convertManifests(docs(cluster + ir), opts);
    expect(refused.errors.map((e) => [e.path, e.message])).toEqual([
      ['spec.routes[0].services[0].port', 'Service shop/ext is of type ExternalName, which allowExternalNameServices does not permit'],
    ]);
    const allowed = convertManifests(docs(cluster + ir), { ...opts, allowExternalNameServices: true });
    expect(allowed.config.http.services[key('shop', 'ext', 'Host(`ext`)')]!.loadBalancer!.servers).toEqual([{ url: 'https://api.example.net:443' }]);

    const native = convertManifests(docs(route('n', `routes:\n  - match: Host(\`n\`)\n    services: [{ name: whoami, port: 80 }]`)), {
      ...opts,
      provider: 'file',
      nativeServiceNames: new Set(['whoami']),
    });
    expect(native.errors).toEqual([]);
    expect(Object.values(native.config.http.routers)[0]!.service).toBe('whoami');
  });
});

describe('errors', () => {
  test('name the object, the field and the line; the bad object (or bad route) is left out whole and the rest converts', () => {
    const text =
      cluster +
      route(
        'bad',
        `routes:\n  - match: Host(\`ok\`)\n    services: [{ name: web, port: 80 }]\n  - match: Host(\`a\`)\n    services: [{ name: missing, port: 80 }]`,
      ) +
      route('typo', `rotes: []`) +
      route('xns', `routes:\n  - match: Host(\`b\`)\n    services: [{ name: web, namespace: other, port: 80 }]`) +
      route('noport', `routes:\n  - match: Host(\`c\`)\n    services: [{ name: web, port: 81 }]`) +
      route('types', `routes:\n  - match: Host(\`d\`)\n    priority: high\n    services: [{ name: web, port: 80 }]`) +
      route('nomw', `routes:\n  - match: Host(\`e\`)\n    middlewares: [{ name: ghost }]\n    services: [{ name: web, port: 80 }]`) +
      route('selfref', `routes:\n  - match: Host(\`f\`)\n    middlewares: [{ name: other-auth@kubernetescrd }]\n    services: [{ name: web, port: 80 }]`) +
      route('good', `routes:\n  - match: Host(\`good\`)\n    services: [{ name: web, port: 80 }]`) +
      `
---
apiVersion: portico.dev/v1alpha1
kind: TLSStore
metadata: { name: mine, namespace: shop }
spec: {}
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: { name: two, namespace: shop }
spec: { stripPrefix: { prefixes: [/a] }, addPrefix: { prefix: /b } }
`;
    const { config, errors } = convertManifests(docs(text), opts);
    const byName = (n: string) => errors.filter((e) => e.source.includes(`/${n}`)).map((e) => `${e.path} | ${e.message}`);
    expect(byName('IngressRoute/bad')).toEqual(['spec.routes[1].services[0].name | no Service shop/missing']);
    expect(errors.find((e) => e.source.includes('IngressRoute/bad'))).toMatchObject({ provider: 'kubernetescrd', source: 'test.yaml (shop/IngressRoute/bad)' });
    // The line is where the object's document starts in the file.
    const badLine = text.split('\n').findIndex((l) => l.includes('name: bad,')) - 2;
    expect(errors.find((e) => e.source.includes('IngressRoute/bad'))!.line).toBe(badLine);
    expect(byName('IngressRoute/typo')[0]).toMatch(/^spec\.rotes \| unknown field "rotes" \(known fields: entryPoints, routes/);
    expect(byName('IngressRoute/xns')[0]).toMatch(
      /^spec\.routes\[0\]\.services\[0\]\.namespace \| reference to namespace "other" from "shop" is not allowed; set allowCrossNamespace/,
    );
    expect(byName('IngressRoute/noport')).toEqual(['spec.routes[0].services[0].port | Service shop/web has no port 81 (it has 80/http, 443/https)']);
    expect(byName('IngressRoute/types')).toEqual(['spec.routes[0].priority | must be an integer, got "high"']);
    expect(byName('IngressRoute/nomw')).toEqual(['spec.routes[0].middlewares[0].name | no Middleware shop/ghost']);
    expect(byName('IngressRoute/selfref')[0]).toMatch(/^spec\.routes\[0\]\.middlewares\[0\]\.name \| "other-auth@kubernetescrd" may name another namespace/);
    // Traefik warns about a store not named default and goes on: no error.
    expect(byName('TLSStore/mine')).toEqual([]);
    expect(byName('Middleware/two')).toEqual(['spec | a Middleware sets exactly one type, found stripPrefix, addPrefix']);
    // As in Traefik, the good first route of "bad" stays; the bad route and the other bad objects left nothing behind.
    expect(Object.values(config.http.routers).map((r) => r.rule)).toEqual(['Host(`ok`)', 'Host(`good`)']);
    expect(Object.keys(config.http.services)).toEqual([key('shop', 'bad', 'Host(`ok`)'), key('shop', 'good', 'Host(`good`)')]);
  });

  test('allowCrossNamespace lets references reach other namespaces', () => {
    const other = `
---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: other }
spec: { ports: [{ port: 80, targetPort: 8000 }] }
---
apiVersion: portico.dev/v1alpha1
kind: Middleware
metadata: { name: auth, namespace: other }
spec: { basicAuth: { secret: users } }
---
apiVersion: v1
kind: Secret
metadata: { name: users, namespace: other }
stringData: { users: "alice:$apr1$x$y\\nbob:$apr1$z$w\\n" }
`;
    const ir = route(
      'x',
      `routes:\n  - match: Host(\`x\`)\n    middlewares: [{ name: auth, namespace: other }]\n    services: [{ name: api, namespace: other, port: 80 }]`,
    );
    expect(convertManifests(docs(cluster + other + ir), opts).errors).toHaveLength(1);
    const { config, errors } = convertManifests(docs(cluster + other + ir), { ...opts, allowCrossNamespace: true });
    expect(errors).toEqual([]);
    expect(config.http.routers[key('shop', 'x', 'Host(`x`)')]!.middlewares).toEqual(['other-auth']);
    expect(config.http.middlewares['other-auth']).toEqual({ basicAuth: { users: ['alice:$apr1$x$y', 'bob:$apr1$z$w'] } });
  });

  test('a document that is not a Kubernetes object, and an object without a name, are errors', () => {
    const { errors } = convertManifests(
      [
        { source: 'a.yaml', line: 3, object: { kind: 'IngressRoute' } },
        { source: 'a.yaml', line: 9, object: { apiVersion: 'portico.dev/v1alpha1', kind: 'Middleware', metadata: {} } },
      ],
      opts,
    );
    expect(errors).toEqual([
      { provider: 'kubernetescrd', source: 'a.yaml', line: 3, path: '', message: 'not a Kubernetes object: apiVersion and kind are required' },
      { provider: 'kubernetescrd', source: 'a.yaml', line: 9, path: 'metadata.name', message: 'Middleware without metadata.name' },
    ]);
  });
});

describe('other kinds', () => {
  test('TLSStore default, TLSOption "default", ServersTransport and a service that uses it, chain and errors middlewares, a served Secret', () => {
    const { config, errors } = convertManifests(
      docs(
        cluster +
          `
---
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: { name: default, namespace: shop }
spec: { defaultCertificate: { secretName: web-tls } }
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: { name: default, namespace: shop }
spec: { minVersion: VersionTLS12, alpnProtocols: [h2, http/1.1] }
---
apiVersion: traefik.io/v1alpha1
kind: ServersTransport
metadata: { name: internal, namespace: shop }
spec: { serverName: web.internal, rootCAsSecrets: [ca], forwardingTimeouts: { dialTimeout: 5s, responseHeaderTimeout: 30 }, disableHTTP2: true }
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: both, namespace: shop }
spec: { chain: { middlewares: [{ name: oops }] } }
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: oops, namespace: shop }
spec: { errors: { status: ["500-599"], query: "/{status}.html", service: { name: web, port: 80 } } }
---
apiVersion: v1
kind: Secret
metadata: { name: served, namespace: shop, annotations: { portico.dev/tls-certificate: "true" } }
type: kubernetes.io/tls
stringData: { tls.crt: SERVED-CERT, tls.key: SERVED-KEY }
` +
          route('st', `routes:\n  - match: Host(\`st\`)\n    services: [{ name: web, port: 443, serversTransport: internal }]`, 'traefik.io'),
      ),
      opts,
    );
    expect(errors).toEqual([]);
    expect(config.tls.stores.default).toEqual({ defaultCertificate: { certFile: 'CERT', keyFile: 'KEY' } });
    expect(config.tls.options.default).toEqual({ minVersion: 'VersionTLS12', alpnProtocols: ['h2', 'http/1.1'] });
    expect(config.http.serversTransports['shop-internal']).toEqual({
      serverName: 'web.internal',
      rootCAs: [CA_PEM],
      forwardingTimeouts: { dialTimeout: '5s', responseHeaderTimeout: '30s' },
      http2: false,
    });
    expect(config.http.services[key('shop', 'st', 'Host(`st`)')]!.loadBalancer!.serversTransport).toBe('shop-internal');
    expect(config.http.middlewares['shop-both']).toEqual({ chain: { middlewares: ['shop-oops'] } });
    expect(config.http.middlewares['shop-oops']).toEqual({ errors: { status: ['500-599'], query: '/{status}.html', service: 'shop-web-80' } });
    expect(config.http.services['shop-web-80']!.loadBalancer!.servers[0]).toEqual({ url: 'http://10.0.0.1:8080' });
    // The store's default certificate is not also a listed one; the annotated Secret is.
    expect(config.tls.certificates).toEqual([{ certFile: 'SERVED-CERT', keyFile: 'SERVED-KEY' }]);
  });

  test('a default TLSOption in two namespaces is an error on both and neither is used', () => {
    const opt = (ns: string) => `
---
apiVersion: portico.dev/v1alpha1
kind: TLSOption
metadata: { name: default, namespace: ${ns} }
spec: { minVersion: VersionTLS12 }`;
    const { config, errors } = convertManifests(docs(opt('a') + opt('b')), opts);
    expect(config.tls.options).toEqual({});
    expect(errors.map((e) => e.message)).toEqual([
      'a TLSOption named "default" exists in namespaces a, b; keep only one (none is used until then)',
      'a TLSOption named "default" exists in namespaces a, b; keep only one (none is used until then)',
    ]);
  });

  test('CRDs of groups not accepted, and kinds Portico does not read, are skipped with a debug line', () => {
    const logged: string[] = [];
    const { config, errors } = convertManifests(
      docs(
        cluster +
          route('t', `routes:\n  - match: Host(\`t\`)\n    services: [{ name: web, port: 80 }]`, 'traefik.io') +
          route('c', `routes:\n  - match: Host(\`c\`)\n    services: [{ name: web, port: 80 }]`, 'traefik.containo.us'),
      ),
      { ...opts, apiGroups: ['portico.dev'], log: (level, m) => logged.push(`${level} ${m}`) },
    );
    expect(errors).toEqual([]);
    expect(config.http.routers).toEqual({});
    expect(logged.some((m) => m.startsWith('debug') && m.includes('apps/v1 Deployment web'))).toBe(true);
    expect(logged.some((m) => m.includes('v1 ConfigMap settings'))).toBe(true);
    expect(logged.some((m) => m.includes('traefik.io/v1alpha1 IngressRoute t'))).toBe(true);
    expect(logged.some((m) => m.includes('traefik.containo.us/v1alpha1 IngressRoute c'))).toBe(true);
    const compat = convertManifests(docs(cluster + route('t', `routes:\n  - match: Host(\`t\`)\n    services: [{ name: web, port: 80 }]`, 'traefik.io')), opts);
    expect(Object.values(compat.config.http.routers).map((r) => r.rule)).toEqual(['Host(`t`)']);
  });
});

describe('Ingress', () => {
  const ingress = (name: string, meta: string, spec: string) => `
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: shop
${meta.replace(/^/gm, '  ')}
spec:
${spec.replace(/^/gm, '  ')}`;

  test('class filter, path types, wildcard hosts, TLS hosts, annotations under both prefixes, default backend; Traefik ingress names', () => {
    const logged: string[] = [];
    const { config, errors } = convertManifests(
      docs(
        cluster +
          ingress(
            'app',
            `annotations:
  portico.ingress.kubernetes.io/router.entrypoints: websecure
  traefik.ingress.kubernetes.io/router.middlewares: shop-strip@kubernetescrd
  portico.ingress.kubernetes.io/router.priority: "7"
  traefik.ingress.kubernetes.io/router.observability.accesslogs: "false"`,
            `ingressClassName: portico
tls: [{ hosts: [app.example.com], secretName: web-tls }]
rules:
  - host: app.example.com
    http:
      paths:
        - { path: /app, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }
        - { path: /exact, pathType: Exact, backend: { service: { name: web, port: { name: http } } } }
  - host: "*.wild.example.com"
    http:
      paths:
        - { path: /, pathType: ImplementationSpecific, backend: { service: { name: web, port: { number: 80 } } } }
defaultBackend: { service: { name: legacy, port: { number: 9000 } } }`,
          ) +
          ingress(
            'legacy-annotation',
            `annotations: { kubernetes.io/ingress.class: portico }`,
            `rules: [{ host: old.example.com, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] } }]`,
          ) +
          ingress(
            'nginx',
            `annotations: {}`,
            `ingressClassName: nginx\nrules: [{ host: nginx.example.com, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] } }]`,
          ) +
          ingress(
            'classless',
            `annotations: {}`,
            `rules: [{ host: none.example.com, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] } }]`,
          ),
      ),
      { ...opts, provider: 'kubernetesingress', ingressClass: 'portico', log: (_l, m) => logged.push(m) },
    );
    expect(errors).toEqual([]);
    const common = { entryPoints: ['websecure'], middlewares: ['shop-strip@kubernetescrd'], priority: 7 };
    expect(config.http.routers).toEqual({
      'shop-app-app-example-com-app': { rule: 'Host(`app.example.com`) && (Path(`/app`) || PathPrefix(`/app/`))', service: 'shop-web-80', ...common, tls: {} },
      'shop-app-app-example-com-exact': { rule: 'Host(`app.example.com`) && Path(`/exact`)', service: 'shop-web-http', ...common, tls: {} },
      'shop-app-wild-example-com': { rule: 'HostRegexp(`^[a-zA-Z0-9-]+\\.wild\\.example\\.com$`)', service: 'shop-web-80', ...common },
      'shop-app-default-backend': { rule: 'PathPrefix(`/`)', service: 'shop-legacy-9000', ...common, priority: 1 },
      'shop-legacy-annotation-old-example-com': { rule: 'Host(`old.example.com`)', service: 'shop-web-80' },
    });
    expect(config.http.services['shop-web-80']!.loadBalancer!.servers[0]).toEqual({ url: 'http://10.0.0.1:8080' });
    expect(config.tls.certificates).toEqual([{ certFile: 'CERT', keyFile: 'KEY' }]);
    expect(logged.some((m) => m.includes('nginx') && m.includes('skipped'))).toBe(true);
    expect(logged.some((m) => m.includes('router.observability.accesslogs has no Portico equivalent'))).toBe(true);

    // An Ingress without a class is ours only when our IngressClass is the cluster default.
    const withDefault = convertManifests(
      docs(
        cluster +
          ingress(
            'classless',
            `annotations: {}`,
            `rules: [{ host: none.example.com, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] } }]`,
          ),
      ),
      {
        ...opts,
        ingressClass: 'portico',
        ingressWithoutClass: true,
      },
    );
    expect(Object.keys(withDefault.config.http.routers)).toEqual(['shop-classless-none-example-com']);
  });

  test('bad annotations, paths and backends are errors with their field', () => {
    const { errors } = convertManifests(
      docs(
        cluster +
          ingress('a', `annotations: { portico.ingress.kubernetes.io/router.priorty: "1" }`, `ingressClassName: portico\nrules: []`) +
          ingress('b', `annotations: { portico.ingress.kubernetes.io/router.tls: "yes" }`, `ingressClassName: portico\nrules: []`) +
          ingress(
            'c',
            `annotations: {}`,
            `ingressClassName: portico\nrules: [{ http: { paths: [{ path: app, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] } }]`,
          ) +
          ingress(
            'd',
            `annotations: {}`,
            `ingressClassName: portico\nrules: [{ http: { paths: [{ path: /, pathType: Prefix, backend: { resource: { kind: Bucket, name: b } } }] } }]`,
          ) +
          ingress(
            'e',
            `annotations: {}`,
            `ingressClassName: portico\nrules: [{ http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: gone, port: { number: 80 } } } }] } }]`,
          ),
      ),
      { ...opts, provider: 'kubernetesingress', ingressClass: ['portico'] },
    );
    expect(errors.map((e) => `${e.source.split(' ')[1]} ${e.path} | ${e.message}`)).toEqual([
      expect.stringMatching(/^\(shop\/Ingress\/a\) metadata\.annotations\["portico\.ingress\.kubernetes\.io\/router\.priorty"\] \| unknown annotation/),
      '(shop/Ingress/b) metadata.annotations["portico.ingress.kubernetes.io/router.tls"] | must be "true" or "false", got "yes"',
      '(shop/Ingress/c) spec.rules[0].http.paths[0].path | must start with "/", got "app"',
      '(shop/Ingress/d) spec.rules[0].http.paths[0].backend.resource | resource backends are not supported; use a service backend',
      '(shop/Ingress/e) spec.rules[0].http.paths[0].backend.service.name | no Service shop/gone',
    ]);
  });
});
