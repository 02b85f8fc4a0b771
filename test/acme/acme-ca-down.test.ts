/**
 * A CA that is down when Portico starts: start-up does not wait for it, the
 * default certificate answers for the name, the failure is logged and listed
 * in /api/errors and /api/acme with the next attempt, and the certificate is
 * obtained by a later attempt once the CA is up.
 */
import { afterAll, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { preparePebble, type PebbleCa } from './pebble-ca.js';
import { peerCertificate, startAcmePortico, until, verifiedGet, type AcmePortico } from './acme-portico.js';

let ca: PebbleCa | undefined;
let portico: AcmePortico | undefined;
const dir = mkdtempSync(join(tmpdir(), 'portico-acme-down-'));

afterAll(async () => {
  await portico?.stop();
  await ca?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('CA down at start: default certificate, error in the API, retried with backoff until the CA is up', async () => {
  const [webPort, websecurePort] = [await freePort(), await freePort()];
  ca = await preparePebble({ httpPort: webPort, tlsPort: websecurePort });
  const started = Date.now();
  portico = await startAcmePortico({
    dir,
    webPort,
    websecurePort,
    resolvers: {
      le: { storage: 'acme.json', caServer: ca.directoryUrl, caCertificates: [ca.httpsCaFile], keyType: 'EC256', httpChallenge: { entryPoint: 'web' } },
    },
    dynamicYaml: 'http:\n  routers:\n    app:\n      rule: Host(`down.acme.test`)\n      service: whoami@internal\n      tls: { certResolver: le }\n',
  });
  expect(Date.now() - started).toBeLessThan(5_000);
  // Served at once, with the default certificate.
  const before = await peerCertificate(websecurePort, 'down.acme.test');
  expect(before.cert.subjectAltName ?? '').not.toContain('down.acme.test');
  const failure = await until('the failure in /api/acme', 30_000, async () => {
    const s = (await portico!.api('/api/acme')) as Array<{
      certificates: Array<{ state: string; failures: number; lastError?: string; nextAttemptAt?: string }>;
    }>;
    const c = s[0]?.certificates[0];
    return c?.state === 'failed' ? c : undefined;
  });
  expect(failure.failures).toBeGreaterThanOrEqual(1);
  expect(failure.lastError).toMatch(/ECONNREFUSED|connect/i);
  expect(new Date(failure.nextAttemptAt!).getTime()).toBeGreaterThan(Date.now() - 1_000);
  const errors = (await portico.api('/api/errors')) as Array<{ provider: string; path: string; message: string }>;
  expect(errors).toContainEqual(
    expect.objectContaining({ provider: 'acme', path: 'certificatesResolvers.le.acme', message: expect.stringContaining('down.acme.test') }),
  );
  expect(portico.messages()).toContain('ACME order failed; the default certificate answers meanwhile');

  await ca.start();
  const root = await ca.issuingRoot();
  await until('certificate after the CA came up', 90_000, async () => {
    const seen = await peerCertificate(websecurePort, 'down.acme.test', root);
    return seen.authorized ? true : undefined;
  });
  expect((await verifiedGet(websecurePort, 'down.acme.test', '/', root)).status).toBe(200);
  const after = (await portico.api('/api/errors')) as Array<{ provider: string }>;
  expect(after.filter((e) => e.provider === 'acme')).toEqual([]);
}, 150_000);
