/**
 * Traefik's documented examples (test/compat/traefik-docs/, see its README):
 * the whole corpus passes `portico check`, then one real `portico` process
 * serves it and each example gets a request that shows its feature at work —
 * rules and priorities, each middleware, weighted, mirroring, failover,
 * sticky and health-checked services, TLS options, certificates and the
 * default store, entrypoint redirection, the CRD forms through the file
 * provider, UDP, and contentType, grpcWeb and passTLSClientCert (with a
 * client certificate). A second process runs the TOML static configuration.
 * What Portico refuses on purpose (refused/) fails `portico check` naming the key.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import http2 from 'node:http2';
import { once } from 'node:events';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBackend, type Backend } from '../support/backend.js';
import { curl } from '../support/curl.js';
import { freePort } from '../support/free-port.js';
import { TestPki, type IssuedCert } from '../support/pki.js';
import { deadUdpPort, UdpPeerSet } from '../entrypoint/udp-peers.js';
import { openTcp, roundTrip, startTcpEcho } from '../support/tcp-peers.js';

const cli = resolve('dist/src/cli.js');
const corpus = resolve('test/compat/traefik-docs');

function portico(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((done) =>
    execFile(process.execPath, [cli, ...args], { timeout: 100_000 }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

/** Copy the corpus with every `{{NAME}}` filled in. */
function materialise(values: Record<string, string | number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'portico-compat-'));
  cpSync(corpus, dir, { recursive: true });
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else
        writeFileSync(
          p,
          readFileSync(p, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k: string) => String(values[k] ?? `{{${k}}}`)),
        );
    }
  };
  walk(dir);
  return dir;
}

async function serve(config: string, ready: () => Promise<boolean>): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, [cli, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const end = Date.now() + 60_000;
  while (Date.now() < end && child.exitCode === null) {
    if (await ready().catch(() => false)) return { child, log: () => log };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`portico did not serve ${config}:\n${log}`);
}

function peerCertificate(
  port: number,
  servername: string,
  extra: { minVersion?: 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {},
): Promise<PeerCertificate> {
  return new Promise((ok, fail) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ...extra }, () => {
      ok(s.getPeerCertificate());
      s.end();
    });
    s.once('error', fail);
  });
}

/** A gRPC server over h2c that answers each call with `echo: <request>` and grpc-status 0 in trailers. */
async function startGrpcEcho(): Promise<http2.Http2Server> {
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const request = body.length >= 5 ? body.subarray(5, 5 + body.readUInt32BE(1)).toString() : '';
      const reply = Buffer.from(`echo: ${request}`);
      const head = Buffer.alloc(5);
      head.writeUInt32BE(reply.length, 1);
      stream.respond({ ':status': 200, 'content-type': headers['content-type'] ?? 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
      stream.end(Buffer.concat([head, reply]));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

// Each `portico` run loads the whole server; on a loaded 2-core machine a check takes seconds.
describe('Traefik documentation corpus', { timeout: 150_000 }, () => {
  const peers = new UdpPeerSet();
  const backends: Backend[] = [];
  const v: Record<string, string | number> = {};
  let dir: string;
  let main: { child: ChildProcess; log: () => string };
  let pki: TestPki;
  let client: IssuedCert;
  let grpc: http2.Http2Server;
  let tcpEcho: { server: Server; port: number };
  /** GET (or more) on the plain entrypoint for a Host. */
  const on = (host: string, path = '/', args: string[] = []) => curl(['-H', `Host: ${host}`, ...args, `http://127.0.0.1:${v.PLAIN}${path}`]);
  const backendOf = (body: string) => (JSON.parse(body) as { name: string }).name;
  const urlSeen = (body: string) => (JSON.parse(body) as { url: string }).url;

  beforeAll(async () => {
    const [a, b, mirror] = [await startBackend('a'), await startBackend('b'), await startBackend('mirror')];
    backends.push(a, b, mirror);
    const echo = await peers.echo('udp-echo');
    pki = new TestPki('Corpus CA');
    const sni = pki.issue('sni', ['sni.example']);
    const def = pki.issue('default', ['default.example']);
    const crd = pki.issue('crd', ['crd.example']);
    client = pki.issue('passtls-client', ['passtls-client'], 'client');
    grpc = await startGrpcEcho();
    tcpEcho = await startTcpEcho();
    const b64 = (file: string) => Buffer.from(readFileSync(file)).toString('base64');
    Object.assign(v, {
      WEB: await freePort(),
      WEBSECURE: await freePort(),
      PLAIN: await freePort(),
      TRAEFIK: await freePort(),
      STREAMING: await deadUdpPort(),
      STREAMING_CRD: await deadUdpPort(),
      TOML_WEB: await freePort(),
      TOML_STREAMING: await deadUdpPort(),
      BACKEND_A: a.url,
      BACKEND_B: b.url,
      BACKEND_A_PORT: a.port,
      BACKEND_B_PORT: b.port,
      MIRROR: mirror.url,
      DEAD: `http://127.0.0.1:${await freePort()}`,
      DEAD_2: `http://127.0.0.1:${await freePort()}`,
      UDP_ECHO: echo.port,
      CERT_SNI: sni.certFile,
      KEY_SNI: sni.keyFile,
      CRD_CERT_B64: b64(crd.certFile),
      CRD_KEY_B64: b64(crd.keyFile),
      DEFAULT_CERT_B64: b64(def.certFile),
      DEFAULT_KEY_B64: b64(def.keyFile),
      GRPC_PORT: (grpc.address() as AddressInfo).port,
      CLIENT_CA: pki.caCert,
      FOOTCP: await freePort(),
      TCP_ECHO: tcpEcho.port,
    });
    dir = materialise(v);
    main = await serve(
      join(dir, 'static.yml'),
      async () => (await fetch(`http://127.0.0.1:${v.TRAEFIK}/api/overview`)).ok && (await on('example.com', '/api')).status === 200,
    );
  }, 150_000);

  afterAll(async () => {
    main?.child.kill('SIGTERM');
    await peers.closeAll();
    await Promise.all(backends.map((b) => b.close()));
    grpc?.close();
    tcpEcho?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('portico check accepts the whole corpus', async () => {
    const r = await portico(['check', '--config', join(dir, 'static.yml')]);
    expect(r.out).toMatch(/configuration OK/);
    expect(r.code).toBe(0);
    const api = (await (await fetch(`http://127.0.0.1:${v.TRAEFIK}/api/overview`)).json()) as { http: { routers: { errors: number } } };
    expect(api.http.routers.errors, main.log()).toBe(0);
  });

  test('routers: Host && PathPrefix, HostRegexp/PathRegexp, Method ||, Header && Query, !ClientIP, priority, entrypoint-scoped TLS', async () => {
    expect(backendOf((await on('example.com', '/api/users')).body)).toBe('a');
    expect((await on('example.com', '/other')).status).toBe(404);
    expect(backendOf((await on('abc.regexp.example', '/v2/x')).body)).toBe('b');
    expect((await on('abc.regexp.example', '/x')).status).toBe(404);
    expect(backendOf((await on('method.example', '/', ['-X', 'PUT'])).body)).toBe('b');
    expect((await on('method.example')).status).toBe(404);
    expect(backendOf((await on('method.example', '/?debug=1', ['-H', 'X-Canary: yes'])).body)).toBe('b');
    expect((await on('clientip.example')).status).toBe(200);
    expect(backendOf((await on('foobar.priority.example')).body)).toBe('b');
    expect(backendOf((await on('other.priority.example')).body)).toBe('a');
    const secure = await curl(['--resolve', `secure.example:${v.WEBSECURE}:127.0.0.1`, `https://secure.example:${v.WEBSECURE}/`]);
    expect(backendOf(secure.body)).toBe('a');
    expect((await on('secure.example')).status).toBe(404);
  });

  test('middlewares: path rewriting (addPrefix, stripPrefix, stripPrefixRegex, replacePath, replacePathRegex, chain)', async () => {
    expect(urlSeen((await on('addprefix.example', '/x')).body)).toBe('/foo/x');
    expect(urlSeen((await on('stripprefix.example', '/foobar/x')).body)).toBe('/x');
    expect(urlSeen((await on('stripprefixregex.example', '/foo/abc/123/x')).body)).toBe('/x');
    expect(urlSeen((await on('replacepath.example', '/anything')).body)).toBe('/foo');
    expect(urlSeen((await on('replacepathregex.example', '/foo/x/y')).body)).toBe('/bar/x/y');
    expect(urlSeen((await on('chain.example', '/fiibar/x')).body)).toBe('/foo/x');
    expect(urlSeen((await on('toml-strip.example', '/fiibar/y')).body)).toBe('/y');
  });

  test('middlewares: redirectScheme, redirectRegex, headers and CORS, compress', async () => {
    const scheme = await on('redirectscheme.example', '/p');
    expect(scheme.status).toBe(301);
    expect(scheme.headers.location).toEqual(['https://redirectscheme.example/p']);
    const regex = await on('localhost', '/page');
    expect([302, 307]).toContain(regex.status);
    expect(regex.headers.location).toEqual(['http://mydomain/page']);
    const h = await on('headers.example');
    expect(h.headers['x-custom-response-header']).toEqual(['value']);
    expect((JSON.parse(h.body) as { headers: Record<string, string> }).headers['x-script-name']).toBe('test');
    const t = await on('toml-headers.example');
    expect(t.headers['x-custom-response-header']).toEqual(['toml-value']);
    const cors = await on('cors.example', '/', ['-X', 'OPTIONS', '-H', 'Origin: https://example.org', '-H', 'Access-Control-Request-Method: PUT']);
    expect(cors.headers['access-control-allow-origin']).toEqual(['https://example.org']);
    expect(cors.headers['access-control-max-age']).toEqual(['100']);
    const big = await on('compress.example', '/', ['-H', 'Accept-Encoding: gzip', '-H', `X-Padding: ${'p'.repeat(2000)}`, '-o', '/dev/null']);
    expect(big.headers['content-encoding']).toEqual(['gzip']);
  });

  test('middlewares: basicAuth, digestAuth, forwardAuth, ipAllowList, rateLimit, buffering', async () => {
    expect((await on('basicauth.example')).status).toBe(401);
    expect((await on('basicauth.example', '/', ['-u', 'test:test'])).status).toBe(200);
    expect((await on('basicauth.example', '/', ['-u', 'test2:test2'])).status).toBe(200);
    expect((await on('basicauth.example', '/', ['-u', 'test:wrong'])).status).toBe(401);
    expect((await on('digestauth.example')).status).toBe(401);
    expect((await on('digestauth.example', '/', ['--digest', '-u', 'test:test'])).status).toBe(200);
    expect((await on('forwardauth.example')).status).toBe(200);
    expect((await on('forwardauth-deny.example')).status).toBe(403);
    expect((await on('ipallowlist.example')).status).toBe(200);
    expect((await on('denied.example')).status).toBe(403);
    const limited = [];
    for (let i = 0; i < 4; i++) limited.push((await on('ratelimit.example')).status);
    expect(limited.slice(0, 2)).toEqual([200, 200]);
    expect(limited).toContain(429);
    expect((await on('buffering.example', '/', ['--data-binary', 'x'.repeat(10)])).status).toBe(200);
    expect((await on('buffering.example', '/', ['--data-binary', 'x'.repeat(1000)])).status).toBe(413);
  });

  test('middlewares: inFlightReq refuses a second request while one is in flight; retry hides a dead server; circuitBreaker opens on network errors', async () => {
    const slow = on('inflightreq.example', '/slow?ms=2000');
    await new Promise((r) => setTimeout(r, 500));
    expect((await on('inflightreq.example')).status).toBe(429);
    expect((await slow).status).toBe(200);
    expect((await on('inflightreq.example')).status).toBe(200);
    // retry: the dead server of the pair is never seen by the client.
    for (let i = 0; i < 4; i++) expect(backendOf((await on('retry.example')).body)).toBe('a');
    // A dead server answers 502 until the breaker sees the error ratio and opens: 503 from then on.
    const seen: number[] = [];
    const end = Date.now() + 10_000;
    while (Date.now() < end && seen.at(-1) !== 503) {
      seen.push((await on('circuitbreaker.example')).status);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen[0]).toBe(502);
    expect(seen.at(-1)).toBe(503);
  });

  test('services: weighted 3:1, mirroring, failover to the fallback, sticky cookie, health check skipping a dead server', async () => {
    const picks: string[] = [];
    for (let i = 0; i < 8; i++) picks.push(backendOf((await on('weighted.example')).body));
    expect(picks.filter((p) => p === 'a')).toHaveLength(6);
    const mirror = backends[2]!;
    const before = mirror.requests;
    expect(backendOf((await on('mirroring.example')).body)).toBe('a');
    const end = Date.now() + 5_000;
    while (mirror.requests === before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(mirror.requests).toBe(before + 1);
    expect(backendOf((await on('failover.example')).body)).toBe('b');
    for (let i = 0; i < 4; i++) expect(backendOf((await on('healthcheck.example')).body)).toBe('a');
    const first = await on('sticky.example');
    const cookie = first.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(/^lvl1=[0-9a-f]+; .*HttpOnly/i);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const pinned = backendOf(first.body);
    for (let i = 0; i < 4; i++) expect(backendOf((await on('sticky.example', '/', ['-H', `Cookie: ${cookie.split(';')[0]}`])).body)).toBe(pinned);
  });

  test('middlewares: contentType sniffs an untyped body; grpcWeb turns gRPC-Web into gRPC and answers CORS; passTLSClientCert pem and info', async () => {
    const untyped = await on('contenttype.example', '/untyped');
    expect(untyped.headers['content-type']).toEqual(['text/html; charset=utf-8']);
    // A typed body keeps its type.
    expect((await on('contenttype.example', '/')).headers['content-type']).toEqual(['application/json']);

    const grpcFrame = Buffer.concat([Buffer.from([0, 0, 0, 0, 5]), Buffer.from('hello')]);
    const framePath = join(dir, 'grpc-web-request');
    writeFileSync(framePath, grpcFrame);
    const web = await on('grpcweb.example', '/echo.Echo/Say', [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/grpc-web+proto',
      '--data-binary',
      `@${framePath}`,
    ]);
    expect(web.status).toBe(200);
    expect(web.headers['content-type']).toEqual(['application/grpc-web+proto']);
    expect(web.body).toContain('echo: hello');
    // The trailers travel in the body, as a frame flagged 0x80.
    expect(web.body).toMatch(/grpc-status:\s*0/);
    const preflight = await on('grpcweb.example', '/echo.Echo/Say', [
      '-X',
      'OPTIONS',
      '-H',
      'Origin: https://any.example',
      '-H',
      'Access-Control-Request-Method: POST',
      '-H',
      'Access-Control-Request-Headers: content-type,x-grpc-web',
    ]);
    expect(preflight.status).toBeLessThan(300);
    expect(['*', 'https://any.example']).toContain(preflight.headers['access-control-allow-origin']?.[0]);

    const mtls = (host: string, args: string[] = []) => curl(['--resolve', `${host}:${v.WEBSECURE}:127.0.0.1`, ...args, `https://${host}:${v.WEBSECURE}/`]);
    const withCert = ['--cert', client.certFile, '--key', client.keyFile];
    expect((await mtls('passtls.example')).status).toBe(0);
    const pem = JSON.parse((await mtls('passtls.example', withCert)).body) as { headers: Record<string, string> };
    const der = client.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    // Traefik v3 sends the PEM without its delimiters and newlines, unescaped (only the info header is query-escaped).
    expect(pem.headers['x-forwarded-tls-client-cert']).toBe(der);
    const info = JSON.parse((await mtls('passtls-info.example', withCert)).body) as { headers: Record<string, string> };
    // Go's url.QueryEscape: spaces are `+`.
    const decoded = decodeURIComponent((info.headers['x-forwarded-tls-client-cert-info'] ?? '').replace(/\+/g, ' '));
    expect(decoded).toMatch(/Subject="[^"]*CN=passtls-client/);
    expect(decoded).toMatch(/Issuer="[^"]*CN=Corpus CA/);
    expect(decoded).toMatch(/NB="\d+"/);
    expect(decoded).toMatch(/NA="\d+"/);
  });

  test('TLS: certificate by SNI, the TLSStore default certificate, TLS options (default 1.2, mintls13), entrypoint redirection to websecure', async () => {
    const port = Number(v.WEBSECURE);
    expect((await peerCertificate(port, 'sni.example')).subject.CN).toBe('sni.example');
    expect((await peerCertificate(port, 'unknown.example')).subject.CN).toBe('default.example');
    await expect(peerCertificate(port, 'tls13.example', { maxVersion: 'TLSv1.2' })).rejects.toThrow();
    expect((await peerCertificate(port, 'tls13.example', { minVersion: 'TLSv1.3' })).subject.CN).toBe('default.example');
    expect((await peerCertificate(port, 'secure.example', { maxVersion: 'TLSv1.2' })).subject.CN).toBe('default.example');
    const redirect = await curl([`http://127.0.0.1:${v.WEB}/somewhere`]);
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toEqual([`https://127.0.0.1:${v.WEBSECURE}/somewhere`]);
  });

  test('CRD forms through the file provider: IngressRoute with Middleware, TraefikService, TLSOption, secret, ServersTransport; IngressRouteUDP; IngressRouteTCP with MiddlewareTCP and ServersTransportTCP', async () => {
    const get = (path: string, args: string[] = []) =>
      curl(['--resolve', `crd.example:${v.WEBSECURE}:127.0.0.1`, ...args, `https://crd.example:${v.WEBSECURE}${path}`]);
    const stripped = await get('/bar/x');
    expect(backendOf(stripped.body)).toBe('a');
    expect(urlSeen(stripped.body)).toBe('/x');
    const wrr = new Set<string>();
    for (let i = 0; i < 4; i++) wrr.add(backendOf((await get('/wrr')).body));
    expect([...wrr].sort()).toEqual(['a', 'b']);
    expect((await peerCertificate(Number(v.WEBSECURE), 'crd.example', { minVersion: 'TLSv1.3' })).subject.CN).toBe('crd.example');
    await expect(peerCertificate(Number(v.WEBSECURE), 'crd.example', { maxVersion: 'TLSv1.2' })).rejects.toThrow();
    const started = Date.now();
    const slow = await get('/slow?ms=4000');
    expect(slow.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(3_500);
    const c = await peers.client();
    expect(await c.ask(Number(v.STREAMING_CRD), 'crd')).toMatch(/^udp-echo:\d+:crd$/);
    expect(await c.ask(Number(v.STREAMING), 'native')).toMatch(/^udp-echo:\d+:native$/);
    const udp = (await (await fetch(`http://127.0.0.1:${v.TRAEFIK}/api/udp/routers`)).json()) as Array<{ name: string; status: string }>;
    expect(udp.map((r) => `${r.name} ${r.status}`).sort()).toEqual(['default-ingressrouteudpfoo-0@file enabled', 'my-udp-router@file enabled']);
    // IngressRouteTCP with its MiddlewareTCP (127.0.0.1 allowed) and ServersTransportTCP (tls settings, servers not marked tls: clear).
    expect(await roundTrip(await openTcp(Number(v.FOOTCP)), 'over tcp')).toBe('over tcp');
    const tcp = (await (await fetch(`http://127.0.0.1:${v.TRAEFIK}/api/tcp/routers`)).json()) as Array<{ name: string; status: string }>;
    expect(tcp.map((r) => `${r.name.replace(/[0-9a-f]{20}@/, '<hash>@')} ${r.status}`)).toEqual(['default-ingressroutetcpfoo-<hash>@file enabled']);
  });

  test('the TOML static configuration: checked, and served (HTTP and UDP)', async () => {
    const config = join(dir, 'static.toml');
    expect((await portico(['check', '--config', config])).out).toMatch(/configuration OK/);
    const toml = await serve(config, async () => (await curl([`http://127.0.0.1:${v.TOML_WEB}/foo`])).status === 200);
    try {
      expect(backendOf((await curl([`http://127.0.0.1:${v.TOML_WEB}/foo`])).body)).toBe('a');
      expect(await (await peers.client()).ask(Number(v.TOML_STREAMING), 'toml')).toMatch(/^udp-echo:\d+:toml$/);
    } finally {
      toml.child.kill('SIGTERM');
    }
  });

  test('refused: what Portico does not do, named by portico check (all the dynamic examples in one run)', async () => {
    const cfg = join(dir, 'refused.yml');
    writeFileSync(cfg, `entryPoints:\n  web:\n    address: "127.0.0.1:0"\nproviders:\n  file:\n    directory: ./refused\n`);
    const r = await portico(['check', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/http\.routers\.v2-router\.ruleSyntax: not supported: only the v3 rule syntax/);
    expect(r.out).toMatch(/spec\.routes\[0\]\.services\[0\]\.nodePortLB: "nodePortLB" is not supported/);
    expect(r.out).toMatch(/spec\.routes\[0\]\.services\[0\]\.responseForwarding: "responseForwarding" is not supported/);
  });

  test('refused: a static key Portico does not do is named by portico check', async () => {
    const r = await portico(['check', '--config', join(dir, 'refused-static', 'requestAcceptGraceTimeout.yml')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/entryPoints\.web\.transport\.lifeCycle\.requestAcceptGraceTimeout: not supported/);
  });
});
