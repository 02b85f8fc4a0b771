/**
 * Renewal against a real CA: Pebble issues 30-second certificates
 * (certificateValidityPeriod), so the resolver renews two thirds into the
 * lifetime (about 20 s in) and the new certificate replaces the old one live,
 * on the same listener, without a restart.
 */
import { afterAll, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { preparePebble, type PebbleCa } from './pebble-ca.js';
import { peerCertificate, startAcmePortico, until, type AcmePortico } from './acme-portico.js';

let ca: PebbleCa | undefined;
let portico: AcmePortico | undefined;
const dir = mkdtempSync(join(tmpdir(), 'portico-acme-renew-'));

afterAll(async () => {
  await portico?.stop();
  await ca?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a short-lived certificate is renewed two thirds into its life and served live', async () => {
  const [webPort, websecurePort] = [await freePort(), await freePort()];
  ca = await preparePebble({ httpPort: webPort, tlsPort: websecurePort, validitySeconds: 30 });
  await ca.start();
  portico = await startAcmePortico({
    dir,
    webPort,
    websecurePort,
    resolvers: {
      le: {
        storage: 'acme.json',
        caServer: ca.directoryUrl,
        caCertificates: [ca.httpsCaFile],
        keyType: 'EC256',
        certificatesDuration: 1,
        httpChallenge: { entryPoint: 'web' },
      },
    },
    dynamicYaml: 'http:\n  routers:\n    app:\n      rule: Host(`renew.acme.test`)\n      service: whoami@internal\n      tls: { certResolver: le }\n',
  });
  const root = await ca.issuingRoot();
  const first = await until('first certificate', 60_000, async () => {
    const seen = await peerCertificate(websecurePort, 'renew.acme.test', root);
    return seen.authorized ? seen.cert : undefined;
  });
  const life = new Date(first.validTo).getTime() - new Date(first.validFrom).getTime();
  expect(life).toBeLessThanOrEqual(31_000);
  const status = (await portico.api('/api/acme')) as Array<{ certificates: Array<{ renewAt: string; notAfter: string; renewalBasis: string }> }>;
  const planned = new Date(status[0]!.certificates[0]!.renewAt).getTime();
  // Two thirds in: a third of the lifetime before notAfter.
  expect(Math.abs(new Date(first.validTo).getTime() - life / 3 - planned)).toBeLessThan(1_000);
  expect(status[0]!.certificates[0]!.renewalBasis).toBe('lifetime');

  const second = await until('renewed certificate', 60_000, async () => {
    const seen = await peerCertificate(websecurePort, 'renew.acme.test', root);
    return seen.authorized && seen.cert.fingerprint256 !== first.fingerprint256 ? seen.cert : undefined;
  });
  expect(new Date(second.validTo).getTime()).toBeGreaterThan(new Date(first.validTo).getTime());
  // Renewed before the old one expired, not after.
  expect(Date.now()).toBeLessThan(new Date(first.validTo).getTime() + 5_000);
  expect(portico.count('ACME certificate renewed')).toBeGreaterThanOrEqual(1);
  expect(portico.messages().filter((m) => m.startsWith('ACME renewal failed') || m.startsWith('ACME order failed'))).toEqual([]);
}, 150_000);
