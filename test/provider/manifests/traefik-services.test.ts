/**
 * The service features of issue 10 through the CRDs: sticky (every cookie
 * attribute), strategy p2c and passiveHealthCheck on IngressRoute service
 * references; TraefikService weighted with sticky, mirroring and failover;
 * what Portico does not do is refused by its field.
 */
import { describe, expect, test } from 'vitest';
import yaml from 'js-yaml';
import { convertManifests, type ManifestConversionOptions } from '../../../src/provider/manifests/convert.js';

const opts: ManifestConversionOptions = { provider: 'kubernetescrd', apiGroups: ['portico.dev', 'traefik.io'] };
const docs = (text: string) =>
  text
    .split(/^---$/m)
    .map((chunk) => ({ source: 'test.yaml', line: 1, object: yaml.load(chunk) }))
    .filter((d) => d.object !== undefined && d.object !== null);

const cluster = (name: string, ip: string) => `
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: shop }
spec:
  ports: [{ port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: ${name}, namespace: shop }
subsets: [{ addresses: [{ ip: ${ip} }], ports: [{ port: 8080 }] }]
`;
const services = cluster('web', '10.0.0.1') + cluster('spare', '10.0.0.2') + cluster('shadow', '10.0.0.3');
const traefikService = (name: string, spec: string) => `
---
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: { name: ${name}, namespace: shop }
spec:
${spec.replace(/^/gm, '  ')}`;
const ingressRoute = (servicesYaml: string) => `
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: app, namespace: shop }
spec:
  routes:
    - match: Host(\`app\`)
      services: ${servicesYaml}`;

describe('service references', () => {
  test('sticky cookie with every attribute, strategy p2c and passiveHealthCheck reach the load balancer', () => {
    const { config, errors } = convertManifests(
      docs(
        services +
          ingressRoute(`
        - name: web
          port: 80
          strategy: p2c
          passiveHealthCheck: { failureWindow: 5s, maxFailedAttempts: 3 }
          sticky: { cookie: { name: s, secure: true, httpOnly: true, sameSite: strict, maxAge: 30, path: /app, domain: app.test } }`),
      ),
      opts,
    );
    expect(errors).toEqual([]);
    const lb = Object.values(config.http.services)[0]!.loadBalancer!;
    expect(lb).toEqual({
      servers: [{ url: 'http://10.0.0.1:8080' }],
      strategy: 'p2c',
      passiveHealthCheck: { failureWindow: '5s', maxFailedAttempts: 3 },
      sticky: { cookie: { name: 's', secure: true, httpOnly: true, sameSite: 'strict', maxAge: 30, path: '/app', domain: 'app.test' } },
    });
  });

  test('unsupported strategies and keys are refused by field', () => {
    const { errors } = convertManifests(docs(services + ingressRoute(`[{ name: web, port: 80, strategy: hrw }]`)), opts);
    expect(errors.map((e) => e.path)).toEqual(['spec.routes[0].services[0].strategy']);
    const sameSite = convertManifests(docs(services + ingressRoute(`[{ name: web, port: 80, sticky: { cookie: { sameSite: sometimes } } }]`)), opts);
    expect(sameSite.errors.map((e) => e.path)).toEqual(['spec.routes[0].services[0].sticky.cookie.sameSite']);
  });
});

describe('TraefikService', () => {
  test('weighted with sticky', () => {
    const { config, errors } = convertManifests(
      docs(
        services +
          traefikService(
            'split',
            `weighted:\n  services: [{ name: web, port: 80 }, { name: spare, port: 80 }]\n  sticky: { cookie: { name: w, httpOnly: true } }`,
          ),
      ),
      opts,
    );
    expect(errors).toEqual([]);
    expect(config.http.services['shop-split']).toEqual({
      weighted: {
        services: [
          { name: 'shop-web-80', weight: 1 },
          { name: 'shop-spare-80', weight: 1 },
        ],
        sticky: { cookie: { name: 'w', httpOnly: true } },
      },
    });
  });

  test('mirroring: the main service inline, mirrors with percent, body options', () => {
    const { config, errors } = convertManifests(
      docs(
        services +
          traefikService(
            'mirrored',
            `mirroring:\n  name: web\n  port: 80\n  mirrorBody: false\n  maxBodySize: 1024\n  mirrors: [{ name: shadow, port: 80, percent: 20 }, { name: split, kind: TraefikService, percent: 5 }]`,
          ) +
          traefikService('split', `weighted:\n  services: [{ name: spare, port: 80 }]`),
      ),
      opts,
    );
    expect(errors).toEqual([]);
    expect(config.http.services['shop-mirrored']).toEqual({
      mirroring: {
        service: 'shop-web-80',
        mirrorBody: false,
        maxBodySize: 1024,
        mirrors: [
          { name: 'shop-shadow-80', percent: 20 },
          { name: 'shop-split', percent: 5 },
        ],
      },
    });
    expect(config.http.services['shop-shadow-80']!.loadBalancer!.servers).toEqual([{ url: 'http://10.0.0.3:8080' }]);
  });

  test('failover: main with its health check, fallback; errors and highestRandomWeight are refused by field', () => {
    const { config, errors } = convertManifests(
      docs(
        services +
          traefikService(
            'fo',
            `failover:\n  service: { name: web, port: 80, healthCheck: { path: /health, interval: 1s } }\n  fallback: { name: spare, port: 80 }`,
          ),
      ),
      opts,
    );
    expect(errors).toEqual([]);
    const fo = config.http.services['shop-fo']!.failover!;
    expect(fo.service).toMatch(/^shop-web-80-[0-9a-f]{6}$/);
    expect(fo.fallback).toBe('shop-spare-80');
    expect(config.http.services[fo.service]!.loadBalancer!.healthCheck).toEqual({ path: '/health', interval: '1s' });

    const refused = convertManifests(
      docs(
        services +
          traefikService('e', `failover:\n  service: { name: web, port: 80 }\n  fallback: { name: spare, port: 80 }\n  errors: { status: ["500-599"] }`) +
          traefikService('h', `highestRandomWeight:\n  services: [{ name: web, port: 80 }]`),
      ),
      opts,
    );
    expect(refused.errors.map((e) => e.path).sort()).toEqual(['spec.failover.errors', 'spec.highestRandomWeight']);
  });
});
