/** `api.dashboard: true` is refused by name while Portico has no dashboard; the API itself is accepted. */
import { describe, expect, test } from 'vitest';
import { loadStaticConfig } from '../../src/config/load-static-config.js';

describe('api static configuration', () => {
  test('api.dashboard: true is an error naming the key', () => {
    expect(() => loadStaticConfig({ document: { api: { dashboard: true, insecure: true } } })).toThrow(/api\.dashboard: not supported: Portico has no dashboard yet/);
    expect(() => loadStaticConfig({ document: {}, flags: [['api.dashboard', 'true']] })).toThrow(/api\.dashboard/);
  });

  test('api.dashboard: false, api: {} and api.insecure are accepted', () => {
    expect(loadStaticConfig({ document: { api: { dashboard: false, insecure: true } } }).api).toEqual({ dashboard: false, insecure: true, entryPoint: 'portico' });
    expect(loadStaticConfig({ document: { api: null } }).api).toEqual({});
    const cfg = loadStaticConfig({ document: { api: { insecure: true } } });
    expect(cfg.entryPoints.portico).toEqual({ address: ':9000' });
  });
});
