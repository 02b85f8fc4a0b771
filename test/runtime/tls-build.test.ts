import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { TestPki } from '../support/pki.js';
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

  test('a client CA that is empty, not PEM, or a PEM block that does not parse: the option set is reported and left out (its routers fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-ca-'));
    writeFileSync(join(dir, 'empty.pem'), '');
    writeFileSync(join(dir, 'text.pem'), 'this is not a certificate\n');
    const pki = new TestPki();
    const tls = emptyDynamicConfig().tls;
    tls.options['good@file'] = { clientAuth: { caFiles: [pki.caCert] } };
    tls.options['empty@file'] = { clientAuth: { caFiles: ['empty.pem'] } };
    tls.options['text@file'] = { clientAuth: { caFiles: ['text.pem'] } };
    tls.options['garbled@file'] = {
      clientAuth: { caFiles: [readFileSync(pki.caCert, 'utf8'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n'] },
    };
    const errors = new ConfigErrors();
    const sets = compileTlsOptionSets(tls, dir, errors);
    expect([...sets.keys()].sort()).toEqual(['default', 'good@file']);
    expect(errors.list.map((e) => `${e.path}: ${e.message}`).sort()).toEqual([
      expect.stringMatching(/^tls\.options\.empty@file\.clientAuth\.caFiles\[0\].*"empty\.pem" is empty/),
      expect.stringMatching(/^tls\.options\.garbled@file\.clientAuth\.caFiles\[1\].*the inline CA holds a certificate that does not parse/),
      expect.stringMatching(/^tls\.options\.text@file\.clientAuth\.caFiles\[0\].*"text\.pem" holds no PEM certificate/),
    ]);
  });
});
