import { describe, expect, test } from 'vitest';
import { mergeSnapshots } from '../../src/dynamic/merge.js';
import { emptyDynamicConfig, type ProviderSnapshot } from '../../src/dynamic/model.js';

function snap(provider: string, fill: (c: ReturnType<typeof emptyDynamicConfig>) => void): ProviderSnapshot {
  const config = emptyDynamicConfig();
  fill(config);
  return { provider, config, errors: [] };
}

describe('merging provider snapshots', () => {
  test('names are qualified by provider and unqualified references resolve in the same provider', () => {
    const m = mergeSnapshots([
      snap('file', (c) => {
        c.http.routers.api = { rule: 'Host(`a`)', service: 'api', middlewares: ['auth', 'strip@kubernetescrd'], tls: { options: 'modern' } };
        c.http.services.api = { loadBalancer: { servers: [{ url: 'http://x' }], serversTransport: 'mtls' } };
        c.http.middlewares.auth = { chain: { middlewares: ['a', 'b@other'] } };
      }),
      snap('kubernetescrd', (c) => {
        c.http.routers.api = { rule: 'Host(`b`)', service: 'whoami@internal' };
      }),
    ]);
    expect(Object.keys(m.config.http.routers).sort()).toEqual(['api@file', 'api@kubernetescrd']);
    expect(m.config.http.routers['api@file']).toMatchObject({
      service: 'api@file',
      middlewares: ['auth@file', 'strip@kubernetescrd'],
      tls: { options: 'modern@file' },
    });
    expect(m.config.http.routers['api@kubernetescrd']!.service).toBe('whoami@internal');
    expect(m.config.http.services['api@file']!.loadBalancer!.serversTransport).toBe('mtls@file');
    expect(m.config.http.middlewares['auth@file']!.chain).toEqual({ middlewares: ['a@file', 'b@other'] });
  });

  test('only the TLS store named default exists, and one default certificate wins', () => {
    const m = mergeSnapshots([
      snap('file', (c) => {
        c.tls.stores.mystore = {};
        c.tls.stores.default = { defaultCertificate: { certFile: 'a', keyFile: 'a' } };
      }),
      snap('kubernetescrd', (c) => {
        c.tls.stores.default = { defaultCertificate: { certFile: 'b', keyFile: 'b' } };
      }),
    ]);
    expect(m.errors.map((e) => e.message).join('\n')).toMatch(/only the TLS store named "default" exists/);
    expect(m.errors.map((e) => e.message).join('\n')).toMatch(/default certificate is already set/);
    expect(m.config.tls.stores.default!.defaultCertificate!.certFile).toBe('a');
  });
});
