/**
 * The native file format's service keys: Traefik's options Portico implements
 * are accepted, those it does not are errors naming the key (never accepted
 * and dropped).
 */
import { describe, expect, test } from 'vitest';
import { readNativeDocument } from '../../src/provider/file/native-config-reader.js';
import { emptyDynamicConfig, type ConfigError } from '../../src/dynamic/model.js';

function read(services: Record<string, unknown>): { errors: Array<[string, string]>; config: ReturnType<typeof emptyDynamicConfig> } {
  const config = emptyDynamicConfig();
  const errors: ConfigError[] = [];
  readNativeDocument({ http: { services } }, config, { provider: 'file', source: 'svc.yaml' }, errors);
  return { errors: errors.map((e) => [e.path, e.message]), config };
}

const servers = [{ url: 'http://127.0.0.1:8080' }];

describe('service schema', () => {
  test('every supported option is accepted as Traefik writes it', () => {
    const { errors, config } = read({
      lb: {
        loadBalancer: {
          servers,
          strategy: 'p2c',
          passiveHealthCheck: { failureWindow: '5s', maxFailedAttempts: 2 },
          sticky: { cookie: { name: 'n', secure: true, httpOnly: true, sameSite: 'Strict', maxAge: -1, path: '/x', domain: 'a.test' } },
        },
      },
      w: { weighted: { services: [{ name: 'lb', weight: 1 }], sticky: { cookie: null }, healthCheck: {} } },
      m: { mirroring: { service: 'lb', mirrorBody: false, maxBodySize: -1, mirrors: [{ name: 'w', percent: 100 }], healthCheck: {} } },
      f: { failover: { service: 'lb', fallback: 'w', healthCheck: {} } },
    });
    expect(errors).toEqual([]);
    expect(Object.keys(config.http.services).sort()).toEqual(['f', 'lb', 'm', 'w']);
  });

  test('what Portico does not do is an error naming the key', () => {
    const { errors } = read({
      hrw: { highestRandomWeight: { services: [{ name: 'x' }] } },
      strategy: { loadBalancer: { servers, strategy: 'leasttime' } },
      forwarding: { loadBalancer: { servers, responseForwarding: { flushInterval: '1s' } } },
      foErrors: { failover: { service: 'a', fallback: 'b', errors: { status: ['500'] } } },
      percent: { mirroring: { service: 'a', mirrors: [{ name: 'b', percent: 101 }] } },
      cookie: { loadBalancer: { servers, sticky: { cookie: { expires: 10 } } } },
    });
    const paths = errors.map(([p]) => p);
    expect(paths).toEqual(
      expect.arrayContaining([
        'http.services.hrw.highestRandomWeight',
        'http.services.strategy.loadBalancer.strategy',
        'http.services.forwarding.loadBalancer.responseForwarding',
        'http.services.foErrors.failover.errors',
        'http.services.percent.mirroring.mirrors.0.percent',
        'http.services.cookie.loadBalancer.sticky.cookie.expires',
      ]),
    );
  });
});
