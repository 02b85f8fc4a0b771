import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStaticConfig, StaticConfigError } from '../../src/config/load-static-config.js';
import { parseDurationMs } from '../../src/config/duration.js';
import { parseListenAddress } from '../../src/config/listen-address.js';

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'portico-static-'));
  const path = join(dir, 'portico.yaml');
  writeFileSync(path, text);
  return path;
}

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof StaticConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('static configuration', () => {
  test('unknown keys and wrong types are errors naming their path', () => {
    const p = file('entryPoints:\n  web:\n    adress: ":80"\nlog:\n  level: loud\nproviders:\n  fiel: {}\n');
    const errs = problems(() => loadStaticConfig({ file: p }));
    expect(errs.some((e) => e.endsWith('entryPoints.web.adress: unknown option'))).toBe(true);
    expect(errs.some((e) => e.includes('entryPoints.web') && e.includes("must have required property 'address'"))).toBe(true);
    expect(errs.some((e) => e.includes('log.level'))).toBe(true);
    expect(errs.some((e) => e.endsWith('providers.fiel: unknown option'))).toBe(true);
  });

  test('environment overrides the file and flags override both; names match case-insensitively', () => {
    const p = file('entryPoints:\n  websecure:\n    address: ":8443"\n    http: { tls: {} }\nlog: { level: info }\n');
    const cfg = loadStaticConfig({
      file: p,
      env: {
        PORTICO_ENTRYPOINTS_WEBSECURE_ADDRESS: ':9443',
        PORTICO_LOG_LEVEL: 'warn',
        PORTICO_ENTRYPOINTS_WEBSECURE_HTTP3_ENABLED: 'true',
        PORTICO_ENTRYPOINTS_WEBSECURE_FORWARDEDHEADERS_TRUSTEDIPS: '10.0.0.0/8,192.168.0.0/16',
      },
      flags: [
        ['log.level', 'debug'],
        ['entryPoints.websecure.http3.advertisedPort', '443'],
      ],
    });
    expect(cfg.entryPoints.websecure!.address).toBe(':9443');
    expect(cfg.entryPoints.websecure!.http3).toEqual({ enabled: true, advertisedPort: 443 });
    expect(cfg.entryPoints.websecure!.forwardedHeaders?.trustedIPs).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
    expect(cfg.log.level).toBe('debug');
  });

  test('an unknown flag is refused', () => {
    expect(problems(() => loadStaticConfig({ document: {}, flags: [['entryPoints.web.adress', ':80']] }))[0]).toMatch(
      /unknown option "entryPoints.web.adress"/,
    );
  });

  test('semantic checks: bad address, missing redirect target, bad trusted IPs, file provider paths', () => {
    const errs = problems(() =>
      loadStaticConfig({
        document: {
          entryPoints: {
            web: { address: 'nonsense', http: { redirections: { entryPoint: { to: 'nowhere' } } } },
            h3: { address: ':443', http3: { enabled: true }, proxyProtocol: { trustedIPs: ['10.0.0.0/33'] } },
          },
          providers: { file: { filename: 'a.yaml', directory: 'b' } },
        },
      }),
    );
    expect(errs.join('\n')).toMatch(/entryPoints\.web\.address: "nonsense" is not an address/);
    expect(errs.join('\n')).toMatch(/redirections\.entryPoint\.to: no entrypoint named "nowhere"/);
    // HTTP/3 without http.tls is fine since TLS is decided per router (issue 10): it serves the entrypoint's TLS routers.
    expect(errs.join('\n')).not.toMatch(/entryPoints\.h3\.http3/);
    expect(errs.join('\n')).toMatch(/entryPoints\.h3\.proxyProtocol\.trustedIPs\[0\]: /);
    expect(errs.join('\n')).toMatch(/set exactly one of filename or directory/);
  });

  test('http3.earlyData needs quic: portico (refused by name otherwise, as the listener would)', () => {
    const errs = problems(() => loadStaticConfig({ document: { entryPoints: { h3: { address: ':443', http3: { earlyData: true } } } } }));
    expect(errs.join('\n')).toMatch(/entryPoints\.h3\.http3\.earlyData: needs http3\.quic: portico/);
    const ok = loadStaticConfig({ document: { entryPoints: { h3: { address: ':443', http3: { quic: 'portico', earlyData: true } } } } });
    expect(ok.entryPoints.h3!.http3).toMatchObject({ quic: 'portico', earlyData: true });
  });

  test('ping/api/metrics create the internal entrypoint on :9000 when needed', () => {
    const cfg = loadStaticConfig({ document: { ping: null, metrics: { prometheus: null } } });
    expect(cfg.entryPoints.portico).toEqual({ address: ':9000' });
    expect(cfg.ping).toEqual({ entryPoint: 'portico' });
  });

  test('durations and addresses', () => {
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs(10)).toBe(10_000);
    expect(() => parseDurationMs('10 parsecs')).toThrow(/cannot parse/);
    expect(parseListenAddress(':8443')).toEqual({ host: undefined, port: 8443 });
    expect(parseListenAddress('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(parseListenAddress('127.0.0.1:80')).toEqual({ host: '127.0.0.1', port: 80 });
    expect(() => parseListenAddress(':99999')).toThrow(/out of range/);
  });
});
