/**
 * A client gets the certificate configured for its SNI whatever the key types
 * of that certificate and of the default (an RSA certificate used to lose to the
 * generated ECDSA default under TLS 1.3), and a name with both an RSA and an
 * ECDSA certificate gets the one the client's signature algorithms allow.
 * Checked with `openssl s_client -sigalgs` against a real Portico.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { TestPki } from '../support/pki.js';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { curl } from '../support/curl.js';

let portico: Harness;
let port: number;

function served(serverName: string | undefined, args: string[] = []): Promise<{ subject?: string; peerSignature?: string }> {
  return new Promise((resolve) => {
    const sni = serverName ? ['-servername', serverName] : ['-noservername'];
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...sni, ...args], { timeout: 8000 }, (_e, stdout, stderr) => {
      const out = stdout + stderr;
      resolve({ subject: /subject=.*?CN ?= ?([^\n,]+)/.exec(out)?.[1]?.trim(), peerSignature: /Peer signature type: (\S+)/.exec(out)?.[1] });
    });
    child.stdin?.end('Q\n');
  });
}

beforeAll(async () => {
  const pki = new TestPki();
  const rsaOnly = pki.issue('rsa-only', ['rsa.example.test'], 'server', 'rsa');
  const dualRsa = pki.issue('dual-rsa', ['dual.example.test'], 'server', 'rsa');
  const dualEc = pki.issue('dual-ec', ['dual.example.test'], 'server', 'p256');
  const ecOnly = pki.issue('ec-only', ['ec.example.test'], 'server', 'p256');
  portico = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } } },
    {
      'tls.yaml': `
tls:
  certificates:
    - { certFile: ${rsaOnly.certFile}, keyFile: ${rsaOnly.keyFile} }
    - { certFile: ${dualRsa.certFile}, keyFile: ${dualRsa.keyFile} }
    - { certFile: ${dualEc.certFile}, keyFile: ${dualEc.keyFile} }
    - { certFile: ${ecOnly.certFile}, keyFile: ${ecOnly.keyFile} }
http:
  routers:
    who: { rule: PathPrefix(\`/\`), service: whoami@internal }
`,
    },
  );
  await portico.server.nextApply(1);
  port = portico.port('websecure');
});
afterAll(() => portico?.stop());

test('an RSA certificate is served for its name under TLS 1.3 and 1.2, although the default is ECDSA', async () => {
  expect(await served('rsa.example.test')).toMatchObject({ subject: 'rsa.example.test' });
  expect(await served('rsa.example.test', ['-tls1_3'])).toMatchObject({ subject: 'rsa.example.test' });
  expect(await served('rsa.example.test', ['-tls1_2'])).toMatchObject({ subject: 'rsa.example.test' });
  expect(await served('ec.example.test', ['-tls1_3'])).toMatchObject({ subject: 'ec.example.test', peerSignature: 'ECDSA' });
  // No SNI, or an unknown name: the generated default.
  expect((await served(undefined)).subject).toBe('PORTICO DEFAULT CERT');
  expect((await served('unknown.example.test')).subject).toBe('PORTICO DEFAULT CERT');
});

test('a name with RSA and ECDSA certificates gets the one the client supports', async () => {
  expect(await served('dual.example.test', ['-sigalgs', 'ECDSA+SHA256'])).toMatchObject({ subject: 'dual.example.test', peerSignature: 'ECDSA' });
  expect(await served('dual.example.test', ['-sigalgs', 'RSA-PSS+SHA256'])).toMatchObject({ subject: 'dual.example.test', peerSignature: 'RSA-PSS' });
  expect(await served('dual.example.test', ['-tls1_2', '-sigalgs', 'RSA+SHA256'])).toMatchObject({ subject: 'dual.example.test', peerSignature: 'RSA' });
  expect(await served('dual.example.test', ['-tls1_2', '-sigalgs', 'ECDSA+SHA256'])).toMatchObject({ subject: 'dual.example.test', peerSignature: 'ECDSA' });
});

test('HTTP over h1 and h2 still works on the ClientHello-chosen context', async () => {
  for (const v of ['--http1.1', '--http2']) {
    const r = await curl([v, '--resolve', `rsa.example.test:${port}:127.0.0.1`, `https://rsa.example.test:${port}/`]);
    expect(r.status, r.stderr).toBe(200);
    expect(r.httpVersion).toBe(v === '--http2' ? '2' : '1.1');
  }
});
