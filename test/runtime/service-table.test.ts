import { afterEach, describe, expect, test } from 'vitest';
import { emptyDynamicConfig } from '../../src/dynamic/model.js';
import { ConfigErrors } from '../../src/runtime/config-errors.js';
import { buildServiceTable } from '../../src/runtime/service-table.js';
import { UpstreamPools } from '../../src/service/upstream-pools.js';
import type { Handler } from '../../src/exchange/exchange.js';

const pools = new UpstreamPools();
afterEach(() => pools.closeAll());
const ping: Handler = (ex) => ex.respond(200, {}, 'OK');
const deps = { pools, internal: { get: (n: string) => (n === 'ping@internal' ? ping : undefined) }, baseDir: process.cwd(), serverName: 'test' };

describe('buildServiceTable', () => {
  test('builds a service once, on first use, and resolves @internal names to the internal handlers', () => {
    const http = emptyDynamicConfig().http;
    http.services['a@file'] = { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }] } };
    const errors = new ConfigErrors();
    const table = buildServiceTable(http, deps, errors);
    const a = table.get('a@file');
    expect(a).toBeTypeOf('function');
    expect(table.get('a@file')).toBe(a);
    expect(table.get('ping@internal')).toBe(ping);
    expect(table.get('nope@file')).toBeUndefined();
    expect(errors.list).toEqual([]);
  });

  test('a weighted cycle and a missing member or serversTransport are reported on the right field', () => {
    const http = emptyDynamicConfig().http;
    http.services['x@file'] = { weighted: { services: [{ name: 'y@file' }] } };
    http.services['y@file'] = { weighted: { services: [{ name: 'x@file' }] } };
    http.services['w@file'] = { weighted: { services: [{ name: 'ghost@file', weight: 2 }] } };
    http.services['t@file'] = { loadBalancer: { servers: [{ url: 'http://127.0.0.1:9' }], serversTransport: 'tls@file' } };
    const errors = new ConfigErrors(new Map([['http.services.w@file', { provider: 'file', source: '/etc/portico/w.yaml' }]]));
    const table = buildServiceTable(http, deps, errors);
    expect(table.get('x@file')).toBeUndefined();
    expect(table.get('w@file')).toBeUndefined();
    expect(table.get('t@file')).toBeUndefined();
    expect(errors.list.map((e) => [e.path, e.message])).toEqual([
      ['http.services.x@file.weighted', 'weighted services refer to each other in a cycle'],
      ['http.services.y@file.weighted.services[0].name', 'no service named "x@file"'],
      ['http.services.x@file.weighted.services[0].name', 'no service named "y@file"'],
      ['http.services.w@file.weighted.services[0].name', 'no service named "ghost@file"'],
      ['http.services.t@file.loadBalancer.serversTransport', 'no serversTransport named "tls@file"'],
    ]);
    expect(errors.list[3]).toMatchObject({ provider: 'file', source: '/etc/portico/w.yaml' });
  });
});
