import { describe, expect, test } from 'vitest';
import { validateStaticConfig } from '../../../src/config/load-static-config.js';
import { mergeSnapshots } from '../../../src/dynamic/merge.js';
import { internalConfiguration } from '../../../src/provider/internal/internal-configuration.js';
import { InternalProvider } from '../../../src/provider/internal/internal-provider.js';
import { buildRuntime } from '../../../src/runtime/runtime-config.js';
import type { Handler } from '../../../src/exchange/exchange.js';
import type { ProviderSnapshot } from '../../../src/dynamic/model.js';
import { runtimeDeps } from '../../runtime/support/runtime-deps.js';
import { MemoryExchange } from '../../../src/testing/memory-exchange.js';

const staticDoc = {
  entryPoints: {
    web: { address: '127.0.0.1:8000', http: { redirections: { entryPoint: { to: 'websecure' } } } },
    websecure: { address: '127.0.0.1:8443', http: { tls: {} } },
    portico: { address: '127.0.0.1:8082' },
  },
  ping: {},
  api: { insecure: true },
  metrics: { prometheus: {} },
};

describe('the internal provider', () => {
  test('ping, api, prometheus and each entrypoint redirection are ordinary routers (and a middleware)', () => {
    const config = internalConfiguration(validateStaticConfig(structuredClone(staticDoc), process.cwd(), 'test'), () => 9443);
    expect(Object.keys(config.http.routers).sort()).toEqual(['api', 'dashboard', 'ping', 'prometheus', 'web-to-websecure']);
    expect(config.http.routers.ping).toMatchObject({ entryPoints: ['portico'], rule: 'Path(`/ping`)', service: 'ping@internal' });
    // The dashboard comes with the API (Traefik's default), served by api@internal, below the API's own router.
    expect(config.http.routers.dashboard).toMatchObject({ entryPoints: ['portico'], rule: 'Path(`/`) || PathPrefix(`/dashboard`)', service: 'api@internal' });
    expect(config.http.routers.dashboard!.priority).toBeLessThan(config.http.routers.api!.priority!);
    const noDashboard = internalConfiguration(
      validateStaticConfig({ ...structuredClone(staticDoc), api: { insecure: true, dashboard: false } }, process.cwd(), 'test'),
      () => 9443,
    );
    expect(Object.keys(noDashboard.http.routers)).not.toContain('dashboard');
    expect(config.http.routers['web-to-websecure']).toMatchObject({
      entryPoints: ['web'],
      middlewares: ['redirect-web-to-websecure'],
      service: 'noop@internal',
    });
    expect(config.http.middlewares['redirect-web-to-websecure']).toEqual({ redirectScheme: { scheme: 'https', port: '9443', permanent: true } });
    // Without ping/api/metrics/redirections in the static configuration, nothing.
    const bare = internalConfiguration(validateStaticConfig({ entryPoints: { web: { address: ':80' } } }, process.cwd(), 'test'), () => 0);
    expect(bare.http.routers).toEqual({});
  });

  test('compiled by the runtime like any provider: the redirection takes every request of its entrypoint, ping answers on its own', async () => {
    const ping: Handler = (ex) => ex.respond(200, {}, 'OK');
    const deps = await runtimeDeps(structuredClone(staticDoc), {
      'ping@internal': ping,
      'noop@internal': (ex) => ex.respond(200, {}, ''),
      'api@internal': ping,
      'prometheus@internal': ping,
    });
    const provider = new InternalProvider(deps.static, (ep) => (ep === 'websecure' ? 9443 : 0));
    const rt = buildRuntime(mergeSnapshots([provider.snapshot()]), deps, 1);
    expect(rt.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([]);
    expect([...rt.routerStatus.keys()].sort()).toEqual([
      'api@internal',
      'dashboard@internal',
      'ping@internal',
      'prometheus@internal',
      'web-to-websecure@internal',
    ]);
    const request = async (entryPoint: string, method: string, path: string) => {
      const ex = new MemoryExchange({ method, url: path, authority: 'shop.test' });
      const hit = rt.routes.get(entryPoint)!.plain.match(ex.facts)!;
      await hit.value.handler(ex);
      await ex.finished();
      return ex;
    };
    const get = await request('web', 'GET', '/cart?x=1');
    expect(get.statusCode).toBe(301);
    expect(get.responseHeaders.location).toBe('https://shop.test:9443/cart?x=1');
    expect((await request('web', 'POST', '/cart')).statusCode).toBe(308);
    expect((await request('web', 'GET', '/ping')).statusCode).toBe(301);
    expect((await request('portico', 'GET', '/ping')).responseBody.toString()).toBe('OK');
    rt.dispose();
    await deps.pools.closeAll();
  });

  test('emits its snapshot at start, with the ports known then', async () => {
    let port = 0;
    const provider = new InternalProvider(validateStaticConfig(structuredClone(staticDoc), process.cwd(), 'test'), () => port);
    const seen: ProviderSnapshot[] = [];
    port = 40443;
    await provider.start((s) => seen.push(s));
    expect(seen.map((s) => [s.provider, (s.config.http.middlewares['redirect-web-to-websecure']!.redirectScheme as { port: string }).port])).toEqual([
      ['internal', '40443'],
    ]);
    await provider.stop();
  });
});
