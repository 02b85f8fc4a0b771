/**
 * Static configuration written the Traefik way: `http3: {}` turns HTTP/3 on,
 * the internal entrypoint may be called `traefik`, `/tcp` and `/udp` address
 * suffixes. Checked on the loaded configuration and on a real Portico.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { loadStaticConfig, StaticConfigError } from '../../src/config/load-static-config.js';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { curl } from '../support/curl.js';

const problems = (doc: Record<string, unknown>): string[] => {
  try {
    loadStaticConfig({ document: doc });
  } catch (e) {
    if (e instanceof StaticConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('loaded configuration', () => {
  test('http3: {} turns HTTP/3 on; enabled: false keeps it off', () => {
    const cfg = loadStaticConfig({
      document: {
        entryPoints: {
          a: { address: ':1', http: { tls: {} }, http3: {} },
          b: { address: ':2', http: { tls: {} }, http3: { enabled: false, advertisedPort: 443 } },
          c: { address: ':3' },
        },
      },
    });
    expect(cfg.entryPoints.a!.http3?.enabled).toBe(true);
    expect(cfg.entryPoints.b!.http3?.enabled).toBe(false);
    expect(cfg.entryPoints.c!.http3).toBeUndefined();
  });

  test('the internal entrypoint may be named traefik', () => {
    const cfg = loadStaticConfig({ document: { entryPoints: { traefik: { address: ':8080' } }, api: { insecure: true }, ping: {} } });
    expect(cfg.api!.entryPoint).toBe('traefik');
    expect(cfg.ping!.entryPoint).toBe('traefik');
    expect(cfg.entryPoints.portico).toBeUndefined();
  });

  // "/udp" was refused until Portico had UDP routers; it is a UDP entrypoint now, and the HTTP keys are refused on it.
  test('"/tcp" is a TCP address; "/udp" a UDP entrypoint, on which HTTP keys are refused naming the key', () => {
    expect(problems({ entryPoints: { web: { address: ':8080/tcp' } } })).toEqual([]);
    expect(problems({ entryPoints: { dns: { address: ':5353/udp', udp: { timeout: '10s' } } } })).toEqual([]);
    const errs = problems({ entryPoints: { dns: { address: ':5353/udp', http: { middlewares: [] } } } });
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/entryPoints\.dns\.http: applies to TCP entrypoints only; "dns" listens on UDP/);
  });
});

describe('a real Portico configured the Traefik way', () => {
  let portico: Harness | undefined;
  afterAll(() => portico?.stop());

  test('api.insecure on a `traefik` entrypoint, a `/tcp` address, and HTTP/3 from `http3: {}`', async () => {
    portico = await startPortico(
      {
        entryPoints: {
          traefik: { address: '127.0.0.1:0' },
          websecure: { address: '127.0.0.1:0/tcp', http: { tls: {} }, http3: {} },
        },
        api: { insecure: true },
      },
      { 'r.yaml': 'http:\n  routers:\n    who:\n      rule: PathPrefix(`/`)\n      service: whoami@internal\n' },
    );
    await portico.server.nextApply(1);
    const api = await curl([`http://127.0.0.1:${portico.port('traefik')}/api/http/routers`]);
    expect(api.status).toBe(200);
    expect(api.body).toContain('who@file');
    // The internal entrypoint does not take routers without entryPoints, as Traefik's `traefik` one.
    const routers = JSON.parse(api.body) as Array<{ name: string; entryPoints: string[] }>;
    expect(routers.find((r) => r.name === 'who@file')?.entryPoints).toEqual(['websecure']);
    const https = await curl([`https://127.0.0.1:${portico.port('websecure')}/`]);
    expect(https.status).toBe(200);
    // Alt-Svc is only advertised once the UDP listener is up.
    expect(https.headers['alt-svc']?.[0]).toBe(`h3=":${portico.port('websecure')}"; ma=2592000`);
  });
});
