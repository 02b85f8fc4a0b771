/**
 * Certificate selection and TLS options, checked with `openssl s_client`
 * (a peer we did not write): exact and wildcard SNI, the TLSStore default,
 * the generated default, sniStrict, mTLS and 421 on an SNI/Host mismatch.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { TestPki, type IssuedCert } from '../support/pki.js';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { curl } from '../support/curl.js';

let pki: TestPki;
let exact: IssuedCert;
let wildcard: IssuedCert;
let fallback: IssuedCert;
let client: IssuedCert;
let rogueClient: IssuedCert;
let portico: Harness;
let port: number;

function sClient(args: string[], input = 'Q\n'): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { timeout: 8000 }, (_e, stdout, stderr) =>
      resolve(stdout + stderr),
    );
    child.stdin?.end(input);
  });
}

const subjectOf = (out: string) => /subject=.*?CN ?= ?([^\n,]+)/.exec(out)?.[1]?.trim();

beforeAll(async () => {
  pki = new TestPki();
  exact = pki.issue('exact', ['api.example.test']);
  wildcard = pki.issue('wildcard', ['*.apps.example.test']);
  fallback = pki.issue('fallback', ['fallback.example.test']);
  client = pki.issue('client', ['alice'], 'client');
  const rogue = new TestPki('Rogue CA');
  rogueClient = rogue.issue('mallory', ['mallory'], 'client');
  portico = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } } },
    {
      'tls.yaml': `
tls:
  certificates:
    - { certFile: ${exact.certFile}, keyFile: ${exact.keyFile} }
    - { certFile: ${wildcard.certFile}, keyFile: ${wildcard.keyFile} }
  stores:
    default:
      defaultCertificate: { certFile: ${fallback.certFile}, keyFile: ${fallback.keyFile} }
  options:
    strict:
      sniStrict: true
      minVersion: VersionTLS13
    mtls:
      clientAuth:
        caFiles: [${pki.caCert}]
        clientAuthType: RequireAndVerifyClientCert
http:
  routers:
    api:
      rule: Host(\`api.example.test\`)
      service: whoami@internal
      tls: {}
    strict:
      rule: Host(\`strict.apps.example.test\`)
      service: whoami@internal
      tls: { options: strict }
    nocert:
      rule: Host(\`nocert.test\`)
      service: whoami@internal
      tls: { options: strict }
    secure:
      rule: Host(\`secure.apps.example.test\`)
      service: whoami@internal
      tls: { options: mtls }
`,
    },
  );
  await portico.server.nextApply(1);
  port = portico.port('websecure');
});

afterAll(async () => {
  await portico?.stop();
});

describe('SNI certificate selection', () => {
  test('exact name, wildcard, TLSStore default for unknown SNI and for no SNI', async () => {
    expect(subjectOf(await sClient(['-servername', 'api.example.test']))).toBe('api.example.test');
    expect(subjectOf(await sClient(['-servername', 'x.apps.example.test']))).toBe('*.apps.example.test');
    expect(subjectOf(await sClient(['-servername', 'unknown.test']))).toBe('fallback.example.test');
    expect(subjectOf(await sClient(['-noservername']))).toBe('fallback.example.test');
  });

  test('sniStrict refuses a name without a certificate; TLS 1.2 is refused by minVersion 1.3', async () => {
    // strict.apps.example.test is covered by the wildcard: accepted, TLS 1.3 only.
    const at = (h: string) => ['--resolve', `${h}:${port}:127.0.0.1`, `https://${h}:${port}/`];
    expect((await curl(['--tlsv1.3', ...at('strict.apps.example.test')])).status).toBe(200);
    expect((await curl(['--tlsv1.2', '--tls-max', '1.2', ...at('strict.apps.example.test')])).status).toBe(0);
    // Other hosts keep the default options: TLS 1.2 is fine there.
    expect((await curl(['--tlsv1.2', '--tls-max', '1.2', ...at('api.example.test')])).status).toBe(200);
    // nocert.test uses the strict options and no certificate covers it: the handshake is refused.
    const refused = await sClient(['-servername', 'nocert.test']);
    expect(refused).toMatch(/alert|handshake failure|unrecognized name|unexpected eof/i);
    expect(refused).not.toMatch(/subject=/);
  });

  test('mTLS: a client certificate from the configured CA is required and verified', async () => {
    const none = await curl(['--resolve', `secure.apps.example.test:${port}:127.0.0.1`, `https://secure.apps.example.test:${port}/`]);
    expect(none.status).toBe(0);
    const rogue = await curl([
      '--cert',
      rogueClient.certFile,
      '--key',
      rogueClient.keyFile,
      '--resolve',
      `secure.apps.example.test:${port}:127.0.0.1`,
      `https://secure.apps.example.test:${port}/`,
    ]);
    expect(rogue.status).toBe(0);
    const good = await curl([
      '--cert',
      client.certFile,
      '--key',
      client.keyFile,
      '--resolve',
      `secure.apps.example.test:${port}:127.0.0.1`,
      `https://secure.apps.example.test:${port}/`,
    ]);
    expect(good.status).toBe(200);
    expect(good.body).toMatch(/TLS: sni=secure\.apps\.example\.test options=mtls@file/);
  });

  test('421 when Host maps to a router whose TLS options differ from the connection', async () => {
    // Handshake as api.example.test (default options), then ask for the mtls router's host.
    const r = await curl([
      '--cacert',
      pki.caCert,
      '--connect-to',
      `secure.apps.example.test:${port}:127.0.0.1:${port}`,
      '-H',
      'Host: secure.apps.example.test',
      '--resolve',
      `api.example.test:${port}:127.0.0.1`,
      `https://api.example.test:${port}/`,
    ]);
    expect(r.status).toBe(421);
  });

  test('certificates change live for new handshakes', async () => {
    const other = pki.issue('other', ['api.example.test', 'new.example.test']);
    await portico.writeDynamic('more.yaml', `tls:\n  certificates:\n    - { certFile: ${other.certFile}, keyFile: ${other.keyFile} }\n`);
    expect(subjectOf(await sClient(['-servername', 'new.example.test']))).toBe('api.example.test');
  });
});
