/**
 * Traefik's file loader (paerser) takes a single value where a list of
 * strings, numbers or booleans is expected, splitting a string on commas;
 * Portico reads the same files the same way (src/config/scalar-lists.ts).
 * Served by a real Portico: `accessControlAllowHeaders: "*"`, `sourceRange:
 * 10.0.0.0/8`, `prefixes: "/a, /b"`, an errors `status: 404`, a router's
 * `entryPoints: web` and `middlewares: strip`, in YAML and TOML, and a static
 * `trustedIPs: 127.0.0.1/32`. A single value where a list of objects is
 * expected stays an error saying a list is expected.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { curl } from '../support/curl.js';
import { validateStaticConfig } from '../../src/config/load-static-config.js';
import { acceptScalarLists } from '../../src/config/scalar-lists.js';

let portico: Harness;
let app: Backend;
const on = (host: string, path = '/', args: string[] = []) => curl(['-H', `Host: ${host}`, ...args, `http://127.0.0.1:${portico.port('web')}${path}`]);

beforeAll(async () => {
  app = await startBackend('app');
  portico = await startPortico(
    {
      entryPoints: {
        web: { address: '127.0.0.1:0', forwardedHeaders: { trustedIPs: '127.0.0.1/32' } },
        other: { address: '127.0.0.1:0' },
      },
    },
    {
      'single-values.yaml': `
http:
  routers:
    cors:
      rule: Host(\`cors.example\`)
      entryPoints: web
      middlewares: cors-all
      service: app
    denied:
      rule: Host(\`denied.example\`)
      entryPoints: web
      middlewares: ten-only
      service: app
    strip:
      rule: Host(\`strip.example\`)
      entryPoints: web
      middlewares: strip-two
      service: app
    pages:
      rule: Host(\`pages.example\`)
      entryPoints: web
      middlewares: not-found-page
      service: app
  middlewares:
    cors-all:
      headers:
        accessControlAllowHeaders: "*"
        accessControlAllowMethods: GET, PUT
        accessControlAllowOriginList: https://app.example
    ten-only:
      ipAllowList:
        sourceRange: 10.0.0.0/8
    strip-two:
      stripPrefix:
        prefixes: "/a, /b"
    not-found-page:
      errors:
        status: 404
        service: app
        query: /page-for-{status}
  services:
    app:
      loadBalancer:
        servers:
          - url: "${app.url}"
`,
      'single-values.toml': `
[http.routers.toml-strip]
rule = "Host(\`toml.example\`)"
entryPoints = "web"
middlewares = "toml-strip"
service = "app"

[http.middlewares.toml-strip.stripPrefix]
prefixes = "/toml"
`,
    },
  );
  expect(portico.server.current()!.errors).toEqual([]);
});

afterAll(async () => {
  await portico?.stop();
  await app?.close();
});

describe("Traefik's single values for lists", () => {
  test('accessControlAllowHeaders "*" and a comma-separated accessControlAllowMethods answer a preflight', async () => {
    const pre = await on('cors.example', '/', [
      '-X',
      'OPTIONS',
      '-H',
      'Origin: https://app.example',
      '-H',
      'Access-Control-Request-Method: PUT',
      '-H',
      'Access-Control-Request-Headers: x-anything',
    ]);
    expect(pre.headers['access-control-allow-origin']).toEqual(['https://app.example']);
    expect(pre.headers['access-control-allow-headers']).toEqual(['*']);
    expect(pre.headers['access-control-allow-methods']).toEqual(['GET,PUT']);
  });

  test('sourceRange as one CIDR refuses a client outside it', async () => {
    expect((await on('denied.example')).status).toBe(403);
  });

  test('prefixes "/a, /b" strip both prefixes; TOML strings do the same', async () => {
    expect(JSON.parse((await on('strip.example', '/a/x')).body).url).toBe('/x');
    expect(JSON.parse((await on('strip.example', '/b/y')).body).url).toBe('/y');
    expect(JSON.parse((await on('toml.example', '/toml/z')).body).url).toBe('/z');
  });

  test('errors status: 404 (a number) catches 404s', async () => {
    const r = await on('pages.example', '/status?code=404');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).url).toBe('/page-for-404');
  });

  test('entryPoints: web attaches the routers to web only', async () => {
    const other = await curl(['-H', 'Host: strip.example', `http://127.0.0.1:${portico.port('other')}/a/x`]);
    expect(other.status).toBe(404);
  });

  test('static trustedIPs as one value: forwarded headers from 127.0.0.1 are kept', async () => {
    const seen = JSON.parse((await on('strip.example', '/a/x', ['-H', 'X-Forwarded-For: 203.0.113.9'])).body) as { headers: Record<string, string> };
    expect(seen.headers['x-forwarded-for']).toMatch(/^203\.0\.113\.9/);
  });
});

describe('a single value where a list of objects is expected', () => {
  test('servers: "http://x" is an error saying a list is expected', async () => {
    const next = portico.server.nextApply();
    await portico.writeDynamic('bad.yaml', 'http:\n  services:\n    bad:\n      loadBalancer:\n        servers: http://127.0.0.1:1\n');
    const rt = await next;
    expect(rt.errors.map((e) => `${e.path}: ${e.message}`)).toContainEqual(
      expect.stringMatching(/^http\.services\.bad\.loadBalancer\.servers: a list is expected/),
    );
  });

  test('in the static configuration: statusCodes: 404 and buckets: "0.1, 0.3" are lists (the static schema has no list of objects)', () => {
    const cfg = validateStaticConfig(
      { entryPoints: { web: { address: ':80' } }, accessLog: { filters: { statusCodes: 404 } }, metrics: { prometheus: { buckets: '0.1, 0.3' } } },
      '/tmp',
      'test',
    );
    expect(cfg.accessLog?.filters?.statusCodes).toEqual(['404']);
    expect(cfg.metrics?.prometheus?.buckets).toEqual([0.1, 0.3]);
  });

  test('the rule, directly: only lists of scalars take a single value', () => {
    const schema = {
      type: 'object',
      properties: {
        names: { type: 'array', items: { type: 'string' } },
        ports: { type: 'array', items: { type: 'integer' } },
        things: { type: 'array', items: { type: 'object' } },
      },
    };
    expect(acceptScalarLists({ names: ' a , b ', ports: '80, 443', things: 'x' }, schema)).toEqual({ names: ['a', 'b'], ports: [80, 443], things: 'x' });
    expect(acceptScalarLists({ names: 7, ports: 8 }, schema)).toEqual({ names: ['7'], ports: [8] });
    // Lists stay as written (Traefik would also split an item holding a comma; Portico keeps it whole).
    expect(acceptScalarLists({ names: ['a,b'] }, schema)).toEqual({ names: ['a,b'] });
  });
});
