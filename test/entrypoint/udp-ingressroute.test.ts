/**
 * IngressRouteUDP, as Traefik's documentation writes it, served by a real
 * Portico: from a file (the YAML a user applies to a cluster, with its Service
 * and EndpointSlice) and from the kubernetesCRD provider through the real
 * @kubernetes/client-node against FakeApiServer, following an EndpointSlice
 * change live. The backends are echo servers on loopback.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { FakeApiServer, type KObject } from '../provider/kubernetes/fake-apiserver.js';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { UdpPeerSet } from './udp-peers.js';

const peers = new UdpPeerSet();
let portico: Harness | undefined;
let api: FakeApiServer;

beforeAll(async () => {
  api = new FakeApiServer();
  await api.start();
});
afterEach(async () => {
  await portico?.stop();
  portico = undefined;
  await peers.closeAll();
});
afterAll(() => api?.stop());

const udpEntryPoints = { entryPoints: { udpep: { address: '127.0.0.1:0/udp', transport: { lifeCycle: { graceTimeOut: 0 } } } } };

const service = (ns: string, name: string): KObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }] },
});
const slice = (ns: string, svc: string, port: number): KObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svc}-slice`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  ports: [{ name: 'dns', port, protocol: 'UDP' }],
  endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
});
const yamlOf = (objects: KObject[]) => objects.map((o) => JSON.stringify(o)).join('\n---\n');

describe('IngressRouteUDP', () => {
  test('from a file: one service is a load balancer, several a weighted set; datagrams reach the pods', async () => {
    const a = await peers.echo('pod-a');
    const b = await peers.echo('pod-b');
    const manifests = `
apiVersion: traefik.io/v1alpha1
kind: IngressRouteUDP
metadata:
  name: ingressrouteudpfoo
  namespace: apps
spec:
  entryPoints:
    - udpep
  routes:
  - services:
    - name: foo
      port: 53
      weight: 10
    - name: bar
      port: dns
      weight: 10
---
${yamlOf([service('apps', 'foo'), slice('apps', 'foo', a.port), service('apps', 'bar'), slice('apps', 'bar', b.port)])}
`;
    portico = await startPortico(udpEntryPoints, { 'udp.yaml': manifests });
    const rt = portico.server.current()!;
    expect(rt.errors).toEqual([]);
    expect(rt.config.udp.routers).toEqual({ 'apps-ingressrouteudpfoo-0@file': { entryPoints: ['udpep'], service: 'apps-ingressrouteudpfoo-0@file' } });
    expect(rt.config.udp.services['apps-ingressrouteudpfoo-0@file']).toEqual({
      weighted: {
        services: [
          { name: 'apps-ingressrouteudpfoo-0-foo-53@file', weight: 10 },
          { name: 'apps-ingressrouteudpfoo-0-bar-dns@file', weight: 10 },
        ],
      },
    });
    expect(rt.config.udp.services['apps-ingressrouteudpfoo-0-foo-53@file']).toEqual({ loadBalancer: { servers: [{ address: `127.0.0.1:${a.port}` }] } });
    const port = portico.port('udpep');
    const names = new Set<string>();
    for (let i = 0; i < 4; i++) names.add((await (await peers.client()).ask(port, 'q'))!.split(':')[0]!);
    expect([...names].sort()).toEqual(['pod-a', 'pod-b']);
  });

  test('a bad IngressRouteUDP is reported by field; its neighbours still serve', async () => {
    const a = await peers.echo('pod-a');
    const bad = {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRouteUDP',
      metadata: { name: 'bad', namespace: 'apps' },
      spec: { routes: [{ services: [{ name: 'foo' }] }] },
    };
    const good = {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRouteUDP',
      metadata: { name: 'good', namespace: 'apps' },
      spec: { routes: [{ services: [{ name: 'foo', port: 53 }] }] },
    };
    portico = await startPortico(udpEntryPoints, {
      'udp.yaml': yamlOf([bad as KObject, good as KObject, service('apps', 'foo'), slice('apps', 'foo', a.port)]),
    });
    const rt = portico.server.current()!;
    expect(rt.errors.map((e) => `${e.source.split('(')[1]} ${e.path}: ${e.message}`)).toEqual([
      expect.stringMatching(/^apps\/IngressRouteUDP\/bad\) spec\.routes\[0\]\.services\[0\]\.port: is required/),
    ]);
    expect(await (await peers.client()).ask(portico.port('udpep'), 'q')).toMatch(/^pod-a:/);
  });

  test('from the kubernetesCRD provider: served, and an EndpointSlice change moves new sessions live', async () => {
    const a = await peers.echo('pod-a');
    const b = await peers.echo('pod-b');
    const ns = 'udp-crd';
    api.apply(service(ns, 'dns'));
    api.apply(slice(ns, 'dns', a.port));
    api.apply({
      apiVersion: 'portico.dev/v1alpha1',
      kind: 'IngressRouteUDP',
      metadata: { name: 'dns', namespace: ns },
      spec: { routes: [{ services: [{ name: 'dns', port: 'dns' }] }] },
    });
    portico = await startPortico({
      ...udpEntryPoints,
      providers: { kubernetesCRD: { endpoint: api.url, token: 't', throttleDuration: '30ms', namespaces: [ns] } },
    });
    const port = portico.port('udpep');
    expect(Object.keys(portico.server.current()!.config.udp.routers)).toEqual([`${ns}-dns-0@kubernetescrd`]);
    expect(await (await peers.client()).ask(port, 'one')).toMatch(/^pod-a:\d+:one$/);
    const moved = portico.server.nextApply();
    api.apply(slice(ns, 'dns', b.port));
    await moved;
    expect(await (await peers.client()).ask(port, 'two')).toMatch(/^pod-b:\d+:two$/);
  });
});
