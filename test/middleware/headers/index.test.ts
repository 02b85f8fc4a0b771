import { describe, expect, test } from 'vitest';
import { problems, wrap } from '../support/compile.js';
import { recordingService, respondWith, run } from '../../../src/testing/memory-exchange.js';

describe('headers: custom headers', () => {
  test('request headers set or removed ("" deletes); response headers set or removed', async () => {
    const svc = recordingService();
    const h = wrap(
      'headers',
      { customRequestHeaders: { 'X-Script-Name': 'test', 'X-Drop': '' }, customResponseHeaders: { 'X-Custom': 'yes', 'Content-Type': '' } },
      svc,
    );
    const r = await run(h, { headers: { 'x-drop': 'secret', 'x-keep': '1' } });
    expect(svc.seen[0]!.headers['x-script-name']).toBe('test');
    expect(svc.seen[0]!.headers['x-drop']).toBeUndefined();
    expect(svc.seen[0]!.headers['x-keep']).toBe('1');
    expect(r.responseHeaders['x-custom']).toBe('yes');
    expect(r.responseHeaders['content-type']).toBeUndefined();
    expect(r.hookRuns).toBe(1);
  });
  test("appendRequestHeaders/appendResponseHeaders (Portico's): a value after the existing ones, or the header created; after the custom headers", async () => {
    const svc = recordingService();
    await run(wrap('headers', { customRequestHeaders: { 'X-Set': 'one' }, appendRequestHeaders: { 'X-Add': 'b', 'X-New': 'n', 'X-Set': 'two' } }, svc), {
      headers: { 'x-add': 'a' },
    });
    expect(svc.seen[0]!.headers['x-add']).toEqual(['a', 'b']);
    expect(svc.seen[0]!.headers['x-new']).toBe('n');
    expect(svc.seen[0]!.headers['x-set']).toEqual(['one', 'two']);
    const resp = await run(wrap('headers', { appendResponseHeaders: { 'Set-Cookie': 'b=2', 'X-Created': 'c' } }, respondWith(200, { 'set-cookie': ['a=1'] })));
    expect(resp.responseHeaders['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(resp.responseHeaders['x-created']).toBe('c');
  });
  test('a custom Host replaces the authority sent upstream', async () => {
    let authority = '';
    await run(
      wrap('headers', { customRequestHeaders: { Host: 'internal.example' } }, (ex) => {
        authority = ex.authority;
        ex.respond(200, {});
      }),
      { authority: 'public.example' },
    );
    expect(authority).toBe('internal.example');
  });
});

describe('headers: CORS', () => {
  const cors = {
    accessControlAllowOriginList: ['https://app.example'],
    accessControlAllowOriginListRegex: ['^https://[a-z0-9]+\\.preview\\.example$'],
    accessControlAllowMethods: ['GET', 'PUT'],
    accessControlAllowHeaders: ['X-Token', 'Content-Type'],
    accessControlExposeHeaders: ['X-Total'],
    accessControlAllowCredentials: true,
    accessControlMaxAge: 600,
    addVaryHeader: true,
  };

  test('a preflight is answered here, never forwarded', async () => {
    const svc = recordingService();
    const r = await run(wrap('headers', cors, svc), { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'PUT' } });
    expect(svc.seen).toHaveLength(0);
    expect(r.statusCode).toBe(200);
    expect(r.responseHeaders).toMatchObject({
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-methods': 'GET,PUT',
      'access-control-allow-headers': 'X-Token,Content-Type',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
  });

  test('a preflight from an origin not allowed gets no allow-origin', async () => {
    const r = await run(wrap('headers', cors, recordingService()), {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT' },
    });
    expect(r.responseHeaders['access-control-allow-origin']).toBeUndefined();
  });

  test('actual requests: allowed origins (list and regex) decorated, others not; plain OPTIONS forwarded', async () => {
    const svc = recordingService();
    const h = wrap('headers', cors, svc);
    const ok = await run(h, { headers: { Origin: 'https://pr42.preview.example' } });
    expect(ok.responseHeaders).toMatchObject({
      'access-control-allow-origin': 'https://pr42.preview.example',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'X-Total',
      vary: 'Origin',
    });
    const other = await run(h, { headers: { Origin: 'https://evil.example' } });
    expect(other.responseHeaders['access-control-allow-origin']).toBeUndefined();
    await run(h, { method: 'OPTIONS', headers: { Origin: 'https://app.example' } });
    expect(svc.seen).toHaveLength(3);
  });

  test('"*" answers "*", never echoes the origin (even with credentials); Vary appended to the backend\'s', async () => {
    const h = wrap('headers', { accessControlAllowOriginList: ['*'], accessControlAllowCredentials: true }, respondWith(200, { vary: 'Accept-Encoding' }));
    const r = await run(h, { headers: { Origin: 'https://anyone.example' } });
    expect(r.responseHeaders['access-control-allow-origin']).toBe('*');
    const v = await run(
      wrap('headers', { accessControlAllowOriginList: ['https://a.example'], addVaryHeader: true }, respondWith(200, { vary: 'Accept-Encoding' })),
      { headers: { Origin: 'https://a.example' } },
    );
    expect(v.responseHeaders.vary).toBe('Accept-Encoding, Origin');
  });
});

describe('headers: security', () => {
  const security = {
    stsSeconds: 31536000,
    stsIncludeSubdomains: true,
    stsPreload: true,
    frameDeny: true,
    contentTypeNosniff: true,
    browserXssFilter: true,
    referrerPolicy: 'no-referrer',
    contentSecurityPolicy: "default-src 'self'",
    permissionsPolicy: 'camera=()',
  };

  test('over https every configured header is set; HSTS only over https unless forced', async () => {
    const h = wrap('headers', security, recordingService());
    const s = await run(h, { scheme: 'https' });
    expect(s.responseHeaders).toMatchObject({
      'strict-transport-security': 'max-age=31536000; includeSubDomains; preload',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'x-xss-protection': '1; mode=block',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'self'",
      'permissions-policy': 'camera=()',
    });
    const plain = await run(h);
    expect(plain.responseHeaders['strict-transport-security']).toBeUndefined();
    expect(plain.responseHeaders['x-frame-options']).toBe('DENY');
    const viaProxy = await run(h, { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(viaProxy.responseHeaders['strict-transport-security']).toBeDefined();
    const forced = await run(wrap('headers', { stsSeconds: 60, forceSTSHeader: true }, recordingService()));
    expect(forced.responseHeaders['strict-transport-security']).toBe('max-age=60');
  });

  test('customFrameOptionsValue wins over frameDeny; customBrowserXSSValue over browserXssFilter', async () => {
    const r = await run(
      wrap('headers', { frameDeny: true, customFrameOptionsValue: 'SAMEORIGIN', browserXssFilter: true, customBrowserXSSValue: '0' }, recordingService()),
    );
    expect(r.responseHeaders['x-frame-options']).toBe('SAMEORIGIN');
    expect(r.responseHeaders['x-xss-protection']).toBe('0');
  });

  test('allowedHosts refuses other hosts (400); hostsProxyHeaders are consulted first; isDevelopment turns it off', async () => {
    const svc = recordingService();
    const h = wrap('headers', { allowedHosts: ['app.example'], hostsProxyHeaders: ['X-Forwarded-Host'] }, svc);
    expect((await run(h, { authority: 'app.example:8443' })).statusCode).toBe(200);
    expect((await run(h, { authority: 'other.example' })).statusCode).toBe(400);
    expect((await run(h, { authority: 'internal', headers: { 'X-Forwarded-Host': 'app.example' } })).statusCode).toBe(200);
    expect((await run(wrap('headers', { allowedHosts: ['app.example'], isDevelopment: true }, svc), { authority: 'x' })).statusCode).toBe(200);
  });

  test('validation', () => {
    expect(problems('headers', { stsSeconds: -1 })).toEqual(['http.middlewares.m.headers.stsSeconds: must be >= 0']);
    expect(problems('headers', { customRequestHeaders: { 'Bad Name': 'x' } })[0]).toMatch(/^http\.middlewares\.m\.headers\.customRequestHeaders/);
    expect(problems('headers', { customResponseHeaders: { 'X-A': 1 } })).toEqual(['http.middlewares.m.headers.customResponseHeaders.X-A: must be string']);
    expect(problems('headers', { accessControlAllowOriginListRegex: ['('] })[0]).toMatch(
      /^http\.middlewares\.m\.headers\.accessControlAllowOriginListRegex\[0\]: invalid regular expression/,
    );
    expect(problems('headers', { frameDenny: true })).toEqual(['http.middlewares.m.headers.frameDenny: unknown field']);
  });
});
