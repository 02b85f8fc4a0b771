import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCaBundle, parseCertificates, verifyCertificateChain } from '../../../src/quic/tls13/certificate-chain.js';
import { QuicTlsAlert } from '../../../src/quic/tls13/quic-tls.js';

/** root CA → intermediate CA → leaf for localhost, made with the openssl CLI. */
let root: X509Certificate;
let intermediate: X509Certificate;
let leaf: X509Certificate;
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'qtls-chain-'));
  const f = (n: string) => join(dir, n);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('root.key'),
    '-out',
    f('root.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=Root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ]);
  writeFileSync(f('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
  run(['req', ...ec, '-keyout', f('int.key'), '-out', f('int.csr'), '-subj', '/CN=Intermediate']);
  run([
    'x509',
    '-req',
    '-in',
    f('int.csr'),
    '-CA',
    f('root.crt'),
    '-CAkey',
    f('root.key'),
    '-CAcreateserial',
    '-out',
    f('int.crt'),
    '-days',
    '2',
    '-extfile',
    f('ca.ext'),
  ]);
  writeFileSync(f('leaf.ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(['req', ...ec, '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', '/CN=localhost']);
  run([
    'x509',
    '-req',
    '-in',
    f('leaf.csr'),
    '-CA',
    f('int.crt'),
    '-CAkey',
    f('int.key'),
    '-CAcreateserial',
    '-out',
    f('leaf.crt'),
    '-days',
    '2',
    '-extfile',
    f('leaf.ext'),
  ]);
  root = new X509Certificate(readFileSync(f('root.crt')));
  intermediate = new X509Certificate(readFileSync(f('int.crt')));
  leaf = new X509Certificate(readFileSync(f('leaf.crt')));
}, 30_000);

function alert(f: () => void): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof QuicTlsAlert) return e.alert;
    throw e;
  }
  return undefined;
}

describe('verifyCertificateChain', () => {
  it('follows a presented intermediate to a trusted root and checks the name or IP', () => {
    expect(alert(() => verifyCertificateChain([leaf, intermediate], [root], { hostName: 'localhost', nowMs: Date.now() }))).toBeUndefined();
    expect(alert(() => verifyCertificateChain([leaf, intermediate], [root], { hostName: '127.0.0.1' }))).toBeUndefined();
    expect(alert(() => verifyCertificateChain([leaf, intermediate], [root], { hostName: 'other.test' }))).toBe(42);
  });

  it('trusts the intermediate itself when configured as the CA', () => {
    expect(alert(() => verifyCertificateChain([leaf], [intermediate], {}))).toBeUndefined();
  });

  it('refuses a chain without its intermediate, or with no trusted CA (unknown_ca)', () => {
    expect(alert(() => verifyCertificateChain([leaf], [root], {}))).toBe(48);
    expect(alert(() => verifyCertificateChain([leaf, intermediate], [], {}))).toBe(48);
  });

  it('trusts a leaf configured as a CA as-is (pinning)', () => {
    expect(alert(() => verifyCertificateChain([leaf], [leaf], { hostName: 'localhost' }))).toBeUndefined();
  });

  it('refuses outside the validity period (certificate_expired)', () => {
    expect(alert(() => verifyCertificateChain([leaf, intermediate], [root], { nowMs: Date.now() + 5 * 86400_000 }))).toBe(45);
  });

  it('refuses a leaf presented as its own issuer when it is not a CA', () => {
    expect(alert(() => verifyCertificateChain([leaf, leaf], [root], {}))).toBe(48);
  });

  it('parses PEM bundles once per array and rejects garbage DER with bad_certificate', () => {
    const bundle = [root.toString() + intermediate.toString()];
    const parsed = parseCaBundle(bundle);
    expect(parsed.map((c) => c.subject)).toEqual(['CN=Root', 'CN=Intermediate']);
    expect(parseCaBundle(bundle)).toBe(parsed);
    expect(alert(() => parseCertificates([Buffer.from('3003020100', 'hex')]))).toBe(42);
  });
});
