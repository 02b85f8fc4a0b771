/**
 * HA ACME in Kubernetes with two real Portico processes (dist/src/cli.js)
 * sharing the in-test API server and a real CA (Pebble, DNS-01 through an
 * `exec` script that sets pebble-challtestsrv's TXT records, so neither
 * replica needs the CA to reach its ports): storage is a Secret, a
 * coordination.k8s.io/v1 Lease elects the replica that orders. The first
 * replica takes the Lease and orders once; the second orders nothing and
 * serves the same certificate from the watched Secret (both verified against
 * Pebble's root); the holder is killed (SIGKILL, no release), the second
 * takes the Lease once it expires and renews the short-lived certificate,
 * writing it to the Secret.
 */
import { afterAll, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../support/free-port.js';
import { FakeApiServer } from '../provider/kubernetes/fake-apiserver.js';
import { preparePebble, writeExecDnsHook, type PebbleCa } from './pebble-ca.js';
import { peerCertificate, until } from './acme-portico.js';

interface Replica {
  port: number;
  apiPort: number;
  child: ChildProcess;
  /** `msg` of each JSON log line so far. */
  messages(): string[];
  log(): string;
}

const dir = mkdtempSync(join(tmpdir(), 'portico-acme-ha-'));
const api = new FakeApiServer();
let ca: PebbleCa | undefined;
const replicas: Replica[] = [];

afterAll(async () => {
  for (const r of replicas)
    if (r.child.exitCode === null && r.child.signalCode === null) {
      const exited = new Promise((done) => r.child.once('exit', done));
      r.child.kill('SIGTERM');
      await exited;
    }
  await api.stop();
  await ca?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startReplica(name: string, script: string): Promise<Replica> {
  const [port, apiPort] = [await freePort(), await freePort()];
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(
    configFile,
    JSON.stringify({
      entryPoints: { websecure: { address: `127.0.0.1:${port}`, http: { tls: {} } }, portico: { address: `127.0.0.1:${apiPort}` } },
      api: { insecure: true },
      log: { level: 'info', format: 'json' },
      providers: { file: { filename: join(dir, 'dynamic.yaml') }, kubernetesCRD: { endpoint: api.url, namespaces: ['portico'] } },
      certificatesResolvers: {
        le: {
          acme: {
            storage: 'kubernetes://portico/acme-certs?leaseDuration=3s',
            caServer: ca!.directoryUrl,
            caCertificates: [ca!.httpsCaFile],
            keyType: 'EC256',
            certificatesDuration: 1,
            dnsChallenge: { provider: 'exec', resolvers: [ca!.dnsServer] },
          },
        },
      },
    }),
  );
  const child = spawn(process.execPath, [resolve('dist/src/cli.js'), '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EXEC_PATH: script, EXEC_POLLING_INTERVAL: '1' },
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const replica: Replica = {
    port,
    apiPort,
    child,
    log: () => log,
    messages: () =>
      log
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => (JSON.parse(l) as { msg: string }).msg),
  };
  replicas.push(replica);
  return replica;
}

const count = (r: Replica, msg: string) => r.messages().filter((m) => m === msg).length;
const secretText = () => {
  const s = api.get({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'portico', name: 'acme-certs' } }) as
    { data?: Record<string, string> } | undefined;
  return s?.data?.['acme.json'] ? Buffer.from(s.data['acme.json'], 'base64').toString() : undefined;
};
const leaseHolder = () =>
  (
    api.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { namespace: 'portico', name: 'acme-certs-lease' } }) as
      { spec?: { holderIdentity?: string } } | undefined
  )?.spec?.holderIdentity;

test('two replicas: one Lease holder orders, both serve the Secret; the other takes over and renews after the holder dies', async () => {
  await api.start();
  // 60-second certificates: renewed two thirds in, about 40 s after issuance.
  ca = await preparePebble({ httpPort: await freePort(), tlsPort: await freePort(), validitySeconds: 60 });
  await ca.start();
  const script = join(dir, 'dns-hook.sh');
  writeExecDnsHook(ca, script);
  writeFileSync(
    join(dir, 'dynamic.yaml'),
    'http:\n  routers:\n    app:\n      rule: Host(`ha.acme.test`)\n      service: whoami@internal\n      tls: { certResolver: le }\n',
  );
  const root = await ca.issuingRoot();
  const served = (r: Replica, unlike?: string) =>
    until(`certificate served by replica on ${r.port}`, 60_000, async () => {
      const seen = await peerCertificate(r.port, 'ha.acme.test', root);
      return seen.authorized && seen.cert.fingerprint256 !== unlike ? seen.cert : undefined;
    });

  const a = await startReplica('a', script);
  await until('replica a holds the Lease', 30_000, () => (count(a, 'ACME lease acquired: this replica orders and renews') ? true : undefined)).catch(
    (err: Error) => {
      throw new Error(`${err.message}\n${a.log()}`);
    },
  );
  const b = await startReplica('b', script);
  const first = await served(a);
  const onB = await served(b);
  expect(onB.fingerprint256).toBe(first.fingerprint256);
  expect(secretText()).toContain('"Certificates"');
  expect(count(a, 'ACME order placed')).toBe(1);
  expect(count(b, 'ACME order placed')).toBe(0);
  expect(count(b, 'ACME lease acquired: this replica orders and renews')).toBe(0);
  const statusB = (await (await fetch(`http://127.0.0.1:${b.apiPort}/api/acme`)).json()) as Array<{ role: string; storage: string }>;
  expect(statusB[0]).toMatchObject({ role: 'following', storage: 'kubernetes://portico/acme-certs' });
  const holderA = leaseHolder();
  expect(holderA).toBeTruthy();

  // The holder dies without releasing the Lease: B waits out its 3 s, takes it, and renews when the certificate is two thirds through.
  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  await until('replica b takes the Lease', 30_000, () => (count(b, 'ACME lease acquired: this replica orders and renews') ? true : undefined));
  expect(Date.now() - killedAt).toBeGreaterThanOrEqual(2_000);
  expect(leaseHolder()).not.toBe(holderA);
  const renewed = await until('renewed certificate on b', 90_000, async () => {
    const seen = await peerCertificate(b.port, 'ha.acme.test', root);
    return seen.authorized && seen.cert.fingerprint256 !== first.fingerprint256 ? seen.cert : undefined;
  });
  expect(new Date(renewed.validTo).getTime()).toBeGreaterThan(new Date(first.validTo).getTime());
  expect(Date.now()).toBeLessThan(new Date(first.validTo).getTime() + 5_000);
  expect(count(b, 'ACME certificate renewed')).toBe(1);
  expect(count(b, 'ACME order placed')).toBe(1);
  // The Secret holds the renewed certificate (what a third replica, or A restarted, would serve).
  const storedLeaf = () => {
    const stored = JSON.parse(secretText()!) as { le: { Certificates: Array<{ certificate: string }> } };
    return new X509Certificate(Buffer.from(stored.le.Certificates[0]!.certificate, 'base64').toString()).fingerprint256;
  };
  expect(storedLeaf()).toBe(renewed.fingerprint256);
  const statusB2 = (await (await fetch(`http://127.0.0.1:${b.apiPort}/api/acme`)).json()) as Array<{ role: string }>;
  expect(statusB2[0]!.role).toBe('ordering');
}, 200_000);
