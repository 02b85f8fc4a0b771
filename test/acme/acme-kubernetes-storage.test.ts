/**
 * HA ACME's Kubernetes parts through the real client library against the
 * in-test API server: two Lease candidates started together get exactly one
 * holder (the other's write meets a 409), a released Lease is taken at once;
 * two Secret storages writing different resolvers at the same time both
 * land (a stale resourceVersion is re-read and retried), and each storage
 * sees the other's write through its watch. And the static configuration:
 * a `kubernetes://` storage without a Kubernetes provider is refused naming
 * the key.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeApiServer } from '../provider/kubernetes/fake-apiserver.js';
import { loadKubeConfig } from '../../src/provider/kubernetes/kube-config.js';
import { AcmeLease } from '../../src/acme/acme-lease.js';
import { AcmeSecretStorage } from '../../src/acme/acme-secret-storage.js';
import { createAccountKey } from '../../src/acme/certificate-key.js';
import { validateStaticConfig, type StaticConfigError } from '../../src/config/load-static-config.js';
import { until } from './acme-portico.js';

const api = new FakeApiServer();
beforeAll(() => api.start());
afterAll(() => api.stop());
const quiet = () => undefined;

describe('Lease', () => {
  test('of two candidates started together exactly one holds; after a release the other takes it at once', async () => {
    const kc = loadKubeConfig({ endpoint: api.url });
    const leading: Record<string, boolean> = {};
    const candidate = (id: string) =>
      new AcmeLease(kc, { namespace: 'ha', name: 'race', durationMs: 2_000, onLeadership: (on) => (leading[id] = on), log: quiet });
    const [a, b] = [candidate('a'), candidate('b')];
    a.start();
    b.start();
    await until('a holder', 5_000, () => (a.isLeading || b.isLeading ? true : undefined));
    // Several renewal rounds: still exactly one.
    await new Promise((r) => setTimeout(r, 2_500));
    expect([a.isLeading, b.isLeading].filter(Boolean)).toHaveLength(1);
    const [holder, other] = a.isLeading ? [a, b] : [b, a];
    const lease = api.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { namespace: 'ha', name: 'race' } }) as unknown as {
      spec: { holderIdentity: string; leaseDurationSeconds: number };
    };
    expect(lease.spec).toMatchObject({ holderIdentity: holder.identity, leaseDurationSeconds: 2 });
    // Both found no Lease and created one: the API server let one create win (409 AlreadyExists for the other).
    expect(api.count(/^POST \/apis\/coordination\.k8s\.io\/v1\/namespaces\/ha\/leases/)).toBe(2);
    const releasedAt = Date.now();
    await holder.stop();
    await until('the other takes over', 5_000, () => (other.isLeading ? true : undefined));
    // A released Lease needs no expiry wait (2 s), only the next look (a quarter of it).
    expect(Date.now() - releasedAt).toBeLessThan(1_800);
    await other.stop();
  }, 20_000);

  test('a holder that finds another holder steps down, and takes the Lease back only once that one has not renewed for the duration', async () => {
    const kc = loadKubeConfig({ endpoint: api.url });
    const c = new AcmeLease(kc, { namespace: 'ha', name: 'solo', durationMs: 2_000, onLeadership: quiet, log: quiet });
    c.start();
    await until('c holds', 5_000, () => (c.isLeading ? true : undefined));
    const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { namespace: 'ha', name: 'solo' } };
    const lease = api.get(ref) as unknown as { spec: Record<string, unknown> };
    // Another replica (that then dies) wrote itself in.
    api.apply({ ...ref, spec: { ...lease.spec, holderIdentity: 'someone-else', renewTime: new Date().toISOString() } });
    const tookAt = Date.now();
    await until('c steps down', 3_000, () => (!c.isLeading ? true : undefined));
    await until('c takes it back', 8_000, () => (c.isLeading ? true : undefined));
    expect(Date.now() - tookAt).toBeGreaterThanOrEqual(1_900);
    expect((api.get(ref) as unknown as { spec: { holderIdentity: string; leaseTransitions: number } }).spec).toMatchObject({
      holderIdentity: c.identity,
      leaseTransitions: 1,
    });
    await c.stop();
  }, 20_000);
});

describe('Secret storage', () => {
  test('concurrent writes of two resolvers from two replicas both land, and each sees the other through its watch', async () => {
    const kc = loadKubeConfig({ endpoint: api.url });
    const [one, two] = [new AcmeSecretStorage(kc, 'ha', 'certs'), new AcmeSecretStorage(kc, 'ha', 'certs')];
    let changes = 0;
    const events = { onChange: () => changes++, onError: quiet, log: quiet };
    await one.start(events);
    await two.start(events);
    expect(one.read('le')).toEqual({ certificates: [] });
    const keyPem = await createAccountKey();
    const account = (email: string) => ({ account: { email, url: `https://ca.test/acct/${email}`, keyPem }, certificates: [] });
    await Promise.all([one.write('le', account('one@x.test')), two.write('other', account('two@x.test'))]);
    await until('both see both', 5_000, () =>
      [one, two].every((s) => s.read('le').account?.email === 'one@x.test' && s.read('other').account?.email === 'two@x.test') ? true : undefined,
    );
    expect(changes).toBeGreaterThan(0);
    const secret = api.get({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'ha', name: 'certs' } }) as unknown as { data: Record<string, string> };
    expect(Object.keys(JSON.parse(Buffer.from(secret.data['acme.json']!, 'base64').toString()) as object).sort()).toEqual(['le', 'other']);
    // Both found no Secret and created it: one create won, the other (409 AlreadyExists) read it again and replaced it.
    expect(api.count(/^POST \/api\/v1\/namespaces\/ha\/secrets/)).toBe(2);
    expect(api.count(/^PUT \/api\/v1\/namespaces\/ha\/secrets\/certs/)).toBe(1);
    await one.stop();
    await two.stop();
  });
});

describe('static configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portico-acme-k8s-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const problemsOf = (storage: string, providers: Record<string, unknown> = {}) => {
    try {
      const cfg = validateStaticConfig(
        { entryPoints: { web: { address: ':80' } }, providers, certificatesResolvers: { le: { acme: { storage, httpChallenge: { entryPoint: 'web' } } } } },
        dir,
        'portico.yaml',
      );
      return cfg.certificatesResolvers!.le!.acme.storageSecret;
    } catch (err) {
      return (err as StaticConfigError).problems;
    }
  };

  test('kubernetes:// storage needs a Kubernetes provider and a well-formed address; the Lease is tunable', () => {
    expect(problemsOf('kubernetes://portico/acme')).toEqual([
      expect.stringContaining('certificatesResolvers.le.acme.storage: a Kubernetes Secret needs a Kubernetes connection'),
    ]);
    const k8s = { kubernetesCRD: { endpoint: 'http://127.0.0.1:1' } };
    expect(problemsOf('kubernetes://portico/acme', k8s)).toEqual({ namespace: 'portico', name: 'acme', leaseName: 'acme-lease', leaseDurationMs: 15_000 });
    expect(problemsOf('kubernetes://portico/acme?leaseName=orderer&leaseDuration=5s', k8s)).toMatchObject({ leaseName: 'orderer', leaseDurationMs: 5_000 });
    expect(problemsOf('kubernetes://portico', k8s)).toEqual([
      expect.stringContaining('acme.storage: "kubernetes://portico": write kubernetes://<namespace>/<secret name>'),
    ]);
    expect(problemsOf('kubernetes://portico/acme?lease=x', k8s)).toEqual([expect.stringContaining('unknown parameter "lease"')]);
  });
});
