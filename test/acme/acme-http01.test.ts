/**
 * ACME against a real CA (Pebble): HTTP-01 issuance through Portico's own
 * challenge router, the issued certificate served for its name and verified
 * against Pebble's root, stored in Traefik's acme.json shape with mode 0600,
 * and served at once after a restart with no new order.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { preparePebble, type PebbleCa } from './pebble-ca.js';
import { peerCertificate, startAcmePortico, until, verifiedGet, type AcmePortico } from './acme-portico.js';

let ca: PebbleCa;
let dir: string;
let webPort: number;
let websecurePort: number;
const running: AcmePortico[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portico-acme-'));
  [webPort, websecurePort] = [await freePort(), await freePort()];
  ca = await preparePebble({ httpPort: webPort, tlsPort: websecurePort });
  await ca.start();
}, 30_000);

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  await ca?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const dynamicYaml = `
http:
  routers:
    app:
      rule: Host(\`app.acme.test\`)
      entryPoints: [websecure]
      service: whoami@internal
      tls: { certResolver: le }
`;

const start = async () => {
  const p = await startAcmePortico({
    dir,
    webPort,
    websecurePort,
    resolvers: {
      le: {
        email: 'ops@acme.test',
        storage: 'acme.json',
        caServer: ca.directoryUrl,
        caCertificates: [ca.httpsCaFile],
        keyType: 'EC256',
        httpChallenge: { entryPoint: 'web' },
      },
    },
    dynamicYaml,
  });
  running.push(p);
  return p;
};

test('HTTP-01: the certificate is ordered, served for its name and verifies against the CA root; restart serves it with no new order', async () => {
  const portico = await start();
  const root = await ca.issuingRoot();
  // Ordered in the background: until then the default certificate answers.
  const issued = await until('certificate issued by Pebble', 60_000, async () => {
    const seen = await peerCertificate(websecurePort, 'app.acme.test', root);
    return seen.authorized ? seen : undefined;
  });
  expect(issued.cert.subjectAltName).toContain('DNS:app.acme.test');
  expect(portico.count('ACME order placed')).toBe(1);
  const res = await verifiedGet(websecurePort, 'app.acme.test', '/who', root);
  expect(res.status).toBe(200);

  // Traefik's acme.json: resolver → Account + Certificates, base64 PEM, mode 0600.
  const storage = join(dir, 'acme.json');
  expect(statSync(storage).mode & 0o777).toBe(0o600);
  const stored = JSON.parse(readFileSync(storage, 'utf8')) as Record<
    string,
    {
      Account: { Email: string; PrivateKey: string; Registration: { uri: string } };
      Certificates: Array<{ domain: { main: string }; certificate: string; key: string; Store: string }>;
    }
  >;
  expect(stored.le!.Account.Email).toBe('ops@acme.test');
  expect(stored.le!.Account.Registration.uri).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
  expect(stored.le!.Certificates).toHaveLength(1);
  expect(stored.le!.Certificates[0]!.domain.main).toBe('app.acme.test');
  expect(Buffer.from(stored.le!.Certificates[0]!.certificate, 'base64').toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
  expect(stored.le!.Certificates[0]!.Store).toBe('default');

  const status = (await portico.api('/api/acme')) as Array<{
    name: string;
    certificates: Array<{ domains: string[]; state: string; notAfter: string; renewAt: string }>;
  }>;
  expect(status[0]!.name).toBe('le');
  expect(status[0]!.certificates[0]).toMatchObject({ domains: ['app.acme.test'], state: 'valid' });
  await portico.stop();
  running.splice(running.indexOf(portico), 1);

  // Restart: the first handshake already gets the stored certificate, and no order is placed.
  const again = await start();
  const first = await peerCertificate(websecurePort, 'app.acme.test', root);
  expect(first.authorized).toBe(true);
  expect(first.cert.fingerprint256).toBe(issued.cert.fingerprint256);
  await new Promise((r) => setTimeout(r, 1_500));
  expect(again.count('ACME order placed')).toBe(0);
}, 120_000);
