/**
 * The certificate Portico answers with when no configured certificate
 * matches and no TLSStore default is set, generated once per process (as
 * Traefik does). It names localhost and the loopback addresses so the
 * quickstart works in a browser after one click-through, and we log its
 * SHA-256 fingerprint and SPKI hash (the value Chromium's
 * --ignore-certificate-errors-spki-list takes).
 */
import { webcrypto, X509Certificate, createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export interface GeneratedCertificate {
  certPem: string;
  keyPem: string;
  fingerprintSha256: string;
  spkiSha256Base64: string;
}

let cached: Promise<GeneratedCertificate> | undefined;

export function generatedDefaultCertificate(): Promise<GeneratedCertificate> {
  cached ??= generate();
  return cached;
}

async function generate(): Promise<GeneratedCertificate> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: 'CN=PORTICO DEFAULT CERT',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
    signingAlgorithm: alg,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END PRIVATE KEY-----\n`;
  const certPem = cert.toString('pem') + '\n';
  const parsed = new X509Certificate(certPem);
  const spki = parsed.publicKey.export({ type: 'spki', format: 'der' });
  return {
    certPem,
    keyPem,
    fingerprintSha256: parsed.fingerprint256,
    spkiSha256Base64: createHash('sha256').update(spki).digest('base64'),
  };
}
