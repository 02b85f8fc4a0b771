import { describe, expect, test } from 'vitest';
import { emptyDynamicConfig } from '../../src/dynamic/model.js';
import { ConfigErrors } from '../../src/runtime/config-errors.js';
import { buildCertificateStore, compileTlsOptionSets, hostTlsOptions } from '../../src/runtime/tls-build.js';
import { generatedDefaultCertificate } from '../../src/tls/generated-default-certificate.js';
import { describeCertificate } from '../../src/tls/sni-certificate-store.js';

describe('TLS of a configuration version', () => {
  test('the default option set is always there; a broken set is reported and left out', () => {
    const tls = emptyDynamicConfig().tls;
    tls.options['modern@file'] = { minVersion: 'VersionTLS13' };
    tls.options['broken@file'] = { minVersion: 'VersionTLS9' } as never;
    const errors = new ConfigErrors();
    const sets = compileTlsOptionSets(tls, process.cwd(), errors);
    expect([...sets.keys()].sort()).toEqual(['default', 'modern@file']);
    expect(errors.list.map((e) => e.path)).toEqual([expect.stringMatching(/^tls\.options\.broken@file\.minVersion/)]);
  });

  test('a host asked for with one option set gets it; with two, the conflict is reported and it gets none', () => {
    const errors = new ConfigErrors();
    const hosts = hostTlsOptions(
      new Map([
        ['a.test', new Set(['modern@file'])],
        ['b.test', new Set(['modern@file', 'default'])],
      ]),
      errors,
    );
    expect([...hosts]).toEqual([['a.test', 'modern@file']]);
    expect(errors.list).toEqual([expect.objectContaining({ provider: 'tls', source: 'b.test', path: 'tls.options' })]);
  });

  test('an unreadable certificate is reported with its index; a broken default certificate falls back to the generated one', async () => {
    const gen = await generatedDefaultCertificate();
    const generated = describeCertificate(gen.certPem, gen.keyPem, 'generated');
    const tls = emptyDynamicConfig().tls;
    tls.certificates.push({ certFile: '/no/such/cert.pem', keyFile: '/no/such/key.pem' });
    tls.stores.default = { defaultCertificate: { certFile: '/no/such/default.pem', keyFile: '/no/such/default-key.pem' } };
    const errors = new ConfigErrors();
    buildCertificateStore(tls, process.cwd(), generated, errors);
    expect(errors.list.map((e) => e.path)).toEqual(['tls.certificates[0]', 'tls.stores.default.defaultCertificate']);
    expect(errors.list[1]!.message).toMatch(/using the generated default certificate$/);
  });
});
