/**
 * passTLSClientCert through a real Portico with mutual TLS, curl presenting a
 * client certificate made by openssl with a many-valued subject, over h1 and
 * h2. The expected Info header is written out by hand from Traefik's format.
 * (HTTP/3: the QUIC listener does not ask for client certificates yet, so there
 * is nothing to pass; a request over h3 gets neither header.)
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { curl } from '../../support/curl.js';
import { TestPki } from '../../support/pki.js';
import { h3Request } from '../support/h3-request.js';
import { problems } from '../support/compile.js';

let p: Harness;
let port: number;
let pki: TestPki;
let certFile: string;
let keyFile: string;
let cert: X509Certificate;

beforeAll(async () => {
  pki = new TestPki('Cheese CA');
  keyFile = join(pki.dir, 'rich.key');
  certFile = join(pki.dir, 'rich.crt');
  const csr = join(pki.dir, 'rich.csr');
  const ext = join(pki.dir, 'rich.ext');
  writeFileSync(
    ext,
    'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://cheese/alice,IP:10.0.0.1,email:alice@cheese.example,DNS:alice.cheese.example\n',
  );
  execFileSync(
    'openssl',
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      csr,
      '-multivalue-rdn',
      '-subj',
      '/CN=alice/OU=Cheese Team/OU=Ops/O=Cheese/L=Toulouse/ST=Occitanie/C=FR/DC=cheese/DC=example/serialNumber=1234',
    ],
    { stdio: 'pipe' },
  );
  execFileSync(
    'openssl',
    ['x509', '-req', '-in', csr, '-CA', pki.caCert, '-CAkey', pki.caKey, '-set_serial', '4660', '-out', certFile, '-days', '2', '-extfile', ext],
    { stdio: 'pipe' },
  );
  cert = new X509Certificate(readFileSync(certFile));
  p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true } } } },
    {
      'mtls.yaml': `
tls:
  options:
    mtls:
      clientAuth: { caFiles: [${pki.caCert}], clientAuthType: VerifyClientCertIfGiven }
http:
  routers:
    pem: { rule: Host(\`mtls.test\`) && PathPrefix(\`/pem\`), service: whoami@internal, middlewares: [pem], tls: { options: mtls } }
    info: { rule: Host(\`mtls.test\`) && PathPrefix(\`/info\`), service: whoami@internal, middlewares: [info], tls: { options: mtls } }
    plain: { rule: PathPrefix(\`/plain\`), service: whoami@internal, middlewares: [pem, info], tls: {} }
  middlewares:
    pem: { passTLSClientCert: { pem: true } }
    info:
      passTLSClientCert:
        info:
          notAfter: true
          notBefore: true
          sans: true
          serialNumber: true
          subject: { country: true, province: true, locality: true, organization: true, organizationalUnit: true, commonName: true, serialNumber: true, domainComponent: true }
          issuer: { country: true, province: true, locality: true, organization: true, commonName: true, serialNumber: true, domainComponent: true }
`,
    },
  );
  expect((await p.server.nextApply(1)).errors).toEqual([]);
  port = p.port('websecure');
});

afterAll(async () => {
  await p?.stop();
});

const header = (body: string, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(body)?.[1]?.trim();
const mtls = (version: string, path: string, extra: string[] = []) =>
  curl([version, '--resolve', `mtls.test:${port}:127.0.0.1`, '--cert', certFile, '--key', keyFile, ...extra, `https://mtls.test:${port}${path}`]);

describe('passTLSClientCert end to end', () => {
  for (const version of ['--http1.1', '--http2']) {
    test(`${version}: pem is the certificate's base64 DER, without armour or line breaks`, async () => {
      const r = await mtls(version, '/pem');
      expect(r.status).toBe(200);
      expect(header(r.body, 'X-Forwarded-Tls-Client-Cert')).toBe(cert.raw.toString('base64'));
      const pemBody = readFileSync(certFile, 'utf8').replace(/-----(BEGIN|END) CERTIFICATE-----|\n/g, '');
      expect(header(r.body, 'X-Forwarded-Tls-Client-Cert')).toBe(pemBody);
    });

    test(`${version}: info in Traefik's field order and format, URL-escaped`, async () => {
      const r = await mtls(version, '/info');
      expect(r.status).toBe(200);
      const nb = Math.floor(Date.parse(cert.validFrom) / 1000);
      const na = Math.floor(Date.parse(cert.validTo) / 1000);
      const expected =
        'Subject="DC=cheese,DC=example,C=FR,ST=Occitanie,L=Toulouse,O=Cheese,OU=Cheese Team,OU=Ops,SN=1234,CN=alice";' +
        'Issuer="CN=Cheese CA";SerialNumber="4660";' +
        `NB="${nb}";NA="${na}";` +
        'SAN="alice.cheese.example,alice@cheese.example,10.0.0.1,spiffe://cheese/alice"';
      const got = header(r.body, 'X-Forwarded-Tls-Client-Cert-Info')!;
      expect(decodeURIComponent(got.replace(/\+/g, ' '))).toBe(expected);
      expect(got).toMatch(/^Subject%3D%22DC%3Dcheese%2CDC%3Dexample%2CC%3DFR%2C.*OU%3DCheese\+Team/);
    });

    test(`${version}: without a client certificate, a header the client sent itself is removed`, async () => {
      const r = await curl([
        version,
        '--resolve',
        `mtls.test:${port}:127.0.0.1`,
        '-H',
        'X-Forwarded-Tls-Client-Cert: forged',
        '-H',
        'X-Forwarded-Tls-Client-Cert-Info: forged',
        `https://mtls.test:${port}/pem`,
      ]);
      expect(r.status).toBe(200);
      expect(r.body).not.toMatch(/X-Forwarded-Tls-Client-Cert/i);
    });
  }

  test('h3: no client certificate over QUIC, so neither header, and a forged one is removed', async () => {
    const r = await h3Request(port, '/plain', { headers: [['x-forwarded-tls-client-cert', 'forged']] });
    expect(r.status).toBe(200);
    expect(r.body.toString()).not.toMatch(/X-Forwarded-Tls-Client-Cert/i);
  });

  test('unknown keys are refused by name', () => {
    expect(problems('passTLSClientCert', { pem: true, info: { subject: { surname: true } } })).toEqual([
      'http.middlewares.m.passTLSClientCert.info.subject.surname: unknown field',
    ]);
    expect(problems('passTLSClientCert', { info: { issuer: { organizationalUnit: true } } })).toEqual([
      'http.middlewares.m.passTLSClientCert.info.issuer.organizationalUnit: unknown field',
    ]);
    expect(problems('passTLSClientCert', { pem: 'yes' })[0]).toMatch(/pem: /);
  });
});
