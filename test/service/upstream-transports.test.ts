/**
 * Backends beyond plain HTTP/1.1: https with a private CA and a client
 * certificate (ServersTransport rootCAs + certificates), h2c and h2 through
 * http2-wrapper, 503 with no servers, and a 1 GB upload streamed through
 * without being buffered.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import https from 'node:https';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { TestPki } from '../support/pki.js';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { curl } from '../support/curl.js';

let portico: Harness;
let port: number;
let plain: Backend;
const servers: Array<{ close(): void }> = [];

const listen = async (s: http.Server | https.Server | http2.Http2Server | http2.Http2SecureServer) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  servers.push(s as { close(): void });
  return (s.address() as AddressInfo).port;
};

beforeAll(async () => {
  const pki = new TestPki();
  const serverCert = pki.issue('backend', ['backend.internal']);
  const clientCert = pki.issue('portico-client', ['portico'], 'client');
  plain = await startBackend('plain');
  const mtls = https.createServer(
    {
      cert: serverCert.certPem,
      key: serverCert.keyPem,
      ca: [(await import('node:fs')).readFileSync(pki.caCert, 'utf8')],
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.end(JSON.stringify({ proto: 'https', clientCN: peer.subject?.CN }));
    },
  );
  const mtlsPort = await listen(mtls);
  const h2c = http2.createServer((req, res) => res.end(JSON.stringify({ proto: `h${req.httpVersion}`, path: req.url })));
  const h2cPort = await listen(h2c);
  const h2s = http2.createSecureServer({ cert: serverCert.certPem, key: serverCert.keyPem }, (req, res) =>
    res.end(JSON.stringify({ proto: `h${req.httpVersion}-tls` })),
  );
  const h2sPort = await listen(h2s);
  portico = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } } },
    {
      'routes.yaml': `
http:
  routers:
    mtls: { rule: PathPrefix(\`/mtls\`), service: mtls }
    h2c: { rule: PathPrefix(\`/h2c\`), service: h2c }
    h2s: { rule: PathPrefix(\`/h2s\`), service: h2s }
    upload: { rule: PathPrefix(\`/upload\`), service: plain }
  services:
    mtls:
      loadBalancer:
        serversTransport: private
        servers: [{ url: "https://127.0.0.1:${mtlsPort}" }]
    h2c:
      loadBalancer:
        servers: [{ url: "h2c://127.0.0.1:${h2cPort}" }]
    h2s:
      loadBalancer:
        serversTransport: h2
        servers: [{ url: "https://127.0.0.1:${h2sPort}" }]
    plain:
      loadBalancer:
        servers: [{ url: "${plain.url}" }]
  serversTransports:
    private:
      serverName: backend.internal
      rootCAs: [${pki.caCert}]
      certificates: [{ certFile: ${clientCert.certFile}, keyFile: ${clientCert.keyFile} }]
    h2:
      http2: true
      serverName: backend.internal
      rootCAs: [${pki.caCert}]
`,
    },
  );
  await portico.server.nextApply(1);
  port = portico.port('websecure');
});

afterAll(async () => {
  await portico?.stop();
  await plain?.close();
  for (const s of servers) s.close();
});

test('https backend verified with a private CA, Portico presenting a client certificate', async () => {
  const r = await curl([`https://127.0.0.1:${port}/mtls`]);
  expect(r.status).toBe(200);
  expect(JSON.parse(r.body)).toEqual({ proto: 'https', clientCN: 'portico' });
});

test('h2c and h2 backends', async () => {
  expect(JSON.parse((await curl([`https://127.0.0.1:${port}/h2c/x`])).body)).toEqual({ proto: 'h2.0', path: '/h2c/x' });
  expect(JSON.parse((await curl([`https://127.0.0.1:${port}/h2s`])).body)).toEqual({ proto: 'h2.0-tls' });
});

test('a service whose servers are all gone answers 503 after a reload', async () => {
  await portico.writeDynamic(
    'empty.yaml',
    `http:\n  routers:\n    none: { rule: PathPrefix(\`/none\`), service: none }\n  services:\n    none:\n      weighted:\n        services: [{ name: zero, weight: 1 }]\n    zero:\n      loadBalancer:\n        servers: [{ url: "http://127.0.0.1:1", weight: 0 }]\n`,
  );
  const r = await curl([`https://127.0.0.1:${port}/none`]);
  expect(r.status).toBe(503);
});

test('a 1 GB upload streams through without being buffered', async () => {
  const total = 1024 * 1024 * 1024;
  const chunk = Buffer.alloc(1024 * 1024, 7);
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const body = await new Promise<string>((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/upload', method: 'POST', rejectUnauthorized: false, headers: { 'content-length': String(total) } },
      (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      },
    );
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  clearInterval(sampler);
  expect(JSON.parse(body).bodyBytes).toBe(total);
  // Client, proxy and backend share this process: all three together stay far below the body size.
  expect(peak - rssBefore).toBeLessThan(200 * 1024 * 1024);
}, 90_000);
