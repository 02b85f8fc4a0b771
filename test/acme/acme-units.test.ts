/**
 * The ACME glue's pure parts, checked against independent sources: the static
 * configuration (Traefik's keys, refusals naming the key, defaults), what
 * routers ask each resolver for, a Traefik-written acme.json (account key made
 * by openssl as Go's x509.MarshalPKCS1PrivateKey writes it), and the ARI
 * certificate identifier against openssl's reading of the certificate.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateStaticConfig, StaticConfigError } from '../../src/config/load-static-config.js';
import { certificateRequests } from '../../src/acme/certificate-requests.js';
import { AcmeStorageFile } from '../../src/acme/acme-storage.js';
import { ariCertificateId } from '../../src/acme/renewal-info.js';
import { renewalTime, retryDelayMs } from '../../src/acme/renewal-schedule.js';
import { emptyDynamicConfig } from '../../src/dynamic/model.js';

const dir = mkdtempSync(join(tmpdir(), 'portico-acme-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entryPoints = { web: { address: ':80' }, websecure: { address: ':443', http: { tls: {} } } };
const problemsOf = (acme: Record<string, unknown>): string[] => {
  try {
    validateStaticConfig({ entryPoints, certificatesResolvers: { le: { acme } } }, dir, 'portico.yaml');
    return [];
  } catch (err) {
    return (err as StaticConfigError).problems;
  }
};

describe('static configuration', () => {
  test("Traefik's keys are accepted and defaulted as Traefik does", () => {
    const cfg = validateStaticConfig({ entryPoints, certificatesResolvers: { le: { acme: { email: 'a@b.c', tlsChallenge: null } } } }, dir, 'portico.yaml');
    expect(cfg.certificatesResolvers!.le!.acme).toEqual({
      email: 'a@b.c',
      tlsChallenge: {},
      storage: join(dir, 'acme.json'),
      caServer: 'https://acme-v02.api.letsencrypt.org/directory',
      keyType: 'RSA4096',
      certificatesDuration: 2160,
    });
  });

  test('refusals name the key; one challenge is required; the entrypoint must exist', () => {
    // DNS-01 is done (exec and httpreq only): another lego provider is refused naming it, and so is a second challenge.
    expect(problemsOf({ dnsChallenge: { provider: 'cloudflare' } })).toEqual([
      expect.stringMatching(/certificatesResolvers\.le\.acme\.dnsChallenge\.provider: "cloudflare" is not supported: .*exec .*httpreq/),
    ]);
    expect(problemsOf({ httpChallenge: { entryPoint: 'web' }, dnsChallenge: { provider: 'exec' } })).toEqual(
      expect.arrayContaining([expect.stringContaining('set exactly one of httpChallenge, tlsChallenge or dnsChallenge')]),
    );
    expect(problemsOf({ httpChallenge: { entryPoint: 'web' }, tlsChallenge: {} })).toEqual([
      expect.stringContaining('set exactly one of httpChallenge, tlsChallenge or dnsChallenge'),
    ]);
    expect(problemsOf({})).toEqual([expect.stringContaining('set exactly one of httpChallenge, tlsChallenge or dnsChallenge')]);
    expect(problemsOf({ httpChallenge: { entryPoint: 'nope' } })).toEqual([
      expect.stringContaining('certificatesResolvers.le.acme.httpChallenge.entryPoint: no entrypoint named "nope"'),
    ]);
    expect(problemsOf({ httpChallenge: { entryPoint: 'web' }, keyType: 'EC521' })).toEqual([expect.stringContaining('certificatesResolvers.le.acme.keyType')]);
    expect(problemsOf({ httpChallenge: { entryPoint: 'web' }, eab: { kid: 'k' } })).toEqual([
      expect.stringContaining("must have required property 'hmacEncoded'"),
    ]);
  });
});

describe('dnsChallenge', () => {
  test("lego's environment is required, Traefik's deprecated keys are folded into propagation, ANS checks are refused", () => {
    const saved = { ...process.env };
    try {
      delete process.env.EXEC_PATH;
      delete process.env.EXEC_PATH_FILE;
      expect(problemsOf({ dnsChallenge: { provider: 'exec' } })).toEqual([
        expect.stringContaining('certificatesResolvers.le.acme.dnsChallenge.provider: the exec DNS provider needs the environment variable EXEC_PATH'),
      ]);
      process.env.EXEC_PATH = '/bin/true';
      const cfg = validateStaticConfig(
        { entryPoints, certificatesResolvers: { le: { acme: { dnsChallenge: { provider: 'exec', delayBeforeCheck: '2s', disablePropagationCheck: true } } } } },
        dir,
        'portico.yaml',
      );
      expect(cfg.certificatesResolvers!.le!.acme.dnsChallenge!.propagation).toEqual({ delayBeforeChecks: '2s', disableChecks: true });
      expect(problemsOf({ dnsChallenge: { provider: 'exec', propagation: { disableANSChecks: true } } })).toEqual([
        expect.stringMatching(/dnsChallenge\.propagation\.disableANSChecks: not supported/),
      ]);
      expect(problemsOf({ dnsChallenge: { provider: 'exec', resolvers: ['1.1.1.1:53', 'dns.example'] } })).toEqual([
        expect.stringContaining('dnsChallenge.resolvers[1]: "dns.example" is not an IP address'),
      ]);
    } finally {
      process.env = saved;
    }
  });

  test('a resolver with dnsChallenge can be asked for a wildcard; one without cannot', () => {
    const config = emptyDynamicConfig();
    Object.assign(config.http.routers, {
      'a@file': { rule: 'Host(`x.test`)', service: 's', tls: { certResolver: 'dns', domains: [{ main: '*.Wild.test', sans: ['wild.test'] }] } },
      'b@file': { rule: 'Host(`x.test`)', service: 's', tls: { certResolver: 'http', domains: [{ main: '*.wild.test' }] } },
      'c@file': { rule: 'Host(`x.test`)', service: 's', tls: { certResolver: 'dns', domains: [{ main: 'a.*.wild.test' }] } },
    });
    const { requests, errors } = certificateRequests(config, new Set(['dns', 'http']), new Set(['dns']));
    expect(requests.get('dns')).toEqual([['*.wild.test', 'wild.test']]);
    expect(requests.get('http')).toBeUndefined();
    expect(errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'http.routers.b@file.tls.domains: "*.wild.test": wildcard certificates need the DNS-01 challenge; resolver "http" has no dnsChallenge',
      'http.routers.c@file.tls.domains: "a.*.wild.test": a wildcard is only allowed as the whole leftmost label (*.example.com)',
    ]);
  });
});

describe('what routers ask for', () => {
  const config = emptyDynamicConfig();
  Object.assign(config.http.routers, {
    'rule@file': { rule: 'Host(`A.example.com`) || Host(`b.example.com`)', service: 's', tls: { certResolver: 'le' } },
    'same@file': { rule: 'Host(`b.example.com`) || Host(`a.example.com`)', service: 's', tls: { certResolver: 'le' } },
    'domains@file': {
      rule: 'PathPrefix(`/`)',
      service: 's',
      tls: { certResolver: 'le', domains: [{ main: 'c.example.com', sans: ['d.example.com'] }, { main: 'e.example.com' }] },
    },
    'unknown@file': { rule: 'Host(`x.example.com`)', service: 's', tls: { certResolver: 'nope' } },
    'nohost@file': { rule: 'PathPrefix(`/`)', service: 's', tls: { certResolver: 'le' } },
    'wild@file': { rule: 'Host(`y.example.com`)', service: 's', tls: { certResolver: 'le', domains: [{ main: '*.example.com' }] } },
    'plain@file': { rule: 'Host(`z.example.com`)', service: 's', tls: {} },
  });
  const { requests, errors } = certificateRequests(config, new Set(['le']));

  test('one certificate per rule (its hosts) or per tls.domains entry; the same names asked twice are one order', () => {
    expect(requests.get('le')).toEqual([['a.example.com', 'b.example.com'], ['c.example.com', 'd.example.com'], ['e.example.com']]);
  });

  test('routers asking what no resolver can give are errors on the router', () => {
    expect(errors.map((e) => `${e.path}: ${e.message.split(';')[0]}`)).toEqual([
      'http.routers.unknown@file.tls.certResolver: no certificatesResolvers entry named "nope" in the static configuration',
      'http.routers.nohost@file.tls.certResolver: no domain to order: the rule has no Host() matcher',
      'http.routers.wild@file.tls.domains: "*.example.com": wildcard certificates need the DNS-01 challenge',
    ]);
  });
});

const openssl = (args: string[], input?: string) => execFileSync('openssl', args, { input, cwd: dir }).toString();

describe("Traefik's acme.json", () => {
  test('a file in the shape Traefik writes is read (account key as PKCS#1 DER), and written back in that shape with mode 0600', async () => {
    openssl(['genrsa', '-traditional', '-out', 'account.pem', '2048']);
    const accountDer = execFileSync('openssl', ['rsa', '-in', 'account.pem', '-outform', 'DER', '-traditional'], { cwd: dir });
    openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'leaf.key',
      '-out',
      'leaf.crt',
      '-days',
      '1',
      '-subj',
      '/CN=a.example.com',
      '-addext',
      'subjectAltName=DNS:a.example.com,DNS:b.example.com',
    ]);
    const certPem = readFileSync(join(dir, 'leaf.crt'), 'utf8');
    const keyPem = readFileSync(join(dir, 'leaf.key'), 'utf8');
    const path = join(dir, 'traefik-acme.json');
    const other = { Account: null, Certificates: [] };
    writeFileSync(
      path,
      JSON.stringify({
        le: {
          Account: {
            Email: 'ops@example.com',
            Registration: { body: { status: 'valid' }, uri: 'https://acme.example/acct/1' },
            PrivateKey: accountDer.toString('base64'),
            KeyType: '4096',
          },
          Certificates: [
            {
              domain: { main: 'a.example.com', sans: ['b.example.com'] },
              certificate: Buffer.from(certPem).toString('base64'),
              key: Buffer.from(keyPem).toString('base64'),
              Store: 'default',
            },
          ],
        },
        other,
      }),
      { mode: 0o644 },
    );
    const storage = new AcmeStorageFile(path);
    const data = storage.read('le');
    expect(data.account).toMatchObject({ email: 'ops@example.com', url: 'https://acme.example/acct/1' });
    expect(openssl(['rsa', '-noout', '-modulus'], data.account!.keyPem)).toBe(openssl(['rsa', '-noout', '-modulus', '-in', 'account.pem']));
    expect(data.certificates).toEqual([{ domains: ['a.example.com', 'b.example.com'], certPem, keyPem }]);

    await storage.write('le', { ...data, keyType: 'P256' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { Account: { PrivateKey: string; KeyType: string }; Certificates: unknown[] }>;
    expect(written.other).toEqual(other);
    expect(Buffer.from(written.le!.Account.PrivateKey, 'base64')).toEqual(accountDer);
    expect(written.le!.Account.KeyType).toBe('P256');
    expect(written.le!.Certificates).toEqual([
      {
        domain: { main: 'a.example.com', sans: ['b.example.com'] },
        certificate: Buffer.from(certPem).toString('base64'),
        key: Buffer.from(keyPem).toString('base64'),
        Store: 'default',
      },
    ]);
  });

  test('a file that is not JSON is an error naming it, not a crash', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ not json');
    expect(() => new AcmeStorageFile(path).read('le')).toThrow(/ACME storage .*broken\.json is not JSON/);
  });
});

describe('renewal', () => {
  test('ARI certificate identifier: base64url of the authority key identifier and of the serial, as openssl reads them', () => {
    openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=ARI CA',
    ]);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ari.key', '-out', 'ari.csr', '-subj', '/CN=ari.example.com']);
    writeFileSync(join(dir, 'ari.ext'), 'authorityKeyIdentifier=keyid\nsubjectAltName=DNS:ari.example.com\n');
    // A serial with its high bit set: DER keeps a leading zero byte.
    openssl([
      'x509',
      '-req',
      '-in',
      'ari.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      '0x87654321aabbccdd',
      '-out',
      'ari.crt',
      '-days',
      '1',
      '-extfile',
      'ari.ext',
    ]);
    const pem = readFileSync(join(dir, 'ari.crt'), 'utf8');
    const text = openssl(['x509', '-noout', '-text', '-in', 'ari.crt']);
    const aki = /Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(text)![1]!.replaceAll(':', '');
    expect(ariCertificateId(pem)).toBe(`${Buffer.from(aki, 'hex').toString('base64url')}.${Buffer.from('0087654321aabbccdd', 'hex').toString('base64url')}`);
  });

  test('two thirds into the lifetime; retries back off from 10 s to an hour', () => {
    expect(renewalTime(new Date(0), new Date(90 * 86400_000)).getTime()).toBe(60 * 86400_000);
    expect([1, 2, 3, 20].map((n) => retryDelayMs(n, () => 0))).toEqual([10_000, 20_000, 40_000, 3600_000]);
  });
});
