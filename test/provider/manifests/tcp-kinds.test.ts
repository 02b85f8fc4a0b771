/** Traefik's TCP CRDs are refused by name, not skipped in silence (issue 10: nothing accepted that does nothing). */
import { expect, test } from 'vitest';
import { convertManifests } from '../../../src/provider/manifests/convert.js';

test('IngressRouteTCP, MiddlewareTCP and ServersTransportTCP are errors naming the kind; other objects still convert', () => {
  const docs = ['IngressRouteTCP', 'MiddlewareTCP', 'ServersTransportTCP'].map((kind, i) => ({
    source: 'tcp.yaml',
    line: 1 + i * 5,
    object: { apiVersion: 'traefik.io/v1alpha1', kind, metadata: { name: `x${i}`, namespace: 'default' }, spec: {} },
  }));
  docs.push({
    source: 'tcp.yaml',
    line: 20,
    object: {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'Middleware',
      metadata: { name: 'strip', namespace: 'default' },
      spec: { stripPrefix: { prefixes: ['/a'] } } as never,
    },
  });
  const out = convertManifests(docs, { provider: 'kubernetescrd', apiGroups: ['portico.dev', 'traefik.io'] });
  expect(out.errors.map((e) => [e.line, e.path, e.message.split(' is ')[0]])).toEqual([
    [1, 'kind', 'IngressRouteTCP x0'],
    [6, 'kind', 'MiddlewareTCP x1'],
    [11, 'kind', 'ServersTransportTCP x2'],
  ]);
  expect(Object.keys(out.config.http.middlewares)).toEqual(['default-strip']);
});
