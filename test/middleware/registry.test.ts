import { describe, expect, test } from 'vitest';
import { MiddlewareRegistry, BUILT_IN_MIDDLEWARES } from '../../src/middleware/registry.js';
import type { MiddlewareType } from '../../src/middleware/middleware-type.js';
import { recordingService, run } from '../../src/testing/memory-exchange.js';

const noResolve = {
  resolve: (n: string) => {
    throw new Error(`no middleware named "${n}"`);
  },
  onDispose: () => {},
};

describe('MiddlewareRegistry', () => {
  test('every built-in is registered under its Traefik name', () => {
    const names = new MiddlewareRegistry().typeNames;
    for (const t of [
      'addPrefix',
      'stripPrefix',
      'stripPrefixRegex',
      'replacePath',
      'replacePathRegex',
      'redirectScheme',
      'redirectRegex',
      'headers',
      'basicAuth',
      'ipAllowList',
      'ipWhiteList',
      'rateLimit',
      'inFlightReq',
      'compress',
      'chain',
      'buffering',
      'contentType',
      'digestAuth',
      'forwardAuth',
      'passTLSClientCert',
      'circuitBreaker',
      'grpcWeb',
      'retry',
      'errors',
    ])
      expect(names).toContain(t);
    expect(BUILT_IN_MIDDLEWARES.length).toBe(24);
  });

  test('compileMiddleware reports absolute field paths', () => {
    const r = new MiddlewareRegistry();
    const res = r.compileMiddleware('strip@file', { stripPrefix: { prefixes: [], extra: 1 } }, noResolve);
    expect('errors' in res && res.errors).toEqual([
      ['http.middlewares.strip@file.stripPrefix.extra', 'unknown field'],
      ['http.middlewares.strip@file.stripPrefix.prefixes', 'must list at least 1 item'],
    ]);
  });

  test('unknown type names the known ones; wrong shapes are errors, not crashes', () => {
    const r = new MiddlewareRegistry();
    const unknown = r.compileMiddleware('x', { stripPrefx: {} }, noResolve);
    expect('errors' in unknown && unknown.errors[0]![0]).toBe('http.middlewares.x.stripPrefx');
    expect('errors' in unknown && unknown.errors[0]![1]).toMatch(
      /unknown middleware type "stripPrefx"; known: addPrefix, authSignin, basicAuth, .*stripPrefix/,
    );
    const two = r.compileMiddleware('x', { headers: {}, compress: {} }, noResolve);
    expect('errors' in two && two.errors[0]).toEqual(['http.middlewares.x', 'a middleware must set exactly one type, found headers, compress']);
    const notObject = r.compileMiddleware('x', { compress: 'yes' } as never, noResolve);
    expect('errors' in notObject && notObject.errors[0]).toEqual(['http.middlewares.x.compress', 'options must be an object (use {} for none)']);
    const nullDef = r.compileMiddleware('x', null as never, noResolve);
    expect('errors' in nullDef && nullDef.errors[0]![0]).toBe('http.middlewares.x');
  });

  test('register adds a plugin type; a clash is refused; a throwing validate is an error', async () => {
    const r = new MiddlewareRegistry();
    const tagger: MiddlewareType<{ value: string }> = {
      type: 'tagger',
      validate: (o) => (typeof (o as { value?: unknown }).value === 'string' ? [] : [['value', 'must be a string']]),
      build:
        ({ value }) =>
        (next) =>
        (ex) => {
          ex.requestHeaders['x-tag'] = value;
          return next(ex);
        },
    };
    r.register(tagger as MiddlewareType);
    expect(() => r.register({ ...tagger, type: 'headers' } as MiddlewareType)).toThrow(/"headers" already exists/);
    const bad = r.compileMiddleware('t', { tagger: {} }, noResolve);
    expect('errors' in bad && bad.errors).toEqual([['http.middlewares.t.tagger.value', 'must be a string']]);
    const ok = r.compileMiddleware('t', { tagger: { value: 'v1' } }, noResolve);
    if (!('handler' in ok)) throw new Error('expected a handler');
    const svc = recordingService();
    await run(ok.handler(svc));
    expect(svc.seen[0]!.headers['x-tag']).toBe('v1');
    r.register({
      type: 'explodes',
      validate: () => {
        throw new Error('boom');
      },
      build: () => (n) => n,
    });
    const exploded = r.compileMiddleware('e', { explodes: {} }, noResolve);
    expect('errors' in exploded && exploded.errors).toEqual([['http.middlewares.e.explodes', 'validate() threw: boom']]);
  });

  test("a type's optionsSchema is checked by the registry before validate, which sees only options that passed it", () => {
    const r = new MiddlewareRegistry();
    const seen: unknown[] = [];
    r.register({
      type: 'greeter',
      optionsSchema: { required: ['greeting'], properties: { greeting: { type: 'string' } } },
      validate: (o) => (seen.push(o), []),
      build: () => (n) => n,
    });
    const missing = r.compileMiddleware('g', { greeter: { greting: 'hi' } }, noResolve);
    expect('errors' in missing && missing.errors).toEqual([
      ['http.middlewares.g.greeter.greeting', 'is required'],
      ['http.middlewares.g.greeter.greting', 'unknown field'],
    ]);
    expect(seen).toEqual([]);
    expect('handler' in r.compileMiddleware('g', { greeter: { greeting: 'hi' } }, noResolve)).toBe(true);
    expect(seen).toEqual([{ greeting: 'hi' }]);
  });

  test('a type whose optionsSchema does not compile is refused at registration, not at each configuration', () => {
    const r = new MiddlewareRegistry();
    expect(() => r.register({ type: 'broken', optionsSchema: { properties: { a: { type: 'no-such-type' } } }, build: () => (n) => n })).toThrow(
      /middleware type "broken": its optionsSchema does not compile/,
    );
    expect(r.typeNames).not.toContain('broken');
  });
});
