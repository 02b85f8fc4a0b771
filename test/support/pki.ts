/** A throwaway PKI made with the openssl CLI: a CA, server certificates for given names, client certificates. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IssuedCert {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

/** Leaf key types: openssl -newkey arguments for each. */
export type TestKeyType = 'p256' | 'p384' | 'rsa' | 'ed25519';
const NEW_KEY_ARGS: Record<TestKeyType, string[]> = {
  p256: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  rsa: ['-newkey', 'rsa:2048'],
  ed25519: ['-newkey', 'ed25519'],
};

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'portico-pki-'));
  readonly caCert: string;
  readonly caKey: string;

  constructor(readonly name = 'Portico Test CA') {
    this.caKey = join(this.dir, 'ca.key');
    this.caCert = join(this.dir, 'ca.crt');
    openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      this.caKey,
      '-out',
      this.caCert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }

  /** A leaf certificate for DNS names / IPs, signed by this CA. */
  issue(label: string, names: string[], usage: 'server' | 'client' = 'server', keyType: TestKeyType = 'p256'): IssuedCert {
    const key = join(this.dir, `${label}.key`);
    const csr = join(this.dir, `${label}.csr`);
    const cert = join(this.dir, `${label}.crt`);
    const ext = join(this.dir, `${label}.ext`);
    // `URI:…` names go in as they are (SPIFFE-style identities); others are IPs or DNS names.
    const san = names.map((n) => (n.startsWith('URI:') ? n : /^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    writeFileSync(
      ext,
      `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}\n${san ? `subjectAltName=${san}\n` : ''}`,
    );
    openssl(['req', ...NEW_KEY_ARGS[keyType], '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${names[0] ?? label}`]);
    openssl(['x509', '-req', '-in', csr, '-CA', this.caCert, '-CAkey', this.caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
    return { certFile: cert, keyFile: key, certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}
