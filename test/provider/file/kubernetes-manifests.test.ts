/**
 * Kubernetes manifests read by the real FileProvider from files on disk, as
 * Traefik's documentation writes them: backend ports matched by name as
 * Kubernetes matches them, ExternalName Services without ports,
 * `name@kubernetescrd` references, Service annotations, TLSOption CAs, a bad
 * route among good ones, Ingress objects in files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { FileProvider } from '../../../src/provider/file/file-provider.js';
import type { ProviderSnapshot } from '../../../src/dynamic/model.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The snapshot the file provider makes of one YAML file. */
async function load(text: string, warnings: string[] = []): Promise<ProviderSnapshot> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-k8s-files-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'cluster.yaml'), text);
  return new FileProvider({ directory: dir, watch: false, log: (level, msg) => void (level === 'warn' && warnings.push(msg)) }).reload();
}
const urls = (s: ProviderSnapshot, service: string) => s.config.http.services[service]?.loadBalancer?.servers.map((x) => x.url).sort();
const routerFor = (s: ProviderSnapshot, rule: string) => Object.values(s.config.http.routers).find((r) => r.rule === rule);
/** The Service most examples route to. */
const WHOAMI = `apiVersion: v1
kind: Service
metadata: { name: whoami, namespace: default }
spec: { ports: [{ name: http, port: 80 }] }`;
const errorsOf = (s: ProviderSnapshot) => s.errors.map((e) => `${e.path}: ${e.message}`);

describe('backend ports', () => {
  // Two slices of one Service, one per port, as the EndpointSlice controller writes them.
  const twoPorts = `
apiVersion: v1
kind: Service
metadata: { name: app, namespace: default }
spec:
  ports: [{ name: web, port: 80 }, { name: web2, port: 8080 }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: app-web, namespace: default, labels: { kubernetes.io/service-name: app } }
addressType: IPv4
ports: [{ name: web, port: 80 }]
endpoints: [{ addresses: [10.0.0.1], conditions: { ready: true } }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: app-web2, namespace: default, labels: { kubernetes.io/service-name: app } }
addressType: IPv4
ports: [{ name: web2, port: 8080 }]
endpoints: [{ addresses: [10.0.0.1], conditions: { ready: true } }, { addresses: [10.0.0.2], conditions: { ready: true } }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: app, namespace: default }
spec:
  routes:
    - match: Host(\`web.example\`)
      kind: Rule
      services: [{ name: app, port: web }]
    - match: Host(\`web2.example\`)
      kind: Rule
      services: [{ name: app, port: web2 }]
`;

  test('each port gets only the slices that carry its name', async () => {
    const s = await load(twoPorts);
    expect(s.errors).toEqual([]);
    expect(urls(s, routerFor(s, 'Host(`web.example`)')!.service!)).toEqual(['http://10.0.0.1:80']);
    expect(urls(s, routerFor(s, 'Host(`web2.example`)')!.service!)).toEqual(['http://10.0.0.1:8080', 'http://10.0.0.2:8080']);
  });

  test('an admin port of the same pods does not join the http port; a slice without the port contributes nothing', async () => {
    const s = await load(`
apiVersion: v1
kind: Service
metadata: { name: api, namespace: default }
spec:
  ports: [{ name: http, port: 80, targetPort: 8080 }, { name: admin, port: 9000 }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: api-admin, namespace: default, labels: { kubernetes.io/service-name: api } }
addressType: IPv4
ports: [{ name: admin, port: 9000 }]
endpoints: [{ addresses: [10.0.0.9], conditions: { ready: true } }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: api, namespace: default }
subsets: [{ addresses: [{ ip: 10.0.0.9 }], ports: [{ name: admin, port: 9000 }] }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: api, namespace: default }
spec:
  routes:
    - match: Host(\`api.example\`)
      kind: Rule
      services: [{ name: api, port: http }]
    - match: Host(\`admin.example\`)
      kind: Rule
      services: [{ name: api, port: 9000 }]
`);
    expect(s.errors).toEqual([]);
    // No endpoint serves `http` yet: an empty load balancer (503), never the admin port.
    expect(urls(s, routerFor(s, 'Host(`api.example`)')!.service!)).toEqual([]);
    expect(urls(s, routerFor(s, 'Host(`admin.example`)')!.service!)).toEqual(['http://10.0.0.9:9000']);
  });
});

describe('ExternalName Services', () => {
  test('without ports: the port comes from the reference; without one there either, the error says so', async () => {
    const s = await load(`
apiVersion: v1
kind: Service
metadata: { name: upstream, namespace: default }
spec: { type: ExternalName, externalName: api.example.net }
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: ext, namespace: default }
spec:
  routes:
    - match: Host(\`ext.example\`)
      kind: Rule
      services: [{ name: upstream, port: 443 }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: ext-plain, namespace: default }
spec:
  routes:
    - match: Host(\`plain.example\`)
      kind: Rule
      services: [{ name: upstream, port: 8080 }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: no-port, namespace: default }
spec:
  routes:
    - match: Host(\`none.example\`)
      kind: Rule
      services: [{ name: upstream }]
`);
    expect(urls(s, routerFor(s, 'Host(`ext.example`)')!.service!)).toEqual(['https://api.example.net:443']);
    expect(urls(s, routerFor(s, 'Host(`plain.example`)')!.service!)).toEqual(['http://api.example.net:8080']);
    expect(errorsOf(s)).toEqual([
      'spec.routes[0].services[0].name: Service default/upstream is an ExternalName Service with no ports; give the port number in the reference',
    ]);
  });
});

describe('name@kubernetescrd in files', () => {
  test('references to the CRD provider resolve to the same objects read from the file', async () => {
    const s = await load(`
${WHOAMI}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: add-header, namespace: default }
spec: { headers: { customRequestHeaders: { X-Test: yes } } }
---
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: { name: wrr, namespace: default }
spec: { weighted: { services: [{ name: whoami, port: 80 }] } }
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: app, namespace: default }
spec:
  routes:
    - match: Host(\`app.example\`)
      kind: Rule
      middlewares: [{ name: default-add-header@kubernetescrd }]
      services: [{ name: default-wrr@kubernetescrd, kind: TraefikService }]
`);
    expect(s.errors).toEqual([]);
    const router = routerFor(s, 'Host(`app.example`)')!;
    expect(router.middlewares).toEqual(['default-add-header']);
    expect(router.service).toBe('default-wrr');
    expect(s.config.http.middlewares['default-add-header']).toBeDefined();
    expect(s.config.http.services['default-wrr']).toBeDefined();
  });
});

describe('TLSOption client CAs', () => {
  test('a CA Secret that is not PEM fails the TLSOption (so the routers using it fail), naming the Secret', async () => {
    const s = await load(`
apiVersion: v1
kind: Secret
metadata: { name: client-ca, namespace: default }
stringData: { ca.crt: "just some text" }
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: { name: mtls, namespace: default }
spec: { clientAuth: { secretNames: [client-ca], clientAuthType: RequireAndVerifyClientCert } }
`);
    expect(errorsOf(s)).toEqual(['spec.clientAuth.secretNames[0]: Secret default/client-ca holds no PEM CA certificate']);
    expect(s.config.tls.options['default-mtls']).toBeUndefined();
  });
});

describe('what Traefik warns about and goes on', () => {
  test('one bad route is reported and left out; the other routes of the IngressRoute stay', async () => {
    const s = await load(`
${WHOAMI}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: mixed, namespace: default }
spec:
  routes:
    - match: Host(\`good.example\`)
      kind: Rule
      services: [{ name: whoami, port: 80 }]
    - match: Host(\`bad.example\`)
      kind: Rule
      services: [{ name: missing, port: 80 }]
    - match: Host(\`also-good.example\`)
      kind: Rule
      services: [{ name: whoami, port: 80 }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: all-bad, namespace: default }
spec:
  routes:
    - match: Host(\`x.example\`)
      kind: Rule
      services: [{ name: missing, port: 80 }]
`);
    expect(
      Object.values(s.config.http.routers)
        .map((r) => r.rule)
        .sort(),
    ).toEqual(['Host(`also-good.example`)', 'Host(`good.example`)']);
    expect(s.errors.map((e) => `${e.source.split(' ')[1]} ${e.path}: ${e.message}`)).toEqual([
      '(default/IngressRoute/mixed) spec.routes[1].services[0].name: no Service default/missing',
      '(default/IngressRoute/all-bad) spec.routes[0].services[0].name: no Service default/missing',
    ]);
  });

  test('a TLSStore not named default and an IngressRoute tls.store naming it: warnings, the rest works', async () => {
    const warnings: string[] = [];
    const s = await load(
      `
${WHOAMI}
---
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: { name: other, namespace: default }
spec: {}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: secure, namespace: default }
spec:
  tls: { store: { name: other } }
  routes:
    - match: Host(\`secure.example\`)
      kind: Rule
      services: [{ name: whoami, port: 80 }]
`,
      warnings,
    );
    expect(s.errors).toEqual([]);
    expect(routerFor(s, 'Host(`secure.example`)')!.tls).toEqual({});
    expect(warnings).toEqual([
      expect.stringMatching(/TLSStore default\/other: only the TLS store named "default" is used/),
      expect.stringMatching(/IngressRoute default\/secure: spec.tls.store "other" is ignored/),
    ]);
  });

  test('parentRefs (multi-layer routing): every route of the parent IngressRoute becomes a parent router of every route here', async () => {
    const s = await load(`${WHOAMI}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: parent, namespace: default }
spec:
  entryPoints: [websecure]
  routes:
    - match: PathPrefix(\`/api\`)
      kind: Rule
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: child, namespace: default }
spec:
  parentRefs: [{ name: parent }]
  routes:
    - match: Header(\`X-Role\`, \`admin\`)
      kind: Rule
      services: [{ name: whoami, port: 80 }]
`);
    expect(errorsOf(s)).toEqual([]);
    const routers = Object.values(s.config.http.routers);
    const parent = routers.find((r) => r.rule === 'PathPrefix(`/api`)')!;
    const child = routers.find((r) => r.rule === 'Header(`X-Role`, `admin`)')!;
    expect(parent.service).toBeUndefined();
    expect(parent.entryPoints).toEqual(['websecure']);
    const parentName = Object.entries(s.config.http.routers).find(([, r]) => r === parent)![0];
    expect(child.parentRefs).toEqual([parentName]);
  });

  test('parentRefs naming no IngressRoute, a route without services that is no parent: errors naming the field', async () => {
    const s = await load(`${WHOAMI}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: child, namespace: default }
spec:
  parentRefs: [{ name: parent }]
  routes:
    - match: Path(\`/api\`)
      kind: Rule
      services: [{ name: whoami, port: 80 }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: lonely, namespace: default }
spec:
  routes:
    - match: Path(\`/lonely\`)
      kind: Rule
`);
    expect(errorsOf(s)).toEqual([
      expect.stringMatching(/^spec\.parentRefs\[0\]\.name: no IngressRoute default\/parent/),
      expect.stringMatching(/^spec\.routes\[0\]\.services: at least one service is required/),
    ]);
  });
});

describe('Ingress objects in files', () => {
  test("Ingresses of Portico's or Traefik's class, of an IngressClass with either controller, or of none become routers; another controller's are skipped", async () => {
    const ingress = (name: string, host: string, cls?: string, annotations = '{}') => `
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: ${name}, namespace: default, annotations: ${annotations} }
spec:
  ${cls ? `ingressClassName: ${cls}` : ''}
  rules:
    - host: ${host}
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: whoami, port: { name: http } } } }] }`;
    const s = await load(`${WHOAMI}
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: add-header, namespace: default }
spec: { headers: { customRequestHeaders: { X-Test: yes } } }
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: edge }
spec: { controller: traefik.io/ingress-controller }
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: nginx }
spec: { controller: k8s.io/ingress-nginx }
${ingress('t', 't.example', 'traefik', '{ traefik.ingress.kubernetes.io/router.middlewares: default-add-header@kubernetescrd }')}
${ingress('e', 'e.example', 'edge')}
${ingress('none', 'none.example')}
${ingress('n', 'n.example', 'nginx')}
`);
    expect(s.errors).toEqual([]);
    expect(
      Object.values(s.config.http.routers)
        .map((r) => r.rule)
        .sort(),
    ).toEqual(['Host(`e.example`)', 'Host(`none.example`)', 'Host(`t.example`)']);
    expect(routerFor(s, 'Host(`t.example`)')!.middlewares).toEqual(['default-add-header']);
    expect(urls(s, routerFor(s, 'Host(`e.example`)')!.service!)).toEqual([]);
  });
});
