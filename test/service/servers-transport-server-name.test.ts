/**
 * ServersTransport serverName is the name Portico asks for (SNI) and checks
 * the backend's certificate against, whatever Host the request carries: the
 * client's Host, passed to the backend by default (passHostHeader), must not
 * replace it (undici derives the TLS server name from a Host header unless
 * told otherwise). A BackendTLSPolicy's hostname relies on this.
 */
import { readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TestPki } from '../support/pki.js';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { curl } from '../support/curl.js';

let portico: Harness;
let backend: https.Server;
let pki: TestPki;
const seenNames: Array<string | false | null> = [];

beforeAll(async () => {
  pki = new TestPki();
  const cert = pki.issue('internal', ['backend.internal']);
  backend = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    seenNames.push((req.socket as import('node:tls').TLSSocket).servername);
    res.end(JSON.stringify({ host: req.headers.host, url: req.url }));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const port = (backend.address() as AddressInfo).port;
  portico = await startPortico(
    { entryPoints: { web: { address: '127.0.0.1:0' } } },
    {
      'routes.yaml': `
http:
  routers:
    r: { rule: PathPrefix(\`/\`), service: s }
  services:
    s:
      loadBalancer:
        serversTransport: t
        servers: [{ url: "https://127.0.0.1:${port}" }]
  serversTransports:
    t:
      serverName: backend.internal
      rootCAs: [${JSON.stringify(readFileSync(pki.caCert, 'utf8'))}]
`,
    },
  );
  await portico.server.nextApply(1);
});

afterAll(async () => {
  await portico?.stop();
  backend?.close();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

test('the backend is asked for serverName and verified against it while the client’s Host is passed on', async () => {
  const r = await curl(['-H', 'Host: shop.example', `http://127.0.0.1:${portico.port('web')}/x`]);
  expect(r.status, r.body).toBe(200);
  expect(JSON.parse(r.body)).toEqual({ host: 'shop.example', url: '/x' });
  expect(seenNames.at(-1)).toBe('backend.internal');
});
