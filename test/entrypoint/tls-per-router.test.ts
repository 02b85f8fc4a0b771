/**
 * TLS decided per router (Traefik's most common pattern, issue 10): an
 * entrypoint without http.tls serves routers with `tls` over TLS and the
 * others in clear, on one port, told apart by the connection's first byte.
 * A TLS router is not reachable in clear and a plain one not over TLS (404,
 * as in Traefik). Real curl, h1 and h2; the API and `portico check` agree.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { curl } from '../support/curl.js';

let portico: Harness;
let backend: Backend;
let port: number;

const entryPoints = {
  web: { address: '127.0.0.1:0' },
  tlsdefault: { address: '127.0.0.1:0', http: { tls: {} } },
  portico: { address: '127.0.0.1:0' },
};
const routes = (url: string) => `
http:
  routers:
    secure-app:
      rule: Host(\`app.test\`)
      entryPoints: [web, tlsdefault]
      service: app
      tls: {}
    plain-app:
      rule: Host(\`plain.test\`)
      entryPoints: [web, tlsdefault]
      service: app
  services:
    app:
      loadBalancer: { servers: [{ url: "${url}" }] }
`;

beforeAll(async () => {
  backend = await startBackend('b1');
  portico = await startPortico({ entryPoints, api: { insecure: true } }, { 'routes.yaml': routes(backend.url) });
  await portico.server.nextApply(1);
  port = portico.port('web');
});

afterAll(async () => {
  await portico?.stop();
  await backend?.close();
});

const at = (host: string, p = port) => ['--resolve', `${host}:${p}:127.0.0.1`];

describe('TLS per router on one port', () => {
  test('a router with tls answers over TLS (h1 and h2), and 404 in clear', async () => {
    for (const flag of ['--http1.1', '--http2']) {
      const r = await curl([flag, ...at('app.test'), `https://app.test:${port}/x`]);
      expect(r.status, r.stderr).toBe(200);
      expect(r.httpVersion).toBe(flag === '--http2' ? '2' : '1.1');
      expect(JSON.parse(r.body).headers['x-forwarded-proto']).toBe('https');
    }
    const clear = await curl([...at('app.test'), `http://app.test:${port}/x`]);
    expect(clear.status).toBe(404);
  });

  test('a router without tls answers in clear, and 404 over TLS', async () => {
    const r = await curl([...at('plain.test'), `http://plain.test:${port}/y`]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).headers['x-forwarded-proto']).toBe('http');
    for (const flag of ['--http1.1', '--http2']) expect((await curl([flag, ...at('plain.test'), `https://plain.test:${port}/y`])).status).toBe(404);
  });

  test('http.tls on the entrypoint makes its routers TLS by default; clear requests find no router', async () => {
    const p = portico.port('tlsdefault');
    expect((await curl([...at('plain.test', p), `https://plain.test:${p}/`])).status).toBe(200);
    expect((await curl([...at('app.test', p), `https://app.test:${p}/`])).status).toBe(200);
    expect((await curl([...at('plain.test', p), `http://plain.test:${p}/`])).status).toBe(404);
  });

  test('the API shows each router with its entrypoints and tls as served', async () => {
    const r = await curl([`http://127.0.0.1:${portico.port('portico')}/api/http/routers`]);
    const routers = JSON.parse(r.body) as Array<{ name: string; entryPoints: string[]; tls?: { options: string }; status: string }>;
    const byName = Object.fromEntries(routers.map((x) => [x.name, x]));
    expect(byName['secure-app@file']).toMatchObject({ status: 'enabled', entryPoints: ['web', 'tlsdefault'], tls: { options: 'default' } });
    // Served over TLS on tlsdefault (its http.tls), in clear on web.
    expect(byName['plain-app@file']).toMatchObject({ status: 'enabled', entryPoints: ['web', 'tlsdefault'], tls: { options: 'default' } });
  });

  test('portico check accepts what the proxy serves, and refuses what it refuses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-tlsr-'));
    mkdirSync(join(dir, 'dynamic'));
    writeFileSync(
      join(dir, 'portico.yaml'),
      JSON.stringify({ entryPoints: { web: { address: '127.0.0.1:0', http3: {} } }, providers: { file: { directory: 'dynamic' } } }),
    );
    writeFileSync(join(dir, 'dynamic', 'routes.yaml'), routes(backend.url).replace(/entryPoints: \[web, tlsdefault\]/g, 'entryPoints: [web]'));
    const check = () =>
      new Promise<{ code: number; out: string }>((done) =>
        execFile(process.execPath, [resolve('dist/src/cli.js'), 'check', '--config', join(dir, 'portico.yaml')], { timeout: 20_000 }, (err, so, se) =>
          done({ code: err ? 1 : 0, out: so + se }),
        ),
      );
    const ok = await check();
    expect(ok.out).toMatch(/configuration OK/);
    writeFileSync(join(dir, 'dynamic', 'routes.yaml'), routes(backend.url).replace('tls: {}', 'tls: { options: missing }'));
    const bad = await check();
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/secure-app@file\.tls\.options: no TLS option set named "missing/);
  });
});
