/**
 * IngressRouteTCP, MiddlewareTCP and ServersTransportTCP from the
 * kubernetesCRD provider, through the real @kubernetes/client-node against
 * FakeApiServer, served by a real Portico: TLS passthrough to `openssl
 * s_server` seen through `openssl s_client` (the backend's certificate reaches
 * the client), TLS termination with the certificate of the route's Secret then
 * a TCP echo, a MiddlewareTCP ipAllowList refusing and then, edited live,
 * letting the client in, and a bad object reported (Event and /api/errors)
 * while the others keep serving. Then the fields Portico cannot do, refused by name.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { FakeApiServer, type KObject } from './fake-apiserver.js';
import { SnapshotRecorder, eventually } from './recorder.js';
import { KubernetesCrdProvider } from '../../../src/provider/kubernetes/crd-provider.js';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { TestPki } from '../../support/pki.js';
import { curl } from '../../support/curl.js';
import { openTcp, opensslClient, roundTrip, startOpensslServer, startTcpEcho } from '../../support/tcp-peers.js';

const ns = 'tcp-crd';
let api: FakeApiServer;
let portico: Harness;
let echo: Server;
let stopBackend: (() => void) | undefined;
let pki: TestPki;

const service = (name: string, portName: string, port: number): KObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { clusterIP: '10.96.0.20', ports: [{ name: portName, port, protocol: 'TCP' }] },
});
const slice = (svc: string, portName: string, port: number): KObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svc}-slice`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  ports: [{ name: portName, port, protocol: 'TCP' }],
  endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
});
const crd = (kind: string, name: string, spec: Record<string, unknown>, group = 'portico.dev'): KObject => ({
  apiVersion: `${group}/v1alpha1`,
  kind,
  metadata: { name, namespace: ns },
  spec,
});
const allowList = (range: string) => crd('MiddlewareTCP', 'only-these', { ipAllowList: { sourceRange: [range] } });

beforeAll(async () => {
  pki = new TestPki();
  const backendCert = pki.issue('pass-backend', ['pass.test']);
  const termCert = pki.issue('term', ['term.test']);
  const echoPeer = await startTcpEcho();
  echo = echoPeer.server;
  const echoPort = echoPeer.port;
  const backend = await startOpensslServer(backendCert);
  stopBackend = backend.stop;
  const sPort = backend.port;

  api = new FakeApiServer();
  await api.start();
  api.apply(service('tls-backend', 'https', 443));
  api.apply(slice('tls-backend', 'https', sPort));
  api.apply(service('echo', 'echo', 7));
  api.apply(slice('echo', 'echo', echoPort));
  api.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'term-cert', namespace: ns },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(termCert.certPem).toString('base64'), 'tls.key': Buffer.from(termCert.keyPem).toString('base64') },
  });
  // Traefik's group (traefikCompat) and ours side by side.
  api.apply(
    crd(
      'IngressRouteTCP',
      'passthrough',
      { entryPoints: ['websecure'], routes: [{ match: 'HostSNI(`pass.test`)', services: [{ name: 'tls-backend', port: 443 }] }], tls: { passthrough: true } },
      'traefik.io',
    ),
  );
  api.apply(crd('ServersTransportTCP', 'quick', { dialTimeout: 5, dialKeepAlive: '30s' }));
  api.apply(
    crd('IngressRouteTCP', 'terminated', {
      entryPoints: ['websecure'],
      routes: [{ match: 'HostSNI(`term.test`)', priority: 10, services: [{ name: 'echo', port: 'echo', serversTransport: 'quick' }] }],
      tls: { secretName: 'term-cert' },
    }),
  );
  api.apply(allowList('10.0.0.0/8'));
  api.apply(
    crd('IngressRouteTCP', 'guarded', {
      entryPoints: ['clear'],
      routes: [{ match: 'HostSNI(`*`)', middlewares: [{ name: 'only-these' }], services: [{ name: 'echo', port: 7 }] }],
    }),
  );
  api.apply(
    crd('IngressRouteTCP', 'broken', { entryPoints: ['websecure'], routes: [{ match: 'HostSNI(`broken.test`)', services: [{ name: 'nowhere', port: 1 }] }] }),
  );

  portico = await startPortico({
    entryPoints: {
      websecure: { address: '127.0.0.1:0' },
      clear: { address: '127.0.0.1:0' },
      portico: { address: '127.0.0.1:0' },
    },
    api: { insecure: true },
    providers: { kubernetesCRD: { endpoint: api.url, token: 't', throttleDuration: '30ms', namespaces: [ns], traefikCompat: true } },
  });
  await eventually('the TCP routers applied', () => Object.keys(portico.server.current()?.config.tcp?.routers ?? {}).length === 3, 10_000);
});

afterAll(async () => {
  await portico?.stop();
  echo?.close();
  stopBackend?.();
  await api?.stop();
});

describe('IngressRouteTCP from the kubernetesCRD provider', () => {
  test('passthrough: openssl s_client sees the backend certificate, not Portico', async () => {
    const port = portico.port('websecure');
    const out = await opensslClient(port, 'pass.test');
    expect(out).toMatch(/subject=CN ?= ?pass\.test/);
    expect(out).not.toMatch(/PORTICO DEFAULT CERT/);
  });

  test("termination: the handshake carries the Secret's certificate, verified against the CA; then bytes are echoed", async () => {
    const s = connectTls({ host: '127.0.0.1', port: portico.port('websecure'), servername: 'term.test', ca: [readFileSync(pki.caCert, 'utf8')] });
    await new Promise((r, j) => (s.once('secureConnect', r), s.once('error', j)));
    expect(s.authorized).toBe(true);
    expect(s.getPeerCertificate().subject?.CN).toBe('term.test');
    expect(await roundTrip(s, 'hello term.test')).toBe('hello term.test');
  });

  test('a MiddlewareTCP ipAllowList closes connections from outside its ranges; edited live, it lets the client in', async () => {
    expect(await roundTrip(await openTcp(portico.port('clear')), 'let me in')).toBe('');
    const next = portico.server.nextApply();
    api.apply(allowList('127.0.0.1/32'));
    await next;
    expect(await roundTrip(await openTcp(portico.port('clear')), 'let me in')).toBe('let me in');
  });

  test('a bad IngressRouteTCP is in /api/errors and a Warning Event; the others serve', async () => {
    const errors = JSON.parse((await curl([`http://127.0.0.1:${portico.port('portico')}/api/errors`])).body) as Array<{
      source: string;
      path: string;
      message: string;
    }>;
    expect(errors).toContainEqual(
      expect.objectContaining({ source: `${ns}/IngressRouteTCP/broken`, path: 'spec.routes[0].services[0].name', message: `no Service ${ns}/nowhere` }),
    );
    await eventually('a Warning Event on the IngressRouteTCP', () =>
      api.writes.some(
        (w) =>
          w.path === `/api/v1/namespaces/${ns}/events` &&
          (w.body as { involvedObject?: { kind?: string; name?: string } }).involvedObject?.kind === 'IngressRouteTCP' &&
          (w.body as { involvedObject?: { name?: string } }).involvedObject?.name === 'broken',
      ),
    );
    const routers = JSON.parse((await curl([`http://127.0.0.1:${portico.port('portico')}/api/tcp/routers`])).body) as Array<{ name: string; status: string }>;
    expect(routers.map((r) => `${r.name} ${r.status}`).sort()).toEqual([
      expect.stringMatching(new RegExp(`^${ns}-guarded-[0-9a-f]{20}@kubernetescrd enabled$`)),
      expect.stringMatching(new RegExp(`^${ns}-passthrough-[0-9a-f]{20}@kubernetescrd enabled$`)),
      expect.stringMatching(new RegExp(`^${ns}-terminated-[0-9a-f]{20}@kubernetescrd enabled$`)),
    ]);
  });
});

describe('what Portico cannot do is refused naming the field', () => {
  test('nodePortLB, certResolver, a service terminationDelay, spiffe and ipWhiteList; the valid objects still convert', async () => {
    const refusedNs = 'tcp-refused';
    const inNs = (o: KObject): KObject => ({ ...o, metadata: { ...o.metadata, namespace: refusedNs } });
    api.apply(inNs(service('echo', 'echo', 7)));
    api.apply(inNs(slice('echo', 'echo', 7007)));
    const route = (name: string, extra: Record<string, unknown>, tls?: Record<string, unknown>) =>
      inNs(crd('IngressRouteTCP', name, { routes: [{ match: 'HostSNI(`*`)', services: [{ name: 'echo', port: 7, ...extra }] }], ...(tls ? { tls } : {}) }));
    api.apply(route('node-port', { nodePortLB: true }));
    api.apply(route('delay', { terminationDelay: 100 }));
    api.apply(route('acme', {}, { certResolver: 'le' }));
    api.apply(route('fine', { weight: 3, proxyProtocol: {}, tls: true }));
    api.apply(inNs(crd('ServersTransportTCP', 'spiffe', { tls: { spiffe: { ids: ['spiffe://x'] } } })));
    api.apply(inNs(crd('MiddlewareTCP', 'old', { ipWhiteList: { sourceRange: ['10.0.0.0/8'] } })));
    const rec = new SnapshotRecorder();
    const p = new KubernetesCrdProvider({ endpoint: api.url, token: 't', throttleDuration: '30ms', namespaces: [refusedNs] }, { backoffMs: 20 });
    try {
      await p.start(rec.emit);
      const s = await rec.until((x) => x.errors.length >= 5);
      expect(s.errors.map((e) => `${e.source.split('/').slice(1).join('/')} ${e.path}`).sort()).toEqual([
        'IngressRouteTCP/acme spec.tls.certResolver',
        'IngressRouteTCP/delay spec.routes[0].services[0].terminationDelay',
        'IngressRouteTCP/node-port spec.routes[0].services[0].nodePortLB',
        'MiddlewareTCP/old spec.ipWhiteList',
        'ServersTransportTCP/spiffe spec.tls.spiffe',
      ]);
      const tcp = s.config.tcp!;
      const [name, router] = Object.entries(tcp.routers)[0]!;
      expect(Object.keys(tcp.routers)).toEqual([name]);
      expect(router).toEqual({ rule: 'HostSNI(`*`)', service: name });
      // One service: the route's own load balancer, Traefik's default PROXY version 2, and TLS to the servers.
      expect(tcp.services[name]).toEqual({ loadBalancer: { servers: [{ address: '127.0.0.1:7007', tls: true }], proxyProtocol: { version: 2 } } });
    } finally {
      await p.stop();
    }
  });
});
