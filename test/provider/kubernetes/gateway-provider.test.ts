/**
 * The kubernetesGateway provider through the real client library against
 * FakeApiServer: which GatewayClasses are ours, Gateway listeners mapped to
 * entry points by port with the spec's listener conditions, certificateRefs
 * with and without a ReferenceGrant, and the route status reasons the
 * conformance suite checks (NotAllowedByListeners, NoMatchingParent,
 * NoMatchingListenerHostname, BackendNotFound, RefNotPermitted, InvalidKind,
 * UnsupportedValue), all read back from the status the provider wrote.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { FakeApiServer, type KObject } from './fake-apiserver.js';
import { SnapshotRecorder, eventually } from './recorder.js';
import { KubernetesGatewayProvider } from '../../../src/provider/kubernetes/gateway-provider.js';
import type { KubernetesGatewayProviderOptions } from '../../../src/provider/kubernetes/provider-options.js';
import { PORTICO_GATEWAY_CONTROLLER, TRAEFIK_GATEWAY_CONTROLLER } from '../../../src/provider/manifests/gateway/gateway-objects.js';
import { TestPki } from '../../support/pki.js';
import { validateKubernetesProviderOptions } from '../../../src/provider/kubernetes/provider-options.js';

const G = 'gateway.networking.k8s.io/v1';
let api: FakeApiServer;
const providers: KubernetesGatewayProvider[] = [];
let counter = 0;
const b64 = (s: string) => Buffer.from(s).toString('base64');

beforeAll(async () => {
  api = new FakeApiServer();
  await api.start();
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.stop()));
});
afterAll(() => api?.stop());

const namespace = () => `g${++counter}`;
const entryPoints = [
  { name: 'web', port: 8000, udp: false },
  { name: 'websecure', port: 8443, udp: false },
];

function provider(options: KubernetesGatewayProviderOptions = {}): KubernetesGatewayProvider {
  const p = new KubernetesGatewayProvider(
    { endpoint: api.url, token: 't', throttleDuration: '30ms', ...options },
    { backoffMs: 20, entryPoints: () => entryPoints },
  );
  providers.push(p);
  return p;
}

const gatewayClass = (name: string, controllerName = PORTICO_GATEWAY_CONTROLLER): KObject => ({
  apiVersion: G,
  kind: 'GatewayClass',
  metadata: { name },
  spec: { controllerName },
});
const gateway = (ns: string, name: string, cls: string, listeners: unknown[]): KObject => ({
  apiVersion: G,
  kind: 'Gateway',
  metadata: { name, namespace: ns },
  spec: { gatewayClassName: cls, listeners },
});
const service = (ns: string, name: string): KObject[] => [
  { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ports: [{ name: 'http', port: 8080 }] } },
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
    ports: [{ name: 'http', port: 9000 }],
    endpoints: [{ addresses: ['10.3.0.1'], conditions: { ready: true } }],
  },
];
const route = (ns: string, name: string, spec: Record<string, unknown>): KObject => ({
  apiVersion: G,
  kind: 'HTTPRoute',
  metadata: { name, namespace: ns },
  spec,
});

type Condition = { type: string; status: string; reason: string; message: string; lastTransitionTime?: string };
const conditionsOf = (list: unknown): Record<string, string> =>
  Object.fromEntries(((list ?? []) as Condition[]).map((c) => [c.type, `${c.status}/${c.reason}`]));
const statusOf = (o: KObject) => api.get(o)?.status as Record<string, unknown> | undefined;
const routeParents = (o: KObject) =>
  (statusOf(o)?.parents ?? []) as Array<{ controllerName: string; conditions: Condition[]; parentRef: Record<string, unknown> }>;

describe('kubernetesGateway provider', () => {
  test('GatewayClasses with our controllerName are Accepted (Traefik’s only with traefikCompat); others are left alone', async () => {
    const ns = namespace();
    const ours = gatewayClass(`portico-${ns}`);
    const traefik = gatewayClass(`traefik-${ns}`, TRAEFIK_GATEWAY_CONTROLLER);
    const other = gatewayClass(`other-${ns}`, 'example.com/other');
    for (const o of [ours, traefik, other]) api.apply(o);
    const rec = new SnapshotRecorder();
    const p = provider({ namespaces: [ns] });
    await p.start(rec.emit);
    await eventually('GatewayClass accepted', () => conditionsOf(statusOf(ours)?.conditions).Accepted === 'True/Accepted');
    await p.statusWritesSettled();
    expect(statusOf(other)).toBeUndefined();
    expect(statusOf(traefik)).toBeUndefined();
    await p.stop();
    const compat = provider({ namespaces: [ns], traefikCompat: true });
    await compat.start(new SnapshotRecorder().emit);
    await eventually('Traefik’s GatewayClass accepted with traefikCompat', () => conditionsOf(statusOf(traefik)?.conditions).Accepted === 'True/Accepted');
    expect(statusOf(other)).toBeUndefined();
  });

  test('listeners land on entry points by port; certificateRefs need a ReferenceGrant across namespaces; status has per-listener conditions, kinds, attached routes and addresses', async () => {
    const ns = namespace();
    const certs = `${ns}-certs`;
    const cls = `portico-${ns}`;
    const cert = new TestPki().issue('gw', ['secure.example']);
    const secret = (n: string, name: string): KObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: n },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem) },
    });
    api.apply(gatewayClass(cls));
    api.apply(secret(ns, 'local'));
    api.apply(secret(certs, 'shared'));
    const gw = gateway(ns, 'gw', cls, [
      { name: 'http', port: 8000, protocol: 'HTTP' },
      { name: 'https', port: 8443, protocol: 'HTTPS', hostname: 'secure.example', tls: { certificateRefs: [{ name: 'local' }] } },
      { name: 'shared', port: 8443, protocol: 'HTTPS', hostname: 'shared.example', tls: { certificateRefs: [{ name: 'shared', namespace: certs }] } },
      { name: 'missing', port: 8443, protocol: 'HTTPS', hostname: 'missing.example', tls: { certificateRefs: [{ name: 'nope' }] } },
      { name: 'nowhere', port: 9999, protocol: 'HTTP' },
      { name: 'ftp', port: 8000, protocol: 'FTP' },
    ]);
    api.apply(gw);
    for (const o of service(ns, 'web')) api.apply(o);
    api.apply(route(ns, 'r', { parentRefs: [{ name: 'gw', sectionName: 'http' }], rules: [{ backendRefs: [{ name: 'web', port: 8080 }] }] }));
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns, certs], statusAddress: { ip: '203.0.113.9' } }).start(rec.emit);
    const listener = (name: string) =>
      ((statusOf(gw)?.listeners ?? []) as Array<{ name: string; conditions: Condition[]; attachedRoutes: number; supportedKinds: unknown[] }>).find(
        (l) => l.name === name,
      );
    await eventually('Gateway status', () => listener('http')?.attachedRoutes === 1);
    expect(conditionsOf(statusOf(gw)!.conditions)).toEqual({ Accepted: 'True/ListenersNotValid', Programmed: 'True/Programmed' });
    expect(statusOf(gw)!.addresses).toEqual([{ type: 'IPAddress', value: '203.0.113.9' }]);
    expect(conditionsOf(listener('http')!.conditions)).toEqual({
      Accepted: 'True/Accepted',
      Programmed: 'True/Programmed',
      ResolvedRefs: 'True/ResolvedRefs',
      Conflicted: 'False/NoConflicts',
    });
    expect(listener('http')!.supportedKinds).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' },
      { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' },
    ]);
    expect(conditionsOf(listener('https')!.conditions).ResolvedRefs).toBe('True/ResolvedRefs');
    expect(conditionsOf(listener('shared')!.conditions).ResolvedRefs).toBe('False/RefNotPermitted');
    expect(conditionsOf(listener('missing')!.conditions).ResolvedRefs).toBe('False/InvalidCertificateRef');
    expect(conditionsOf(listener('nowhere')!.conditions)).toMatchObject({ Accepted: 'False/PortUnavailable', Programmed: 'False/Invalid' });
    expect(conditionsOf(listener('ftp')!.conditions).Accepted).toBe('False/UnsupportedProtocol');
    // The router is on the HTTP listener's entry point; only the resolved certificate is served.
    expect(Object.values(rec.last.config.http.routers).map((r) => r.entryPoints)).toEqual([['web']]);
    expect(rec.last.config.tls.certificates).toHaveLength(1);

    // A ReferenceGrant in the Secret's namespace lets Gateways of ns use it.
    api.apply({
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'gateways', namespace: certs },
      spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: ns }], to: [{ group: '', kind: 'Secret' }] },
    });
    await eventually('the shared certificate resolved', () => conditionsOf(listener('shared')?.conditions).ResolvedRefs === 'True/ResolvedRefs');
  });

  test('route status reasons: NotAllowedByListeners, NoMatchingParent, NoMatchingListenerHostname, BackendNotFound, RefNotPermitted then a ReferenceGrant, InvalidKind, UnsupportedValue', async () => {
    const ns = namespace();
    const other = `${ns}-other`;
    const cls = `portico-${ns}`;
    api.apply(gatewayClass(cls));
    api.apply(
      gateway(ns, 'gw', cls, [
        { name: 'web', port: 8000, protocol: 'HTTP', hostname: '*.example.com' },
        { name: 'all', port: 8000, protocol: 'HTTP', hostname: 'all.test', allowedRoutes: { namespaces: { from: 'All' } } },
      ]),
    );
    for (const o of [...service(ns, 'web'), ...service(other, 'backend')]) api.apply(o);
    const backend = [{ backendRefs: [{ name: 'web', port: 8080 }] }];
    const routes = {
      foreign: route(other, 'foreign', { parentRefs: [{ name: 'gw', namespace: ns, sectionName: 'web' }], rules: backend }),
      badSection: route(ns, 'bad-section', { parentRefs: [{ name: 'gw', sectionName: 'nope' }], rules: backend }),
      badPort: route(ns, 'bad-port', { parentRefs: [{ name: 'gw', port: 81 }], rules: backend }),
      hostname: route(ns, 'hostname', { parentRefs: [{ name: 'gw', sectionName: 'web' }], hostnames: ['www.example.net'], rules: backend }),
      missing: route(ns, 'missing', { parentRefs: [{ name: 'gw' }], hostnames: ['a.example.com'], rules: [{ backendRefs: [{ name: 'ghost', port: 8080 }] }] }),
      crossNs: route(ns, 'cross', {
        parentRefs: [{ name: 'gw' }],
        hostnames: ['b.example.com'],
        rules: [{ backendRefs: [{ name: 'backend', namespace: other, port: 8080 }] }],
      }),
      kind: route(ns, 'kind', {
        parentRefs: [{ name: 'gw' }],
        hostnames: ['c.example.com'],
        rules: [{ backendRefs: [{ group: 'example.com', kind: 'Bucket', name: 'b' }] }],
      }),
      unsupported: route(ns, 'unsupported', {
        parentRefs: [{ name: 'gw' }],
        hostnames: ['d.example.com'],
        rules: [{ filters: [{ type: 'CORS', cors: {} }], backendRefs: [{ name: 'web', port: 8080 }] }],
      }),
      good: route(other, 'good', {
        parentRefs: [{ name: 'gw', namespace: ns, sectionName: 'all' }],
        rules: [{ backendRefs: [{ name: 'backend', port: 8080 }] }],
      }),
    };
    // Another controller's parent on the same route is kept as it is.
    const foreignParent = {
      parentRef: { name: 'elsewhere' },
      controllerName: 'example.com/other',
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    };
    for (const r of Object.values(routes)) api.apply(r.metadata.name === 'good' ? { ...r, status: { parents: [foreignParent] } } : r);
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns, other] }).start(rec.emit);
    const verdict = (r: KObject) => {
      const ours = routeParents(r).filter((p) => p.controllerName === PORTICO_GATEWAY_CONTROLLER);
      return ours.length === 1 ? conditionsOf(ours[0]!.conditions) : undefined;
    };
    await eventually('every route has a status from us', () => Object.values(routes).every((r) => verdict(r) !== undefined));
    expect(verdict(routes.foreign)?.Accepted).toBe('False/NotAllowedByListeners');
    expect(verdict(routes.badSection)?.Accepted).toBe('False/NoMatchingParent');
    expect(verdict(routes.badPort)?.Accepted).toBe('False/NoMatchingParent');
    expect(verdict(routes.hostname)?.Accepted).toBe('False/NoMatchingListenerHostname');
    expect(verdict(routes.missing)).toEqual({ Accepted: 'True/Accepted', ResolvedRefs: 'False/BackendNotFound' });
    expect(verdict(routes.crossNs)).toEqual({ Accepted: 'True/Accepted', ResolvedRefs: 'False/RefNotPermitted' });
    expect(verdict(routes.kind)).toEqual({ Accepted: 'True/Accepted', ResolvedRefs: 'False/InvalidKind' });
    expect(verdict(routes.unsupported)?.Accepted).toBe('False/UnsupportedValue');
    expect(routeParents(routes.unsupported).find((p) => p.controllerName === PORTICO_GATEWAY_CONTROLLER)!.conditions[0]!.message).toContain('CORS');
    expect(verdict(routes.good)).toEqual({ Accepted: 'True/Accepted', ResolvedRefs: 'True/ResolvedRefs' });
    expect(routeParents(routes.good)).toContainEqual(foreignParent);
    expect(routeParents(routes.good).find((p) => p.controllerName === PORTICO_GATEWAY_CONTROLLER)!.parentRef).toEqual({
      group: 'gateway.networking.k8s.io',
      kind: 'Gateway',
      namespace: ns,
      name: 'gw',
      sectionName: 'all',
    });
    expect(rec.last.errors).toContainEqual(expect.objectContaining({ source: `${ns}/HTTPRoute/unsupported`, message: expect.stringContaining('CORS') }));

    // With a ReferenceGrant in the backend's namespace, the cross-namespace backendRef resolves.
    api.apply({
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'routes', namespace: other },
      spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: ns }], to: [{ group: '', kind: 'Service', name: 'backend' }] },
    });
    await eventually('cross-namespace backend resolved', () => verdict(routes.crossNs)?.ResolvedRefs === 'True/ResolvedRefs');
    const urls = Object.values(rec.last.config.http.services).flatMap((s) => s.loadBalancer?.servers.map((x) => x.url) ?? []);
    expect(urls).toContain('http://10.3.0.1:9000');

    // A route moved away from our Gateway loses our parent entry; another controller's stays.
    api.apply({ ...routes.good, spec: { ...(routes.good.spec as object), parentRefs: [{ name: 'elsewhere' }] } });
    await eventually('our parent entry removed', () => verdict(routes.good) === undefined && routeParents(routes.good).length === 1);
    expect(routeParents(routes.good)).toEqual([foreignParent]);

    // Status is written once per change, not again for an unchanged conversion (no loop through our own writes):
    // the last change's writes (the route's, then its Gateway's attachedRoutes) settle and then nothing more comes.
    // A loaded machine may deliver the Gateway's write after the route's, so wait for a quiet 500 ms (bounded).
    const puts = () => api.writes.filter((w) => w.method === 'PUT').length;
    let settled = false;
    for (let i = 0, last = -1; i < 20 && !settled; i++) {
      const now = puts();
      settled = now === last;
      last = now;
      if (!settled) await new Promise((r) => setTimeout(r, 500));
    }
    expect(settled).toBe(true);
    const writes = puts();
    await new Promise((r) => setTimeout(r, 1000));
    expect(puts()).toBe(writes);
  });

  test('problems are Warning Events on the Gateway and the routes (once each, with their apiVersion and uid) and in the errors', async () => {
    const ns = namespace();
    const cls = `portico-${ns}`;
    api.apply(gatewayClass(cls));
    api.apply(
      gateway(ns, 'gw', cls, [
        { name: 'web', port: 8000, protocol: 'HTTP' },
        { name: 'nowhere', port: 9999, protocol: 'HTTP' },
      ]),
    );
    for (const o of service(ns, 'web')) api.apply(o);
    api.apply(route(ns, 'ghost', { parentRefs: [{ name: 'gw', sectionName: 'web' }], rules: [{ backendRefs: [{ name: 'ghost', port: 8080 }] }] }));
    api.apply(route(ns, 'detached', { parentRefs: [{ name: 'gw', sectionName: 'nope' }], rules: [{ backendRefs: [{ name: 'web', port: 8080 }] }] }));
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    await rec.until((x) => x.errors.some((e) => e.source === `${ns}/Gateway/gw`) && x.errors.some((e) => e.source === `${ns}/HTTPRoute/detached`));
    const eventsFor = (kind: string, name: string) =>
      api.writes
        .filter((w) => w.path === `/api/v1/namespaces/${ns}/events`)
        .map((w) => w.body as unknown as { involvedObject: { kind: string; name: string }; message: string })
        .filter((b) => b.involvedObject.kind === kind && b.involvedObject.name === name);
    await eventually(
      'events',
      () => eventsFor('Gateway', 'gw').length > 0 && eventsFor('HTTPRoute', 'ghost').length > 0 && eventsFor('HTTPRoute', 'detached').length > 0,
    );
    const uid = (o: KObject) => api.get(o)!.metadata.uid;
    expect(eventsFor('Gateway', 'gw')).toEqual([
      expect.objectContaining({
        type: 'Warning',
        reason: 'InvalidConfiguration',
        message: expect.stringMatching(/^spec\.listeners: listener nowhere: PortUnavailable: /),
        involvedObject: expect.objectContaining({ apiVersion: G, kind: 'Gateway', namespace: ns, uid: uid(gateway(ns, 'gw', cls, [])) }),
      }),
    ]);
    expect(eventsFor('HTTPRoute', 'ghost')[0]).toMatchObject({
      type: 'Warning',
      message: expect.stringMatching(/^spec\.rules: BackendNotFound: /),
      involvedObject: { apiVersion: G, kind: 'HTTPRoute', uid: uid(route(ns, 'ghost', {})) },
    });
    expect(eventsFor('HTTPRoute', 'detached')[0]!.message).toMatch(/^spec\.parentRefs: NoMatchingParent: Gateway .*gw has no listener/);
    // Another change re-converts: the same problems are not recorded again.
    api.apply(route(ns, 'fine', { parentRefs: [{ name: 'gw', sectionName: 'web' }], rules: [{ backendRefs: [{ name: 'web', port: 8080 }] }] }));
    await rec.until((x) => Object.keys(x.config.http.routers).some((r) => r.includes('fine')));
    await new Promise((r) => setTimeout(r, 200));
    expect(eventsFor('Gateway', 'gw')).toHaveLength(1);
    expect(eventsFor('HTTPRoute', 'ghost')).toHaveLength(1);
  });

  test('malformed objects (list items that are not objects) are errors on them, never a crash; the rest is served', async () => {
    const ns = namespace();
    const cls = `portico-${ns}`;
    api.apply(gatewayClass(cls));
    const broken = gateway(ns, 'broken', cls, [null]);
    api.apply(broken);
    api.apply(gateway(ns, 'gw', cls, [{ name: 'http', port: 8000, protocol: 'HTTP' }]));
    for (const o of service(ns, 'web')) api.apply(o);
    api.apply(
      route(ns, 'null-rule', {
        parentRefs: [{ name: 'gw' }],
        hostnames: ['a.example'],
        rules: [{ matches: [null], backendRefs: [{ name: 'web', port: 8080 }] }],
      }),
    );
    api.apply(
      route(ns, 'null-filter', {
        parentRefs: [null, { name: 'gw' }],
        hostnames: ['b.example'],
        rules: [{ filters: [null], backendRefs: [{ name: 'web', port: 8080 }] }],
      }),
    );
    api.apply({
      apiVersion: G,
      kind: 'BackendTLSPolicy',
      metadata: { name: 'p', namespace: ns },
      spec: { targetRefs: [null], validation: { caCertificateRefs: [null], hostname: 'x' } },
    });
    api.apply(route(ns, 'good', { parentRefs: [{ name: 'gw' }], hostnames: ['good.example'], rules: [{ backendRefs: [{ name: 'web', port: 8080 }] }] }));
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    const s = await rec.until((x) => Object.values(x.config.http.routers).some((r) => r.rule.includes('good.example')));
    const sources = s.errors.map((e) => `${e.source}: ${e.message}`);
    for (const name of [`${ns}/Gateway/broken`, `${ns}/HTTPRoute/null-rule`, `${ns}/HTTPRoute/null-filter`, `${ns}/BackendTLSPolicy/p`])
      expect(
        sources.some((e) => e.startsWith(`${name}: malformed`)),
        `${name} in ${sources.join('; ')}`,
      ).toBe(true);
    await eventually('the broken Gateway says so', () => conditionsOf(statusOf(broken)?.conditions).Accepted === 'False/Invalid');
  });

  test('an invalid BackendTLSPolicy refuses its Service (InvalidCACertificateRef) rather than speaking plain HTTP; its status names the Gateway', async () => {
    const ns = namespace();
    const cls = `portico-${ns}`;
    api.apply(gatewayClass(cls));
    api.apply(gateway(ns, 'gw', cls, [{ name: 'http', port: 8000, protocol: 'HTTP' }]));
    for (const o of service(ns, 'web')) api.apply(o);
    const policy: KObject = {
      apiVersion: G,
      kind: 'BackendTLSPolicy',
      metadata: { name: 'tls', namespace: ns },
      spec: {
        targetRefs: [{ group: '', kind: 'Service', name: 'web' }],
        validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'missing' }], hostname: 'web.internal' },
      },
    };
    api.apply(policy);
    const r = route(ns, 'r', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: 'web', port: 8080 }] }] });
    api.apply(r);
    const rec = new SnapshotRecorder();
    await provider({ namespaces: [ns] }).start(rec.emit);
    await eventually('route status', () => conditionsOf(routeParents(r)[0]?.conditions).ResolvedRefs === 'False/InvalidCACertificateRef');
    const urls = Object.values(rec.last.config.http.services).flatMap((x) => x.loadBalancer?.servers.map((v) => v.url) ?? []);
    expect(urls).toEqual([]);
    await eventually('policy status', () => {
      const a = (statusOf(policy)?.ancestors ?? []) as Array<{ ancestorRef: { name: string }; conditions: Condition[] }>;
      return a.length === 1 && a[0]!.ancestorRef.name === 'gw' && conditionsOf(a[0]!.conditions).ResolvedRefs === 'False/InvalidCACertificateRef';
    });
    // With the CA in place, the Service is reached over https.
    api.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'missing', namespace: ns },
      data: { 'ca.crt': new TestPki().issue('ca-user', ['x']).certPem },
    });
    await rec.until((x) => Object.values(x.config.http.services).some((v) => v.loadBalancer?.servers.some((u) => u.url === 'https://10.3.0.1:9000')));
  });

  test('statusAddress from a Service: Gateway addresses follow its load balancer', async () => {
    const ns = namespace();
    const cls = `portico-${ns}`;
    api.apply(gatewayClass(cls));
    const gw = gateway(ns, 'gw', cls, [{ name: 'http', port: 8000, protocol: 'HTTP' }]);
    api.apply(gw);
    const front: KObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'front', namespace: ns },
      spec: { type: 'LoadBalancer' },
      status: { loadBalancer: { ingress: [{ ip: '198.51.100.4' }, { hostname: 'lb.example' }] } },
    };
    api.apply(front);
    await provider({ namespaces: [ns], statusAddress: { service: { namespace: ns, name: 'front' } } }).start(new SnapshotRecorder().emit);
    await eventually(
      'addresses',
      () =>
        JSON.stringify(statusOf(gw)?.addresses) ===
        JSON.stringify([
          { type: 'IPAddress', value: '198.51.100.4' },
          { type: 'Hostname', value: 'lb.example' },
        ]),
    );
  });

  test("options: Traefik's names accepted; allowCrossNamespace and a bad statusAddress refused by name", () => {
    const at = 'providers.kubernetesGateway';
    expect(
      validateKubernetesProviderOptions(
        'kubernetesgateway',
        {
          experimentalChannel: true,
          statusAddress: { hostname: 'gw.example' },
          certAuthFilePath: '/ca',
          nativeLBByDefault: true,
          labelSelector: 'a=b',
          namespaces: ['x'],
        },
        at,
      ),
    ).toEqual([]);
    expect(validateKubernetesProviderOptions('kubernetesgateway', { allowCrossNamespace: true }, at)).toEqual([
      `${at}.allowCrossNamespace: not an option of the Gateway API provider: ReferenceGrants allow cross-namespace references`,
    ]);
    expect(validateKubernetesProviderOptions('kubernetesgateway', { statusAddress: { ip: '1.2.3.4', hostname: 'x' } }, at)).toEqual([
      `${at}.statusAddress: must be one of { ip: <address> }, { hostname: <name> }, { service: { name, namespace } }`,
    ]);
    expect(validateKubernetesProviderOptions('kubernetesgateway', { experimentalChannel: 'yes' }, at)).toEqual([
      `${at}.experimentalChannel: must be true or false`,
    ]);
  });
});
