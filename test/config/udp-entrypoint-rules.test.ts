/**
 * What a UDP entrypoint may say in the static configuration: `udp.timeout`,
 * `udp.maxSessions` and the grace period; every HTTP key is refused naming
 * it, `udp` on a TCP entrypoint too, and a UDP port claimed twice (by
 * another UDP entrypoint or a TCP entrypoint's HTTP/3) is a clear error
 * instead of EADDRINUSE at start.
 */
import { describe, expect, test } from 'vitest';
import { loadStaticConfig, StaticConfigError } from '../../src/config/load-static-config.js';

const problems = (doc: Record<string, unknown>): string[] => {
  try {
    loadStaticConfig({ document: doc });
  } catch (e) {
    if (e instanceof StaticConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('UDP entrypoints in the static configuration', () => {
  test('udp.timeout, udp.maxSessions and transport.lifeCycle.graceTimeOut are accepted', () => {
    const cfg = loadStaticConfig({
      document: { entryPoints: { dns: { address: ':53/udp', udp: { timeout: '10s', maxSessions: 100 }, transport: { lifeCycle: { graceTimeOut: '2s' } } } } },
    });
    expect(cfg.entryPoints.dns!.udp).toEqual({ timeout: '10s', maxSessions: 100 });
  });

  test('HTTP keys on a UDP entrypoint and udp on a TCP one are refused naming the key', () => {
    const errs = problems({
      entryPoints: {
        dns: {
          address: ':53/udp',
          http: { tls: {} },
          http3: {},
          forwardedHeaders: { insecure: true },
          transport: { respondingTimeouts: { readTimeout: 5 } },
          udp: { timeout: 'soon' },
        },
        web: { address: ':80', udp: { timeout: '5s' } },
      },
    });
    expect(errs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/entryPoints\.dns\.http: applies to TCP entrypoints only/),
        expect.stringMatching(/entryPoints\.dns\.http3: applies to TCP entrypoints only/),
        expect.stringMatching(/entryPoints\.dns\.forwardedHeaders: applies to TCP entrypoints only/),
        expect.stringMatching(/entryPoints\.dns\.transport\.respondingTimeouts: applies to TCP entrypoints only/),
        expect.stringMatching(/entryPoints\.dns\.udp\.timeout: /),
        expect.stringMatching(/entryPoints\.web\.udp: applies to UDP entrypoints only/),
      ]),
    );
  });

  test('a UDP entrypoint sharing its port with HTTP/3 or another UDP entrypoint is refused', () => {
    const h3 = problems({ entryPoints: { websecure: { address: ':443', http: { tls: {} }, http3: {} }, quicish: { address: '127.0.0.1:443/udp' } } });
    expect(h3).toEqual([
      expect.stringMatching(
        /entryPoints\.quicish\.address: UDP port 443 is claimed by entrypoint "websecure" \(its HTTP\/3\) and by "quicish" \(a UDP entrypoint\)/,
      ),
    ]);
    const two = problems({ entryPoints: { a: { address: ':5353/udp' }, b: { address: ':5353/udp' } } });
    expect(two).toEqual([expect.stringMatching(/entryPoints\.b\.address: UDP port 5353 is claimed by entrypoint "a"/)]);
    // Different hosts, a TCP entrypoint on the same number without HTTP/3, and port 0 do not clash.
    expect(
      problems({
        entryPoints: {
          a: { address: '127.0.0.1:5353/udp' },
          b: { address: '127.0.0.2:5353/udp' },
          c: { address: ':5353' },
          d: { address: ':0/udp' },
          e: { address: ':0/udp' },
        },
      }),
    ).toEqual([]);
  });

  test('internal endpoints and redirections cannot target a UDP entrypoint', () => {
    const errs = problems({
      entryPoints: { dns: { address: ':53/udp' }, web: { address: ':80', http: { redirections: { entryPoint: { to: 'dns' } } } } },
      ping: { entryPoint: 'dns' },
    });
    expect(errs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/entryPoints\.web\.http\.redirections\.entryPoint\.to: "dns" is a UDP entrypoint/),
        expect.stringMatching(/ping\.entryPoint: "dns" is a UDP entrypoint/),
      ]),
    );
  });
});
