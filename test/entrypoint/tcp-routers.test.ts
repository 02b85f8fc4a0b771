/**
 * TCP routers with real peers (issue 10): TLS passthrough to `openssl
 * s_server` seen through `openssl s_client` (the backend's certificate
 * reaches the client), TLS termination then a TCP echo, a clear echo with
 * HostSNI(`*`), ipAllowList refusing, inFlightConn limiting, HTTP routers
 * sharing the TLS entrypoint (SNI picks a TCP router first), a PROXY header
 * to the backend, and the API's /api/tcp lists.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Server } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { TestPki } from '../support/pki.js';
import { curl } from '../support/curl.js';
import { sleep, within } from '../support/raw-tcp-client.js';
import { openTcp, opensslClient, roundTrip, startOpensslServer, startTcpEcho } from '../support/tcp-peers.js';

let portico: Harness;
let http: Backend;
let echo: Server;
let echoPort: number;
let stopBackend: (() => void) | undefined;
let sPort: number;
/** What each echo connection received first (a PROXY header, when the service sends one). */
const firstChunks: string[] = [];

beforeAll(async () => {
  const pki = new TestPki();
  const backendCert = pki.issue('pass-backend', ['pass.test']);
  http = await startBackend('http');
  const echoPeer = await startTcpEcho((d) => firstChunks.push(d.toString('latin1')));
  echo = echoPeer.server;
  echoPort = echoPeer.port;
  const backend = await startOpensslServer(backendCert);
  stopBackend = backend.stop;
  sPort = backend.port;
  portico = await startPortico(
    {
      entryPoints: {
        mixed: { address: '127.0.0.1:0' },
        clear: { address: '127.0.0.1:0' },
        guarded: { address: '127.0.0.1:0' },
        limited: { address: '127.0.0.1:0' },
        idle: { address: '127.0.0.1:0' },
        portico: { address: '127.0.0.1:0' },
      },
      api: { insecure: true },
    },
    {
      'http.yaml': `
http:
  routers:
    app:
      rule: Host(\`app.test\`)
      entryPoints: [mixed]
      service: app
      tls: {}
  services:
    app:
      loadBalancer: { servers: [{ url: "${http.url}" }] }
`,
      'tcp.yaml': `
tcp:
  routers:
    passthrough:
      rule: HostSNI(\`pass.test\`)
      entryPoints: [mixed]
      service: tls-backend
      tls: { passthrough: true }
    terminated:
      rule: HostSNI(\`term.test\`) || (HostSNIRegexp(\`^[a-z]+\\.term\\.test$\`) && ALPN(\`echo/1\`))
      entryPoints: [mixed]
      service: echo
      tls: {}
    everything:
      rule: HostSNI(\`*\`)
      entryPoints: [clear]
      service: echo-with-proxy
    refused:
      rule: HostSNI(\`*\`)
      entryPoints: [guarded]
      middlewares: [only-ten]
      service: echo
    quiet:
      rule: HostSNI(\`*\`)
      entryPoints: [idle]
      service: echo-short-idle
    one-at-a-time:
      rule: HostSNI(\`*\`)
      entryPoints: [limited]
      middlewares: [one]
      service: echo
  services:
    tls-backend:
      loadBalancer: { servers: [{ address: "127.0.0.1:${sPort}" }] }
    echo:
      loadBalancer: { servers: [{ address: "127.0.0.1:${echoPort}" }] }
    echo-with-proxy:
      loadBalancer: { servers: [{ address: "127.0.0.1:${echoPort}" }], proxyProtocol: { version: 1 } }
    echo-short-idle:
      loadBalancer: { servers: [{ address: "127.0.0.1:${echoPort}" }], serversTransport: short }
  serversTransports:
    short: { idleTimeout: 500ms, dialTimeout: 2s }
  middlewares:
    only-ten:
      ipAllowList: { sourceRange: ["10.0.0.0/8"] }
    one:
      inFlightConn: { amount: 1 }
`,
    },
  );
  const applied = await portico.server.nextApply(1);
  expect(applied.errors).toEqual([]);
});

afterAll(async () => {
  await portico?.stop();
  await http?.close();
  echo?.close();
  stopBackend?.();
});

describe('TCP routers', () => {
  test('TLS passthrough: openssl s_client sees the backend certificate, not Portico', async () => {
    const port = portico.port('mixed');
    const out = await opensslClient(port, 'pass.test');
    expect(out).toMatch(/subject=CN ?= ?pass\.test/);
    expect(out).not.toMatch(/PORTICO DEFAULT CERT/);
    // The same port still serves the HTTP TLS router by its SNI.
    const r = await curl(['--resolve', `app.test:${port}:127.0.0.1`, `https://app.test:${port}/x`]);
    expect(r.status).toBe(200);
  });

  test('TLS termination then a TCP echo (HostSNI, and HostSNIRegexp with ALPN)', async () => {
    const port = portico.port('mixed');
    for (const [servername, alpn] of [
      ['term.test', undefined],
      ['a.term.test', ['echo/1']],
    ] as const) {
      const s = connectTls({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ...(alpn ? { ALPNProtocols: [...alpn] } : {}) });
      await new Promise((r) => s.once('secureConnect', r));
      expect(s.getPeerCertificate().subject?.CN).toBe('PORTICO DEFAULT CERT');
      expect(await roundTrip(s, `hello ${servername}`)).toBe(`hello ${servername}`);
    }
    // Without the ALPN the regexp branch does not match: HTTP takes it, and answers 404 for an unknown host.
    const s = connectTls({ host: '127.0.0.1', port, servername: 'b.term.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    await new Promise((r) => s.once('secureConnect', r));
    expect(await roundTrip(s, 'GET / HTTP/1.1\r\nHost: b.term.test\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 404/);
  });

  test('HostSNI(`*`) on a clear entrypoint relays every connection, with a PROXY v1 header to the backend', async () => {
    const before = firstChunks.length;
    const s = await openTcp(portico.port('clear'));
    const localPort = s.localPort;
    const back = await roundTrip(s, 'ping over tcp');
    expect(back).toMatch(/^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+\r\nping over tcp$/);
    expect(firstChunks.slice(before).join('')).toContain(`PROXY TCP4 127.0.0.1 127.0.0.1 ${localPort} ${portico.port('clear')}\r\n`);
  });

  test('ipAllowList closes connections from outside its ranges', async () => {
    const s = await openTcp(portico.port('guarded'));
    expect(await roundTrip(s, 'let me in')).toBe('');
  });

  test('inFlightConn: a second connection from the same client is closed while the first is open', async () => {
    const first = await openTcp(portico.port('limited'));
    first.write('one');
    await sleep(300);
    const second = await openTcp(portico.port('limited'));
    expect(await roundTrip(second, 'two', 3000)).toBe('');
    expect(await roundTrip(first, '')).toBe('one');
    // Once the first is closed, a new one passes.
    await sleep(200);
    expect(await roundTrip(await openTcp(portico.port('limited')), 'three')).toBe('three');
  });

  test('a relay silent both ways for the idle timeout is closed; one in use is not', async () => {
    const s = await openTcp(portico.port('idle'));
    s.on('error', () => undefined);
    const closed = new Promise((r) => s.once('close', r));
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    // Busy for longer than the idle timeout: kept.
    for (let i = 0; i < 6; i++) {
      s.write(`${i}`);
      await sleep(150);
    }
    expect(s.destroyed).toBe(false);
    expect(Buffer.concat(got).toString()).toBe('012345');
    // Then silent: closed after about 500 ms (generous bound for a loaded machine).
    expect(await within(closed, 5000)).toBe(true);
  });

  test('the API lists TCP routers, services and middlewares', async () => {
    const get = async (path: string) => JSON.parse((await curl([`http://127.0.0.1:${portico.port('portico')}${path}`])).body) as Array<Record<string, unknown>>;
    const routers = await get('/api/tcp/routers');
    expect(routers.map((r) => r.name).sort()).toEqual([
      'everything@file',
      'one-at-a-time@file',
      'passthrough@file',
      'quiet@file',
      'refused@file',
      'terminated@file',
    ]);
    expect(routers.find((r) => r.name === 'passthrough@file')).toMatchObject({ status: 'enabled', entryPoints: ['mixed'], tls: { passthrough: true } });
    expect((await get('/api/tcp/services')).find((s) => s.name === 'echo@file')).toMatchObject({ status: 'enabled', type: 'loadbalancer' });
    expect((await get('/api/tcp/middlewares')).map((m) => m.type).sort()).toEqual(['inflightconn', 'ipallowlist']);
    const overview = JSON.parse((await curl([`http://127.0.0.1:${portico.port('portico')}/api/overview`])).body) as { tcp: unknown };
    expect(overview.tcp).toEqual({
      routers: { total: 6, warnings: 0, errors: 0 },
      services: { total: 4, warnings: 0, errors: 0 },
      middlewares: { total: 2, warnings: 0, errors: 0 },
    });
  });
});
