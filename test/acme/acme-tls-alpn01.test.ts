/**
 * TLS-ALPN-01 against a real CA (Pebble): the CA's validation handshake
 * (ALPN `acme-tls/1` alone, SNI the name) reaches Portico's TLS entrypoint and
 * gets the challenge certificate; the certificate asked for by an IngressRoute's
 * `tls.certResolver` + `tls.domains` (main + sans) is issued and served for
 * both names. A client offering acme-tls/1 for a name with no pending
 * challenge gets no challenge certificate.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { freePort } from '../support/free-port.js';
import { preparePebble, type PebbleCa } from './pebble-ca.js';
import { peerCertificate, startAcmePortico, until, verifiedGet, type AcmePortico } from './acme-portico.js';

let ca: PebbleCa;
let dir: string;
let portico: AcmePortico | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portico-acme-alpn-'));
}, 30_000);

afterAll(async () => {
  await portico?.stop();
  await ca?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ingressRoute = `
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: shop, namespace: default }
spec:
  entryPoints: [websecure]
  routes:
    - match: Host(\`shop.acme.test\`) || Host(\`www.shop.acme.test\`)
      kind: Rule
      services: [{ name: whoami@internal, kind: TraefikService }]
  tls:
    certResolver: alpn
    domains: [{ main: shop.acme.test, sans: [www.shop.acme.test] }]
`;

test('TLS-ALPN-01: an IngressRoute asks for main + sans; both names are served the issued certificate', async () => {
  const [webPort, websecurePort] = [await freePort(), await freePort()];
  ca = await preparePebble({ httpPort: webPort, tlsPort: websecurePort });
  await ca.start();
  portico = await startAcmePortico({
    dir,
    webPort,
    websecurePort,
    resolvers: { alpn: { storage: 'acme.json', caServer: ca.directoryUrl, caCertificates: [ca.httpsCaFile], keyType: 'EC384', tlsChallenge: {} } },
    dynamicYaml: ingressRoute,
  });
  const root = await ca.issuingRoot();
  const issued = await until('certificate issued by Pebble', 60_000, async () => {
    const seen = await peerCertificate(websecurePort, 'shop.acme.test', root);
    return seen.authorized ? seen : undefined;
  });
  expect(issued.cert.subjectAltName).toContain('DNS:www.shop.acme.test');
  expect(issued.cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
  const www = await peerCertificate(websecurePort, 'www.shop.acme.test', root);
  expect(www.authorized).toBe(true);
  expect((await verifiedGet(websecurePort, 'www.shop.acme.test', '/', root)).status).toBe(200);
  expect(portico.messages()).toContain('ACME order placed');
  expect(portico.messages().filter((m) => m.startsWith('ACME order failed'))).toEqual([]);

  // acme-tls/1 with nothing pending is no challenge: the ordinary listener, which speaks no acme-tls/1, refuses it (RFC 7301's alert).
  const probe = await new Promise<string>((resolve) => {
    const s = connect(
      { host: '127.0.0.1', port: websecurePort, servername: 'shop.acme.test', ALPNProtocols: ['acme-tls/1'], rejectUnauthorized: false },
      () => {
        resolve(`negotiated ${String(s.alpnProtocol)}`);
        s.end();
      },
    );
    s.on('error', (err) => resolve(err.message));
  });
  expect(probe).toMatch(/no application protocol/);
}, 120_000);
