/** `api.dashboard` follows Traefik: on by default when the API is configured, off with `false`; the API itself is accepted either way. */
import { describe, expect, test } from 'vitest';
import { loadStaticConfig } from '../../src/config/load-static-config.js';

describe('api static configuration', () => {
  test('api.dashboard defaults to true with the API, as in Traefik; true and false are taken as given', () => {
    expect(loadStaticConfig({ document: { api: { insecure: true } } }).api).toEqual({ dashboard: true, insecure: true, entryPoint: 'portico' });
    expect(loadStaticConfig({ document: { api: { dashboard: true, insecure: true } } }).api?.dashboard).toBe(true);
    expect(loadStaticConfig({ document: {}, flags: [['api.dashboard', 'false']] }).api?.dashboard).toBe(false);
    expect(loadStaticConfig({ document: { api: { dashboard: false, insecure: true } } }).api).toEqual({
      dashboard: false,
      insecure: true,
      entryPoint: 'portico',
    });
    // No api section: no API and no dashboard.
    expect(loadStaticConfig({ document: {} }).api).toBeUndefined();
  });

  test('api: {} and api.insecure are accepted; a dashboard that is not a boolean is an error naming the key', () => {
    expect(loadStaticConfig({ document: { api: null } }).api).toEqual({ dashboard: true });
    const cfg = loadStaticConfig({ document: { api: { insecure: true } } });
    expect(cfg.entryPoints.portico).toEqual({ address: ':9000' });
    expect(() => loadStaticConfig({ document: { api: { dashboard: 'yes' } } })).toThrow(/api\.dashboard/);
  });
});
