/**
 * TLS options on the UDP side, as on TCP (Traefik's tls.options chosen by
 * the router's Host): our QUIC stack under a real Portico, gtlsclient
 * (ngtcp2 + GnuTLS) as the client with its SNI, cipher, group and client
 * certificate switches. A refused handshake must fail with the TLS alert
 * the option set calls for (CRYPTO_ERROR 0x100 + alert, RFC 9001 §4.8), and
 * mTLS must let the client certificate reach the request
 * (passTLSClientCert).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { gtlsclient } from '../support/gtlsclient.js';
import { TestPki, type IssuedCert } from '../support/pki.js';

const work = mkdtempSync(join(tmpdir(), 'portico-quic-tls-options-'));
let pki: TestPki;
let server: IssuedCert;
let clientCert: IssuedCert;
let strangerCert: IssuedCert;
const running: Harness[] = [];
/** Each Portico's qlog directory, by port. */
const qlogDirs = new Map<number, string>();

beforeAll(() => {
  pki = new TestPki('QUIC Options CA');
  server = pki.issue('server', ['localhost']);
  clientCert = pki.issue('alice', ['alice.client.test'], 'client');
  strangerCert = new TestPki('Stranger CA').issue('mallory', ['mallory.client.test'], 'client');
}, 60_000);

afterAll(async () => {
  for (const p of running) await p.stop();
});

/**
 * A Portico on our QUIC whose `default` TLS option set is `options` (YAML
 * flow mapping). gtlsclient 0.12 sends "localhost" as SNI whatever --sni
 * says, so each option set gets its own Portico instead of its own name.
 */
async function porticoWith(options: string): Promise<number> {
  const qlogDir = mkdtempSync(join(work, 'qlog-'));
  const p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true, quic: 'portico', qlogDir } } } },
    {
      'tls.yaml': `
tls:
  certificates:
    - { certFile: ${server.certFile}, keyFile: ${server.keyFile} }
  options:
    default: ${options}
http:
  routers:
    all: { rule: PathPrefix(\`/\`), service: whoami@internal, middlewares: [pem], tls: {} }
  middlewares:
    pem: { passTLSClientCert: { pem: true } }
`,
    },
  );
  running.push(p);
  await p.server.nextApply(1);
  qlogDirs.set(p.port('websecure'), qlogDir);
  return p.port('websecure');
}

/** What the server's qlogs say each completed handshake negotiated (qlog files are written asynchronously: waits up to 3 s for one). */
async function negotiated(port: number): Promise<Array<{ cipher_suite: string; group: string }>> {
  for (let i = 0; i < 30 && negotiatedNow(port).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  return negotiatedNow(port);
}

function negotiatedNow(port: number): Array<{ cipher_suite: string; group: string }> {
  const dir = qlogDirs.get(port)!;
  return readdirSync(dir)
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\x1e').filter(Boolean))
    .map((r) => JSON.parse(r) as { name?: string; data?: { new?: string; cipher_suite: string; group: string } })
    .filter((e) => e.name === 'connectivity:connection_state_updated' && e.data?.new === 'handshake_complete')
    .map((e) => e.data!);
}

/** GET https://localhost/<path> over HTTP/3; the body whoami answered (empty when the handshake failed) and the client's log. */
async function get(port: number, path: string, extra: string[] = []): Promise<{ body: string; out: string }> {
  const dir = mkdtempSync(join(work, 'dl-'));
  const r = await gtlsclient([`--download=${dir}`, ...extra, '127.0.0.1', String(port), `https://localhost:${port}${path}`], {
    idleTimeout: '5s',
    timeoutMs: 30_000,
  });
  const files = readdirSync(dir);
  return { body: files.length ? readFileSync(join(dir, files[0]!), 'utf8') : '', out: r.out };
}

/** The CONNECTION_CLOSE the server sent, as ngtcp2 logs it: its error code. */
function serverCloseCode(out: string): number | undefined {
  const m = /frm rx .*CONNECTION_CLOSE\(0x1c\) error_code=\w*\(0x([0-9a-f]+)\)/.exec(out);
  return m ? parseInt(m[1]!, 16) : undefined;
}

const tail = (out: string) => out.split('\n').slice(-40).join('\n');
const CRYPTO_ERROR = 0x100;

describe('TLS options on our QUIC stack (the default option set of the name)', () => {
  test('no options: the default handshake, and no client certificate is asked for', async () => {
    const port = await porticoWith('{}');
    const r = await get(port, '/plain', [`--cert=${clientCert.certFile}`, `--key=${clientCert.keyFile}`]);
    expect(r.body, tail(r.out)).toMatch(/GET \/plain HTTP\/3\.0/);
    expect(r.body).not.toMatch(/X-Forwarded-Tls-Client-Cert/i);
  }, 40_000);

  test('cipherSuites with a TLS 1.3 suite: only that suite, and a client without it gets handshake_failure', async () => {
    const port = await porticoWith('{ cipherSuites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_AES_256_GCM_SHA384] }');
    const ok = await get(port, '/aes');
    expect(ok.body, tail(ok.out)).toMatch(/GET \/aes HTTP\/3\.0/);
    expect(ok.out).toMatch(/Negotiated cipher suite is AES-256-GCM/);
    expect(await negotiated(port)).toEqual([expect.objectContaining({ cipher_suite: 'TLS_AES_256_GCM_SHA384' })]);
    const refused = await get(port, '/aes', ['--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305']);
    expect(refused.body).toBe('');
    expect(serverCloseCode(refused.out), tail(refused.out)).toBe(CRYPTO_ERROR + 40);
  }, 60_000);

  test('curvePreferences: P-384 only (a HelloRetryRequest moves the client off X25519), and an X25519-only client gets handshake_failure', async () => {
    const port = await porticoWith('{ curvePreferences: [CurveP384] }');
    const ok = await get(port, '/p384');
    expect(ok.body, tail(ok.out)).toMatch(/GET \/p384 HTTP\/3\.0/);
    expect(await negotiated(port)).toEqual([expect.objectContaining({ group: 'secp384r1' })]);
    const refused = await get(port, '/p384', ['--groups=-GROUP-ALL:+GROUP-X25519']);
    expect(refused.body).toBe('');
    expect(serverCloseCode(refused.out), tail(refused.out)).toBe(CRYPTO_ERROR + 40);
  }, 60_000);

  test('maxVersion below TLS 1.3: no HTTP/3 for the name (protocol_version), as quic-go under Traefik', async () => {
    const port = await porticoWith('{ maxVersion: VersionTLS12 }');
    const r = await get(port, '/old');
    expect(r.body).toBe('');
    expect(serverCloseCode(r.out), tail(r.out)).toBe(CRYPTO_ERROR + 70);
  }, 40_000);

  describe('clientAuth', () => {
    let mtls: number;
    beforeAll(async () => {
      mtls = await porticoWith(`{ clientAuth: { caFiles: [${pki.caCert}], clientAuthType: RequireAndVerifyClientCert } }`);
    }, 30_000);

    test('RequireAndVerifyClientCert: a certificate from the CA is accepted and reaches the request (passTLSClientCert)', async () => {
      const r = await get(mtls, '/who', [`--cert=${clientCert.certFile}`, `--key=${clientCert.keyFile}`]);
      expect(r.body, tail(r.out)).toMatch(/GET \/who HTTP\/3\.0/);
      const header = /X-Forwarded-Tls-Client-Cert: (\S+)/i.exec(r.body)?.[1];
      expect(header, r.body).toBeDefined();
      // passTLSClientCert's pem form: the base64 DER of the leaf the client presented.
      const der = Buffer.from(decodeURIComponent(header!).replace(/-----[A-Z ]+-----/g, ''), 'base64');
      expect(new X509Certificate(der).fingerprint256).toBe(new X509Certificate(clientCert.certPem).fingerprint256);
    }, 40_000);

    test('RequireAndVerifyClientCert: no certificate is certificate_required', async () => {
      const r = await get(mtls, '/who');
      expect(r.body).toBe('');
      expect(serverCloseCode(r.out), tail(r.out)).toBe(CRYPTO_ERROR + 116);
    }, 40_000);

    test('RequireAndVerifyClientCert: a certificate from another CA is unknown_ca', async () => {
      const r = await get(mtls, '/who', [`--cert=${strangerCert.certFile}`, `--key=${strangerCert.keyFile}`]);
      expect(r.body).toBe('');
      expect(serverCloseCode(r.out), tail(r.out)).toBe(CRYPTO_ERROR + 48);
    }, 40_000);

    test('RequireAnyClientCert: any certificate (here from another CA) is taken, none is certificate_required', async () => {
      const port = await porticoWith('{ clientAuth: { clientAuthType: RequireAnyClientCert } }');
      const ok = await get(port, '/any', [`--cert=${strangerCert.certFile}`, `--key=${strangerCert.keyFile}`]);
      expect(ok.body, tail(ok.out)).toMatch(/GET \/any HTTP\/3\.0/);
      expect(ok.body).toMatch(/X-Forwarded-Tls-Client-Cert: /i);
      const refused = await get(port, '/any');
      expect(refused.body).toBe('');
      expect(serverCloseCode(refused.out), tail(refused.out)).toBe(CRYPTO_ERROR + 116);
    }, 60_000);
  });
});
