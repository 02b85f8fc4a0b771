/**
 * Traefik's TCP CRDs converted as Traefik converts them (they were refused by
 * kind until converted): router and service `<ns>-<name>-<hash of match>`, a
 * weighted set over `<route>-<service>-<port>` for several services, TCP
 * middleware and servers-transport references, terminating TLS with the
 * Secret's certificate; an object with a problem is an error naming its field.
 */
import { createHash } from 'node:crypto';
import { expect, test } from 'vitest';
import yaml from 'js-yaml';
import { convertManifests } from '../../../src/provider/manifests/convert.js';

const key = (ns: string, name: string, match: string) => `${ns}-${name}-${createHash('sha256').update(match).digest('hex').slice(0, 20)}`;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const CA_PEM = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';

// Traefik's documented IngressRouteTCP example (routing/providers/kubernetes-crd), with the objects it refers to.
const manifests = `
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata: { name: ingressroutetcpfoo, namespace: apps }
spec:
  entryPoints: [footcp]
  routes:
  - match: HostSNI(\`*\`)
    priority: 10
    middlewares:
    - name: middleware1
      namespace: apps
    services:
    - name: foo
      port: 8080
      weight: 10
      proxyProtocol:
        version: 1
      serversTransport: transport
      nativeLB: true
    - name: bar
      port: 8081
      weight: 10
      tls: true
  tls:
    secretName: supersecret
    options:
      name: opt
      namespace: apps
---
apiVersion: traefik.io/v1alpha1
kind: MiddlewareTCP
metadata: { name: middleware1, namespace: apps }
spec:
  ipAllowList:
    sourceRange: [127.0.0.1/32, 192.168.1.7]
---
apiVersion: traefik.io/v1alpha1
kind: ServersTransportTCP
metadata: { name: transport, namespace: apps }
spec:
  dialTimeout: 30s
  dialKeepAlive: 20
  terminationDelay: -1
  tls:
    serverName: foobar
    insecureSkipVerify: true
    rootCAsSecrets: [myca]
    certificatesSecrets: [mycert]
    peerCertURI: spiffe://foo/bar
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: { name: opt, namespace: apps }
spec: { minVersion: VersionTLS12 }
---
apiVersion: v1
kind: Secret
metadata: { name: supersecret, namespace: apps }
type: kubernetes.io/tls
data: { tls.crt: ${b64('CERT')}, tls.key: ${b64('KEY')} }
---
apiVersion: v1
kind: Secret
metadata: { name: mycert, namespace: apps }
type: kubernetes.io/tls
data: { tls.crt: ${b64('CLIENT CERT')}, tls.key: ${b64('CLIENT KEY')} }
---
apiVersion: v1
kind: Secret
metadata: { name: myca, namespace: apps }
data: { tls.ca: ${b64(CA_PEM)} }
---
apiVersion: v1
kind: Service
metadata: { name: foo, namespace: apps }
spec: { clusterIP: 10.96.0.8, ports: [{ name: tcp, port: 8080 }] }
---
apiVersion: v1
kind: Service
metadata: { name: bar, namespace: apps }
spec: { clusterIP: 10.96.0.9, ports: [{ name: tcp, port: 8081 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: bar-1, namespace: apps, labels: { kubernetes.io/service-name: bar } }
ports: [{ name: tcp, port: 9081 }]
endpoints: [{ addresses: [10.0.0.5], conditions: { ready: true } }, { addresses: [10.0.0.6], conditions: { ready: true } }]
`;
const docs = (text: string) => text.split(/^---$/m).map((chunk, i) => ({ source: 'tcp.yaml', line: i + 1, object: yaml.load(chunk) }));

test("Traefik's IngressRouteTCP example: routers, a weighted set, the middleware, the transport and the certificate", () => {
  const out = convertManifests(docs(manifests), { provider: 'kubernetescrd', apiGroups: ['portico.dev', 'traefik.io'] });
  expect(out.errors).toEqual([]);
  const name = key('apps', 'ingressroutetcpfoo', 'HostSNI(`*`)');
  const tcp = out.config.tcp!;
  expect(tcp.routers).toEqual({
    [name]: { rule: 'HostSNI(`*`)', entryPoints: ['footcp'], middlewares: ['apps-middleware1'], priority: 10, service: name, tls: { options: 'apps-opt' } },
  });
  expect(tcp.services[name]).toEqual({
    weighted: {
      services: [
        { name: `${name}-foo-8080`, weight: 10 },
        { name: `${name}-bar-8081`, weight: 10 },
      ],
    },
  });
  expect(tcp.services[`${name}-foo-8080`]).toEqual({
    loadBalancer: { servers: [{ address: '10.96.0.8:8080' }], proxyProtocol: { version: 1 }, serversTransport: 'apps-transport' },
  });
  expect(tcp.services[`${name}-bar-8081`]).toEqual({
    loadBalancer: {
      servers: [
        { address: '10.0.0.5:9081', tls: true },
        { address: '10.0.0.6:9081', tls: true },
      ],
    },
  });
  expect(tcp.middlewares).toEqual({ 'apps-middleware1': { ipAllowList: { sourceRange: ['127.0.0.1/32', '192.168.1.7'] } } });
  expect(tcp.serversTransports).toEqual({
    'apps-transport': {
      dialTimeout: '30s',
      dialKeepAlive: 20,
      terminationDelay: -1,
      tls: {
        serverName: 'foobar',
        insecureSkipVerify: true,
        rootCAs: [CA_PEM],
        certificates: [{ certFile: 'CLIENT CERT', keyFile: 'CLIENT KEY' }],
        peerCertURI: 'spiffe://foo/bar',
      },
    },
  });
  expect(out.config.tls.certificates).toContainEqual({ certFile: 'CERT', keyFile: 'KEY' });
});

test('errors name the object and field; passthrough reads no Secret; the other objects still convert', () => {
  const bad = `
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata: { name: empty, namespace: apps }
spec: {}
---
apiVersion: traefik.io/v1alpha1
kind: MiddlewareTCP
metadata: { name: none, namespace: apps }
spec: {}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata: { name: unknown-mw, namespace: apps }
spec:
  routes: [{ match: HostSNI(\`a.test\`), middlewares: [{ name: missing }], services: [{ name: foo, port: 8080 }] }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRouteTCP
metadata: { name: pass, namespace: apps }
spec:
  routes: [{ match: HostSNI(\`pass.test\`), services: [{ name: foo, port: 8080 }] }]
  tls: { passthrough: true, secretName: not-there }
---
apiVersion: traefik.io/v1alpha1
kind: MiddlewareTCP
metadata: { name: limit, namespace: apps }
spec: { inFlightConn: { amount: 10 } }
---
apiVersion: v1
kind: Service
metadata: { name: foo, namespace: apps }
spec: { clusterIP: 10.96.0.8, ports: [{ name: tcp, port: 8080 }] }
`;
  const out = convertManifests(docs(bad), { provider: 'kubernetescrd', apiGroups: ['traefik.io'] });
  expect(out.errors.map((e) => [e.source, e.path, e.message])).toEqual([
    ['tcp.yaml (apps/IngressRouteTCP/empty)', 'spec.routes', 'at least one route is required'],
    ['tcp.yaml (apps/MiddlewareTCP/none)', 'spec', 'a MiddlewareTCP sets exactly one type, found none'],
    ['tcp.yaml (apps/IngressRouteTCP/unknown-mw)', 'spec.routes[0].middlewares[0].name', 'no MiddlewareTCP apps/missing'],
  ]);
  expect(Object.values(out.config.tcp!.routers)).toEqual([
    { rule: 'HostSNI(`pass.test`)', service: key('apps', 'pass', 'HostSNI(`pass.test`)'), tls: { passthrough: true } },
  ]);
  expect(out.config.tcp!.middlewares).toEqual({ 'apps-limit': { inFlightConn: { amount: 10 } } });
  expect(out.config.tls.certificates).toEqual([]);
});
