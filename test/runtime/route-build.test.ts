import { describe, expect, test } from 'vitest';
import { validateStaticConfig } from '../../src/config/load-static-config.js';
import { emptyDynamicConfig } from '../../src/dynamic/model.js';
import type { Handler, MiddlewareHandler } from '../../src/exchange/exchange.js';
import { ConfigErrors } from '../../src/runtime/config-errors.js';
import { buildRoutes } from '../../src/runtime/route-build.js';
import type { MiddlewareTable } from '../../src/runtime/middleware-table.js';
import { userEntryPoints } from '../../src/runtime/runtime-config.js';
import { run } from '../../src/testing/memory-exchange.js';

const staticConfig = validateStaticConfig(
  {
    entryPoints: {
      web: { address: ':80', http: { middlewares: ['tag-ep'] } },
      websecure: { address: ':443', http: { tls: {} } },
      portico: { address: ':8082' },
    },
    ping: {},
  },
  process.cwd(),
  'test',
);
const service: Handler = (ex) => ex.respond(200, { 'x-seen': String(ex.requestHeaders['x-tag'] ?? '') }, 'ok');
const tag =
  (value: string): MiddlewareHandler =>
  (next) =>
  (ex) => {
    ex.requestHeaders['x-tag'] = [ex.requestHeaders['x-tag'], value].filter(Boolean).join(',');
    return next(ex);
  };
const middlewares: MiddlewareTable = {
  get: (name) => ({ 'tag-router@file': tag('router'), 'tag-ep@file': tag('entrypoint') })[name],
  validateUnused: () => undefined,
  dispose: () => undefined,
};
const facts = (host: string, path: string) => ({ host, path, method: 'GET', headers: {}, query: '', clientIp: '127.0.0.1' }) as never;

describe('buildRoutes', () => {
  test('a router without entryPoints attaches to every entrypoint but the internal one; the entrypoint middlewares run before the router middlewares', async () => {
    const http = emptyDynamicConfig().http;
    http.routers['r@file'] = { rule: 'Host(`a.test`)', service: 'svc@file', middlewares: ['tag-router@file'] };
    const built = buildRoutes(
      {
        http,
        entryPoints: staticConfig.entryPoints,
        defaultEntryPoints: userEntryPoints(staticConfig),
        services: { get: () => service, healthChecks: [], serverStatus: () => undefined },
        middlewares,
        tlsOptionNames: new Set(['default']),
      },
      new ConfigErrors(),
    );
    expect(userEntryPoints(staticConfig)).toEqual(['web', 'websecure']);
    expect(built.routerStatus.get('r@file')).toEqual({ status: 'enabled', entryPoints: ['web', 'websecure'], errors: [], tls: { options: 'default' } });
    expect(built.routes.get('portico')!.plain.match(facts('a.test', '/'))).toBeUndefined();
    const web = built.routes.get('web')!.plain.match(facts('a.test', '/'))!;
    expect(web.value.tlsOptions).toBeUndefined();
    expect((await run(web.value.handler)).responseHeaders['x-seen']).toBe('entrypoint,router');
    // The TLS entrypoint makes the router TLS, with the default options, and votes for its host.
    expect(built.routes.get('websecure')!.secure.match(facts('a.test', '/'))!.value.tlsOptions).toBe('default');
    expect([...built.hostTlsVotes]).toEqual([['a.test', new Set(['default'])]]);
  });

  test('a router with problems is disabled with every problem listed, its broken rule included', () => {
    const http = emptyDynamicConfig().http;
    http.routers['bad@file'] = {
      rule: 'Host(`a`) &&',
      service: 'nope@file',
      middlewares: ['ghost@file'],
      entryPoints: ['nowhere'],
      tls: { options: 'strict@file' },
    };
    const errors = new ConfigErrors();
    const built = buildRoutes(
      {
        http,
        entryPoints: staticConfig.entryPoints,
        defaultEntryPoints: ['web'],
        services: { get: () => undefined, healthChecks: [], serverStatus: () => undefined },
        middlewares,
        tlsOptionNames: new Set(['default']),
      },
      errors,
    );
    expect(built.routerStatus.get('bad@file')!.status).toBe('disabled');
    expect(errors.list.map((e) => e.path)).toEqual([
      'http.routers.bad@file.entryPoints[0]',
      'http.routers.bad@file.service',
      'http.routers.bad@file.middlewares[0]',
      'http.routers.bad@file.tls.options',
      'http.routers.bad@file.rule',
    ]);
  });

  test('TLS is decided per router: a router with tls answers TLS connections of every entrypoint, one without only clear ones unless the entrypoint has http.tls', () => {
    const http = emptyDynamicConfig().http;
    http.routers['t@file'] = { rule: 'Host(`t.test`)', service: 'svc@file', tls: {} };
    http.routers['p@file'] = { rule: 'Host(`p.test`)', service: 'svc@file' };
    const built = buildRoutes(
      {
        http,
        entryPoints: staticConfig.entryPoints,
        defaultEntryPoints: ['web', 'websecure'],
        services: { get: () => service, healthChecks: [], serverStatus: () => undefined },
        middlewares,
        tlsOptionNames: new Set(['default']),
      },
      new ConfigErrors(),
    );
    // Before issue 10 a router with tls was dropped from entrypoints without http.tls (entryPoints: ['websecure'] only).
    expect(built.routerStatus.get('t@file')).toEqual({ status: 'enabled', entryPoints: ['web', 'websecure'], errors: [], tls: { options: 'default' } });
    expect(built.routes.get('web')!.plain.match(facts('t.test', '/'))).toBeUndefined();
    expect(built.routes.get('web')!.secure.match(facts('t.test', '/'))!.value.tlsOptions).toBe('default');
    expect(built.routes.get('web')!.plain.match(facts('p.test', '/'))!.value.tlsOptions).toBeUndefined();
    expect(built.routes.get('web')!.secure.match(facts('p.test', '/'))).toBeUndefined();
    // http.tls on websecure makes the plain router TLS there, and only there.
    expect(built.routes.get('websecure')!.plain.match(facts('p.test', '/'))).toBeUndefined();
    expect(built.routes.get('websecure')!.secure.match(facts('p.test', '/'))).toBeDefined();
    expect(built.routerStatus.get('p@file')!.tls).toEqual({ options: 'default' });
  });
});
