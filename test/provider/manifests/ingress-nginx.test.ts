/**
 * The ingress-nginx translation, pure: Ingresses written as ingress-nginx's
 * documentation writes them → routers, middlewares, services, one describe
 * per annotation family. Path matching and precedence are checked through
 * the real route table, so "which location answers /x" is what Portico
 * would actually do.
 */
import { describe, expect, test } from 'vitest';
import yaml from 'js-yaml';
import { convertManifests, type ManifestConversionOptions } from '../../../src/provider/manifests/convert.js';
import { complement } from '../../../src/provider/manifests/ingress-nginx/source-ranges.js';
import { buildRouteTable } from '../../../src/router/route-table.js';
import type { RequestFacts } from '../../../src/router/request-facts.js';
import { IpRangeSet } from '../../../src/net/ip-range.js';
import type { DynamicConfig } from '../../../src/dynamic/model.js';

const opts: ManifestConversionOptions = { provider: 'kubernetesingressnginx', apiGroups: [], nginxIngress: { classes: ['nginx'], withoutClass: false } };
const b64 = (s: string) => Buffer.from(s).toString('base64');

const cluster = `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec: { clusterIP: 10.96.0.10, ports: [{ name: http, port: 80, targetPort: 8080 }, { name: https, port: 443, targetPort: 8443 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-abc, namespace: shop, labels: { kubernetes.io/service-name: web } }
ports: [{ name: http, port: 8080 }, { name: https, port: 8443 }]
endpoints: [{ addresses: [10.0.0.1], conditions: { ready: true } }]
---
apiVersion: v1
kind: Service
metadata: { name: canary, namespace: shop }
spec: { clusterIP: 10.96.0.11, ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: canary-abc, namespace: shop, labels: { kubernetes.io/service-name: canary } }
ports: [{ name: http, port: 8080 }]
endpoints: [{ addresses: [10.0.0.9], conditions: { ready: true } }]
`;

function convert(text: string, extra: Partial<ManifestConversionOptions> = {}) {
  const docs = (cluster + '\n---\n' + text)
    .split(/^---$/m)
    .map((chunk) => ({ source: 'test.yaml', object: yaml.load(chunk) }))
    .filter((d) => d.object);
  return convertManifests(docs, { ...opts, ...extra });
}

/** An Ingress of class nginx in namespace shop. */
function ingress(name: string, annotations: Record<string, string>, rules: string, more = ''): string {
  return `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  namespace: shop
  annotations: ${JSON.stringify(Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k.includes('/') ? k : `nginx.ingress.kubernetes.io/${k}`, v])))}
spec:
  ingressClassName: nginx
${more}
  rules:
${rules}
`;
}
const rule = (host: string, paths: Array<[string, string?, string?]>) =>
  `  - host: ${host}
    http:
      paths:
${paths.map(([path, pathType = 'Prefix', svc = 'web']) => `        - { path: "${path}", pathType: ${pathType}, backend: { service: { name: ${svc}, port: { number: 80 } } } }`).join('\n')}`;

/** The router the real route table picks for a request. */
function routeOf(config: DynamicConfig, host: string, path: string, headers: Record<string, string> = {}): string | undefined {
  const { table, errors } = buildRouteTable(
    Object.entries(config.http.routers).map(([name, r]) => ({ name, rule: r.rule, priority: r.priority, value: name })),
  );
  expect(errors).toEqual([]);
  const facts: RequestFacts = { method: 'GET', host, path, query: '', headers, clientIp: '10.1.1.1' };
  return table.match(facts)?.value;
}
const messages = (r: ReturnType<typeof convert>) => r.errors.map((e) => `${e.path}: ${e.message}`);

describe('class selection', () => {
  test('spec.ingressClassName nginx and the legacy annotation are converted; other classes and class-less Ingresses are not', () => {
    const text = [
      ingress('a', {}, rule('a.example', [['/']])),
      ingress('b', { 'kubernetes.io/ingress.class': 'nginx' }, rule('b.example', [['/']])).replace('  ingressClassName: nginx\n', ''),
      ingress('c', {}, rule('c.example', [['/']])).replace('ingressClassName: nginx', 'ingressClassName: other'),
      ingress('d', {}, rule('d.example', [['/']])).replace('  ingressClassName: nginx\n', ''),
    ].join('\n---\n');
    const r = convert(text);
    expect(r.errors).toEqual([]);
    expect(Object.keys(r.config.http.routers).sort()).toEqual(['shop-a-a-example', 'shop-b-b-example']);
    expect(Object.keys(convert(text, { nginxIngress: { classes: ['nginx'], withoutClass: true } }).config.http.routers)).toContain('shop-d-d-example');
  });
});

describe('paths and precedence', () => {
  test("Prefix matches whole segments, ImplementationSpecific is nginx's plain prefix, Exact is exact; longer paths win", () => {
    const r = convert(
      ingress(
        'p',
        {},
        rule('p.example', [
          ['/app', 'Prefix'],
          ['/img', 'ImplementationSpecific'],
          ['/app/admin', 'Prefix'],
          ['/app/login', 'Exact'],
          ['/', 'Prefix'],
        ]),
      ),
    );
    expect(r.errors).toEqual([]);
    const c = r.config;
    expect(routeOf(c, 'p.example', '/app')).toBe('shop-p-p-example-app');
    expect(routeOf(c, 'p.example', '/app/x')).toBe('shop-p-p-example-app');
    expect(routeOf(c, 'p.example', '/apple')).toBe('shop-p-p-example');
    expect(routeOf(c, 'p.example', '/imgs')).toBe('shop-p-p-example-img');
    expect(routeOf(c, 'p.example', '/app/admin/users')).toBe('shop-p-p-example-app-admin');
    expect(routeOf(c, 'p.example', '/app/login')).toBe('shop-p-p-example-app-login');
    expect(routeOf(c, 'p.example', '/app/login/x')).toBe('shop-p-p-example-app');
    expect(routeOf(c, 'other.example', '/app')).toBeUndefined();
  });

  test('use-regex makes every path of the host, in every Ingress, a case-insensitive regex anchored at the start; the longest wins', () => {
    const r = convert(
      [
        ingress(
          're',
          { 'use-regex': 'true' },
          rule('re.example', [
            ['/api/v[0-9]+/.*', 'ImplementationSpecific'],
            ['/api/.*', 'ImplementationSpecific'],
          ]),
        ),
        ingress('plain', {}, rule('re.example', [['/static', 'Exact']])),
      ].join('\n---\n'),
    );
    expect(r.errors).toEqual([]);
    const c = r.config;
    expect(c.http.routers['shop-re-re-example-api-v-0-9']?.rule).toBe('Host(`re.example`) && PathRegexp(`(?i)^/api/v[0-9]+/.*`)');
    expect(routeOf(c, 're.example', '/API/V2/users')).toBe('shop-re-re-example-api-v-0-9');
    expect(routeOf(c, 're.example', '/api/other')).toBe('shop-re-re-example-api');
    // Exact is a regex prefix too on a regex host, as ingress-nginx writes it.
    expect(routeOf(c, 're.example', '/static/more')).toBe('shop-plain-re-example-static');
  });

  test("server-alias: more host names for every location of the Ingress's hosts; a bad one is reported", () => {
    const r = convert(ingress('al', { 'server-alias': 'www.al.example, *.al.example, not a host' }, rule('al.example', [['/x']])));
    expect(messages(r)).toEqual([expect.stringContaining('server-alias"]: "not a host" is not a host name; left out')]);
    expect(r.config.http.routers['shop-al-al-example-x']?.rule).toBe(
      '(Host(`al.example`) || Host(`www.al.example`) || HostRegexp(`^[a-zA-Z0-9-]+\\.al\\.example$`)) && (Path(`/x`) || PathPrefix(`/x/`))',
    );
    expect(routeOf(r.config, 'www.al.example', '/x')).toBe('shop-al-al-example-x');
    expect(routeOf(r.config, 'api.al.example', '/x/y')).toBe('shop-al-al-example-x');
  });

  test('a regex path Portico cannot run (PCRE lookahead) is reported and left out; the other paths serve', () => {
    const r = convert(
      ingress(
        're',
        { 'use-regex': 'true', 'rewrite-target': '/$1' },
        rule('re.example', [
          ['/(?!admin)(.*)', 'ImplementationSpecific'],
          ['/ok/(.*)', 'ImplementationSpecific'],
        ]),
      ),
    );
    expect(messages(r)).toEqual([
      expect.stringMatching(
        /^spec\.rules\[0\]\.http\.paths\[0\]\.path: "\/\(\?!admin\)\(\.\*\)" is not a regular expression Portico can run \(.*\); this path is not served$/,
      ),
    ]);
    expect(Object.keys(r.config.http.routers)).toEqual(['shop-re-re-example-ok']);
    expect(Object.keys(r.config.http.middlewares)).toHaveLength(1);
  });

  test('named hosts win over wildcard hosts, which win over rules without host; spec.defaultBackend takes what no location of its hosts matches', () => {
    const r = convert(
      [
        ingress('named', {}, rule('a.example.com', [['/x']]), '  defaultBackend: { service: { name: canary, port: { number: 80 } } }'),
        ingress('wild', {}, rule('"*.example.com"', [['/']])),
        ingress('any', {}, `  - http:\n      paths:\n        - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }`),
      ].join('\n---\n'),
    );
    expect(r.errors).toEqual([]);
    const c = r.config;
    expect(routeOf(c, 'a.example.com', '/x')).toBe('shop-named-a-example-com-x');
    expect(routeOf(c, 'a.example.com', '/y')).toBe('shop-named-a-example-com-default-backend');
    expect(routeOf(c, 'b.example.com', '/y')).toBe('shop-wild-example-com');
    expect(routeOf(c, 'elsewhere', '/y')).toBe('shop-any');
    expect(c.http.services[c.http.routers['shop-named-a-example-com-default-backend']!.service!]?.loadBalancer?.servers).toEqual([
      { url: 'http://10.0.0.9:8080' },
    ]);
  });
});

describe('rewrite-target and app-root', () => {
  test('capture groups of the path go into the target, per path, case-insensitively', () => {
    const r = convert(ingress('rw', { 'rewrite-target': '/$2', 'use-regex': 'true' }, rule('rw.example', [['/something(/|$)(.*)', 'ImplementationSpecific']])));
    expect(r.errors).toEqual([]);
    const router = r.config.http.routers['shop-rw-rw-example-something']!;
    expect(router.rule).toBe('Host(`rw.example`) && PathRegexp(`(?i)^/something(/|$)(.*)`)');
    const rewrite = r.config.http.middlewares[router.middlewares!.at(-1)!];
    expect(rewrite).toEqual({ replacePathRegex: { regex: '(?i)^/something(/|$)(.*)', replacement: '/${2}' } });
  });

  test('rewrite-target alone makes the host regex (implicit use-regex); nginx variables are refused', () => {
    const r = convert(ingress('rw', { 'rewrite-target': '/' }, rule('rw.example', [['/api', 'Prefix']])));
    expect(r.config.http.routers['shop-rw-rw-example-api']?.rule).toBe('Host(`rw.example`) && PathRegexp(`(?i)^/api`)');
    const bad = convert(ingress('rw', { 'rewrite-target': '/$request_uri' }, rule('rw.example', [['/api', 'Prefix']])));
    expect(messages(bad)).toEqual([expect.stringContaining('rewrite-target"]: nginx variables such as $request_uri are not supported')]);
    expect(bad.config.http.routers['shop-rw-rw-example-api']).toBeDefined();
  });

  test('app-root redirects / of each host with 302 before any location', () => {
    const r = convert(ingress('ar', { 'app-root': '/app1' }, rule('ar.example', [['/', 'Prefix']])));
    expect(r.errors).toEqual([]);
    const router = r.config.http.routers['shop-ar-ar-example-app-root']!;
    expect(router.rule).toBe('Host(`ar.example`) && Path(`/`)');
    expect(routeOf(r.config, 'ar.example', '/')).toBe('shop-ar-ar-example-app-root');
    expect(routeOf(r.config, 'ar.example', '/x')).toBe('shop-ar-ar-example');
    expect(r.config.http.middlewares[router.middlewares!.at(-1)!]).toEqual({
      redirectRegex: { regex: '^(https?://[^/]+)/(\\?.*)?$', replacement: '${1}/app1', permanent: false },
    });
  });
});

describe('redirects', () => {
  const tls = '  tls: [{ hosts: [secure.example], secretName: missing-cert }]';
  test('a host with TLS redirects to https by default (on every Ingress of that host); ssl-redirect "false" turns it off; force-ssl-redirect without TLS', () => {
    const r = convert(
      [
        ingress('tls', {}, rule('secure.example', [['/a']]), tls),
        ingress('other', {}, rule('secure.example', [['/b']])),
        ingress('off', { 'ssl-redirect': 'false' }, rule('secure.example', [['/c']])),
        ingress('plain', {}, rule('plain.example', [['/']])),
        ingress('forced', { 'force-ssl-redirect': 'true' }, rule('forced.example', [['/']])),
      ].join('\n---\n'),
    );
    // The missing certificate is reported; the Ingress still serves (nginx's default certificate).
    expect(messages(r)).toEqual(['spec.tls[0].secretName: no Secret shop/missing-cert; the default certificate is served for these hosts']);
    const first = (name: string) => r.config.http.routers[name]?.middlewares?.[0];
    expect(first('shop-tls-secure-example-a')).toBe('shop-tls-nginx-ssl-redirect');
    expect(first('shop-other-secure-example-b')).toBe('shop-other-nginx-ssl-redirect');
    expect(first('shop-off-secure-example-c')).toBeUndefined();
    expect(first('shop-plain-plain-example')).toBeUndefined();
    expect(first('shop-forced-forced-example')).toBe('shop-forced-nginx-ssl-redirect');
    expect(r.config.http.middlewares['shop-tls-nginx-ssl-redirect']).toEqual({ redirectScheme: { scheme: 'https', permanent: true } });
  });

  test('permanent-redirect (301/308 → permanent) wins over temporal-redirect; a bad code is reported and the default used', () => {
    const r = convert(
      ingress('pr', { 'permanent-redirect': 'https://www.example.com/new?a=$1', 'temporal-redirect': 'https://t.example' }, rule('pr.example', [['/']])),
    );
    expect(r.errors).toEqual([]);
    expect(r.config.http.middlewares['shop-pr-nginx-redirect']).toEqual({
      redirectRegex: { regex: '^.*$', replacement: 'https://www.example.com/new?a=$$1', permanent: true },
    });
    const t = convert(ingress('tr', { 'temporal-redirect': 'https://t.example/', 'temporal-redirect-code': '399' }, rule('tr.example', [['/']])));
    expect(messages(t)).toEqual([
      expect.stringContaining('temporal-redirect-code"]: must be a redirect status (301, 302, 303, 307 or 308), got 399; 302 is used'),
    ]);
    expect(t.config.http.middlewares['shop-tr-nginx-redirect']).toMatchObject({ redirectRegex: { permanent: false } });
  });
});

describe('cors', () => {
  test('enable-cors with ingress-nginx defaults; origins with a wildcard subdomain become a regex', () => {
    const r = convert(ingress('c', { 'enable-cors': 'true' }, rule('c.example', [['/']])));
    expect(r.errors).toEqual([]);
    expect(r.config.http.middlewares['shop-c-nginx-cors']).toEqual({
      headers: {
        accessControlAllowOriginList: ['*'],
        accessControlAllowMethods: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'],
        accessControlAllowHeaders: [
          'DNT',
          'Keep-Alive',
          'User-Agent',
          'X-Requested-With',
          'If-Modified-Since',
          'Cache-Control',
          'Content-Type',
          'Range',
          'Authorization',
        ],
        accessControlAllowCredentials: true,
        accessControlMaxAge: 1728000,
      },
    });
    const custom = convert(
      ingress(
        'c',
        {
          'enable-cors': 'true',
          'cors-allow-origin': 'https://app.example, https://*.example.org, nonsense',
          'cors-allow-methods': 'GET, post',
          'cors-expose-headers': 'X-Total',
          'cors-allow-credentials': 'false',
          'cors-max-age': '60',
        },
        rule('c.example', [['/']]),
      ),
    );
    expect(messages(custom)).toEqual([expect.stringContaining('"nonsense" is not an origin')]);
    expect(custom.config.http.middlewares['shop-c-nginx-cors']).toMatchObject({
      headers: {
        accessControlAllowOriginList: ['https://app.example'],
        accessControlAllowOriginListRegex: ['^https://[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.example\\.org$'],
        accessControlAllowMethods: ['GET', 'POST'],
        accessControlExposeHeaders: ['X-Total'],
        accessControlAllowCredentials: false,
        accessControlMaxAge: 60,
      },
    });
  });

  test('cors-* without enable-cors is reported, not silently dropped', () => {
    const r = convert(ingress('c', { 'cors-allow-origin': 'https://a.example' }, rule('c.example', [['/']])));
    expect(messages(r)).toEqual([expect.stringContaining('cors-allow-origin"]: has no effect without nginx.ingress.kubernetes.io/enable-cors')]);
  });
});

describe('source ranges', () => {
  test('allowlist (and its old name) → ipAllowList; denylist → the complement, checked first', () => {
    const r = convert(
      ingress('s', { 'allowlist-source-range': '10.0.0.0/8, 192.168.1.1', 'denylist-source-range': '10.1.0.0/16' }, rule('s.example', [['/']])),
    );
    expect(r.errors).toEqual([]);
    const router = r.config.http.routers['shop-s-s-example']!;
    expect(router.middlewares).toEqual(['shop-s-nginx-source-range-0', 'shop-s-nginx-source-range-1']);
    const deny = new IpRangeSet((r.config.http.middlewares['shop-s-nginx-source-range-0']!.ipAllowList as { sourceRange: string[] }).sourceRange);
    expect(deny.contains('10.1.2.3')).toBe(false);
    expect(deny.contains('10.2.0.1')).toBe(true);
    expect(deny.contains('2001:db8::1')).toBe(true);
    expect(r.config.http.middlewares['shop-s-nginx-source-range-1']).toEqual({ ipAllowList: { sourceRange: ['10.0.0.0/8', '192.168.1.1'] } });
    const old = convert(ingress('s', { 'whitelist-source-range': '10.0.0.0/8' }, rule('s.example', [['/']])));
    expect(old.config.http.middlewares['shop-s-nginx-source-range-0']).toEqual({ ipAllowList: { sourceRange: ['10.0.0.0/8'] } });
  });

  test('the complement of a range covers exactly every other address', () => {
    const set = new IpRangeSet(complement(['10.0.0.0/8', '2001:db8::/32', '0.0.0.0/32']));
    for (const [ip, inside] of [
      ['10.0.0.0', false],
      ['10.255.255.255', false],
      ['9.255.255.255', true],
      ['11.0.0.0', true],
      ['0.0.0.0', false],
      ['0.0.0.1', true],
      ['255.255.255.255', true],
      ['2001:db8::1', false],
      ['2001:db9::', true],
      ['::', true],
    ] as const)
      expect([ip, set.contains(ip)]).toEqual([ip, inside]);
    expect(complement(['0.0.0.0/0']).every((c) => c.includes(':'))).toBe(true);
  });

  test('a bad entry is reported and left out', () => {
    const r = convert(ingress('s', { 'allowlist-source-range': '10.0.0.0/8, 300.1.1.1' }, rule('s.example', [['/']])));
    expect(messages(r)).toEqual([expect.stringContaining('"300.1.1.1" is not an IP address or CIDR range; left out')]);
    expect(r.config.http.middlewares['shop-s-nginx-source-range-0']).toEqual({ ipAllowList: { sourceRange: ['10.0.0.0/8'] } });
  });
});

describe('authentication', () => {
  const htpasswd = 'foo:$apr1$Xyz$abcdefghijklmnopqrstu/\n';
  const secret = (name: string, data: Record<string, string>) => `
apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: shop }
type: Opaque
data: ${JSON.stringify(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])))}
`;
  test('auth-type basic with an auth-file secret and a realm', () => {
    const r = convert(
      [
        secret('basic-auth', { auth: htpasswd }),
        ingress('b', { 'auth-type': 'basic', 'auth-secret': 'basic-auth', 'auth-realm': 'Authentication Required - foo' }, rule('b.example', [['/']])),
      ].join('\n---\n'),
    );
    expect(r.errors).toEqual([]);
    expect(r.config.http.middlewares['shop-b-nginx-auth']).toEqual({
      basicAuth: { users: ['foo:$apr1$Xyz$abcdefghijklmnopqrstu/'], realm: 'Authentication Required - foo' },
    });
  });

  test('auth-map secrets, digest, and a missing secret that closes the door (503) rather than opening it', () => {
    const r = convert(
      [
        secret('map', { alice: '$apr1$a$b', bob: '{SHA}x' }),
        ingress('m', { 'auth-type': 'basic', 'auth-secret': 'shop/map', 'auth-secret-type': 'auth-map' }, rule('m.example', [['/']])),
      ].join('\n---\n'),
    );
    expect(r.config.http.middlewares['shop-m-nginx-auth']).toEqual({ basicAuth: { users: ['alice:$apr1$a$b', 'bob:{SHA}x'] } });
    const d = convert(
      [
        secret('dig', { auth: 'u:realm:0123456789abcdef0123456789abcdef' }),
        ingress('d', { 'auth-type': 'digest', 'auth-secret': 'dig' }, rule('d.example', [['/']])),
      ].join('\n---\n'),
    );
    expect(d.config.http.middlewares['shop-d-nginx-auth']).toEqual({ digestAuth: { users: ['u:realm:0123456789abcdef0123456789abcdef'] } });
    const missing = convert(ingress('x', { 'auth-type': 'basic', 'auth-secret': 'nope' }, rule('x.example', [['/']])));
    expect(messages(missing)).toEqual([expect.stringContaining('no Secret shop/nope; every request is answered 503')]);
    expect(missing.config.http.middlewares['shop-x-nginx-auth']).toEqual({ ipAllowList: { sourceRange: ['255.255.255.255/32'], rejectStatusCode: 503 } });
  });

  test('a user whose hash Portico cannot check (crypt) is reported and left out; with none left the door stays closed', () => {
    const r = convert(
      [
        secret('mixed', { auth: 'old:abJnggxhB/yWI\nfoo:$apr1$Xyz$abcdefghijklmnopqrstu/\n' }),
        ingress('mx', { 'auth-type': 'basic', 'auth-secret': 'mixed' }, rule('mx.example', [['/']])),
      ].join('\n---\n'),
    );
    expect(messages(r)).toEqual([expect.stringContaining('Secret shop/mixed: "old" has a password hash Portico cannot check')]);
    expect(r.config.http.middlewares['shop-mx-nginx-auth']).toEqual({ basicAuth: { users: ['foo:$apr1$Xyz$abcdefghijklmnopqrstu/'] } });
    const none = convert(
      [secret('crypt', { auth: 'old:abJnggxhB/yWI\n' }), ingress('cr', { 'auth-type': 'basic', 'auth-secret': 'crypt' }, rule('cr.example', [['/']]))].join(
        '\n---\n',
      ),
    );
    expect(none.config.http.middlewares['shop-cr-nginx-auth']).toEqual({ ipAllowList: { sourceRange: ['255.255.255.255/32'], rejectStatusCode: 503 } });
  });

  test('auth-url → forwardAuth with auth-response-headers, auth-signin → authSignin before it; other methods are reported', () => {
    const r = convert(
      ingress(
        'f',
        {
          'auth-url': 'http://auth.shop.svc/verify',
          'auth-response-headers': 'X-User, X-Email',
          'auth-method': 'POST',
          'auth-signin': 'https://login.example/start',
        },
        rule('f.example', [['/']]),
      ),
    );
    expect(r.config.http.middlewares['shop-f-nginx-forward-auth']).toEqual({
      forwardAuth: { address: 'http://auth.shop.svc/verify', authResponseHeaders: ['X-User', 'X-Email'] },
    });
    // auth-signin was refused before the errors middleware and authSignin existed (on purpose: it is served now).
    expect(r.config.http.middlewares['shop-f-nginx-auth-signin']).toEqual({ authSignin: { url: 'https://login.example/start' } });
    const chain = r.config.http.routers[Object.keys(r.config.http.routers)[0]!]!.middlewares!;
    expect(chain.indexOf('shop-f-nginx-auth-signin')).toBe(chain.indexOf('shop-f-nginx-forward-auth') - 1);
    expect(messages(r).sort()).toEqual([expect.stringContaining('auth-method"]: only GET is supported')]);
  });

  test('auth-signin: redirect param kept; without auth-url, or with an unknown nginx variable, it is reported and left out', () => {
    const r = convert(
      [
        ingress(
          'p',
          { 'auth-url': 'http://auth/v', 'auth-signin': 'https://login.example/start?rd=$scheme://$host$request_uri', 'auth-signin-redirect-param': 'next' },
          rule('p.example', [['/']]),
        ),
        ingress('alone', { 'auth-signin': 'https://login.example/' }, rule('alone.example', [['/']])),
        ingress('var', { 'auth-url': 'http://auth/v', 'auth-signin': 'https://login.example/?u=$remote_user' }, rule('var.example', [['/']])),
      ].join('\n---\n'),
    );
    expect(r.config.http.middlewares['shop-p-nginx-auth-signin']).toEqual({
      authSignin: { url: 'https://login.example/start?rd=$scheme://$host$request_uri', redirectParam: 'next' },
    });
    expect(r.config.http.middlewares['shop-alone-nginx-auth-signin']).toBeUndefined();
    expect(r.config.http.middlewares['shop-var-nginx-auth-signin']).toBeUndefined();
    expect(messages(r).sort()).toEqual([
      expect.stringContaining('auth-signin"]: has no effect without nginx.ingress.kubernetes.io/auth-url'),
      expect.stringContaining('auth-signin"]: must be an http(s) URL (nginx variable $remote_user is not supported'),
    ]);
  });
});

describe('backends', () => {
  test('backend-protocol HTTPS does not verify the backend (as nginx), proxy-ssl-* tunes it, timeouts go into the same ServersTransport', () => {
    const r = convert(
      [
        `apiVersion: v1\nkind: Secret\nmetadata: { name: backend-ca, namespace: shop }\ndata: { ca.crt: ${b64('-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n')} }`,
        ingress(
          'tls',
          {
            'backend-protocol': 'HTTPS',
            'proxy-ssl-secret': 'shop/backend-ca',
            'proxy-ssl-verify': 'on',
            'proxy-ssl-name': 'web.internal',
            'proxy-connect-timeout': '3',
            'proxy-read-timeout': '120',
          },
          `  - host: t.example\n    http:\n      paths:\n        - { path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 443 } } } }`,
        ),
      ].join('\n---\n'),
    );
    expect(r.errors).toEqual([]);
    const service = r.config.http.services[r.config.http.routers['shop-tls-t-example']!.service!]!;
    expect(service.loadBalancer).toEqual({ servers: [{ url: 'https://10.0.0.1:8443' }], serversTransport: 'shop-tls-nginx-transport' });
    expect(r.config.http.serversTransports['shop-tls-nginx-transport']).toEqual({
      serverName: 'web.internal',
      rootCAs: ['-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n'],
      forwardingTimeouts: { dialTimeout: '3s', responseHeaderTimeout: '120s' },
    });
    const plain = convert(ingress('h', { 'backend-protocol': 'HTTPS' }, rule('h.example', [['/']])));
    expect(plain.config.http.serversTransports['shop-h-nginx-transport']).toEqual({ insecureSkipVerify: true });
  });

  test('GRPC is h2c, GRPCS is h2 over TLS; proxy-ssl-* without TLS and proxy-send-timeout are reported', () => {
    const g = convert(ingress('g', { 'backend-protocol': 'GRPC', 'proxy-ssl-verify': 'on', 'proxy-send-timeout': '30' }, rule('g.example', [['/']])));
    expect(g.config.http.services[g.config.http.routers['shop-g-g-example']!.service!]!.loadBalancer!.servers).toEqual([{ url: 'h2c://10.0.0.1:8080' }]);
    expect(messages(g).sort()).toEqual([
      expect.stringContaining('proxy-send-timeout"]: is not supported'),
      expect.stringContaining('proxy-ssl-verify"]: has no effect unless backend-protocol is HTTPS or GRPCS'),
    ]);
    const gs = convert(ingress('gs', { 'backend-protocol': 'GRPCS' }, rule('gs.example', [['/']])));
    expect(gs.config.http.serversTransports['shop-gs-nginx-transport']).toEqual({ http2: true, insecureSkipVerify: true });
  });

  test("affinity: cookie → sticky cookie with ingress-nginx's name and flags; upstream-vhost sets Host", () => {
    const r = convert(
      ingress(
        'st',
        {
          affinity: 'cookie',
          'session-cookie-name': 'route',
          'session-cookie-max-age': '172800',
          'session-cookie-samesite': 'Strict',
          'session-cookie-secure': 'true',
          'upstream-vhost': 'internal.example',
        },
        rule('st.example', [['/']]),
      ),
    );
    expect(r.errors).toEqual([]);
    const router = r.config.http.routers['shop-st-st-example']!;
    expect(r.config.http.services[router.service!]!.loadBalancer!.sticky).toEqual({
      cookie: { name: 'route', httpOnly: true, maxAge: 172800, secure: true, sameSite: 'strict' },
    });
    expect(r.config.http.middlewares['shop-st-nginx-request-headers']).toEqual({ headers: { customRequestHeaders: { Host: 'internal.example' } } });
    const d = convert(ingress('st', { affinity: 'cookie' }, rule('st.example', [['/']])));
    expect(d.config.http.services[d.config.http.routers['shop-st-st-example']!.service!]!.loadBalancer!.sticky).toEqual({
      cookie: { name: 'INGRESSCOOKIE', httpOnly: true },
    });
  });
});

describe('limits', () => {
  test('proxy-body-size → buffering limit (0: none); limit-rps/rpm with the burst multiplier; limit-connections', () => {
    const r = convert(
      ingress(
        'l',
        { 'proxy-body-size': '8m', 'limit-rps': '10', 'limit-rpm': '300', 'limit-burst-multiplier': '3', 'limit-connections': '4' },
        rule('l.example', [['/']]),
      ),
    );
    expect(r.errors).toEqual([]);
    const mw = r.config.http.middlewares;
    expect(mw['shop-l-nginx-body-size']).toEqual({ buffering: { maxRequestBodyBytes: 8 * 1024 * 1024 } });
    expect(mw['shop-l-nginx-limit-0']).toEqual({ rateLimit: { average: 10, period: '1s', burst: 30 } });
    expect(mw['shop-l-nginx-limit-1']).toEqual({ rateLimit: { average: 300, period: '1m', burst: 900 } });
    expect(mw['shop-l-nginx-limit-2']).toEqual({ inFlightReq: { amount: 4 } });
    const none = convert(ingress('l', { 'proxy-body-size': '0' }, rule('l.example', [['/']])));
    expect(none.config.http.middlewares).toEqual({});
    const bad = convert(ingress('l', { 'proxy-body-size': 'lots', 'limit-rps': 'fast' }, rule('l.example', [['/']])));
    expect(messages(bad).sort()).toEqual([
      expect.stringContaining('limit-rps"]: must be a whole number >= 1, got "fast"'),
      expect.stringContaining('proxy-body-size"]: must be a size such as 8m'),
    ]);
  });
});

describe('canary', () => {
  const main = ingress('main', { 'enable-cors': 'true' }, rule('c.example', [['/']]));
  test("canary-weight: a weighted service of main and canary on the main location, with the main's middlewares", () => {
    const r = convert([main, ingress('can', { canary: 'true', 'canary-weight': '30' }, rule('c.example', [['/', 'Prefix', 'canary']]))].join('\n---\n'));
    expect(r.errors).toEqual([]);
    const weighted = r.config.http.routers['shop-can-c-example-canary-weight']!;
    expect(weighted.middlewares).toEqual(['shop-main-nginx-cors']);
    expect(r.config.http.services[weighted.service!]).toEqual({
      weighted: {
        services: [
          { name: 'shop-web-80', weight: 70 },
          { name: 'shop-canary-80', weight: 30 },
        ],
      },
    });
    expect(routeOf(r.config, 'c.example', '/x')).toBe('shop-can-c-example-canary-weight');
  });

  test('canary-by-header (always/never, or a value) beats canary-by-cookie, which beats the weight', () => {
    const r = convert(
      [
        main,
        ingress(
          'can',
          { canary: 'true', 'canary-by-header': 'X-Canary', 'canary-by-cookie': 'beta', 'canary-weight': '0' },
          rule('c.example', [['/', 'Prefix', 'canary']]),
        ),
      ].join('\n---\n'),
    );
    expect(r.errors).toEqual([]);
    const c = r.config;
    const to = (headers: Record<string, string>) => c.http.routers[routeOf(c, 'c.example', '/', headers)!]!.service;
    expect(to({})).toBe('shop-web-80');
    expect(to({ 'x-canary': 'always' })).toBe('shop-canary-80');
    expect(to({ 'x-canary': 'never', cookie: 'beta=always' })).toBe('shop-web-80');
    expect(to({ cookie: 'a=1; beta=always' })).toBe('shop-canary-80');
    expect(to({ cookie: 'beta=never' })).toBe('shop-web-80');
    const v = convert(
      [
        main,
        ingress('can', { canary: 'true', 'canary-by-header': 'X-Region', 'canary-by-header-value': 'eu' }, rule('c.example', [['/', 'Prefix', 'canary']])),
      ].join('\n---\n'),
    );
    expect(v.config.http.routers[routeOf(v.config, 'c.example', '/', { 'x-region': 'eu' })!]!.service).toBe('shop-canary-80');
    expect(v.config.http.routers[routeOf(v.config, 'c.example', '/', { 'x-region': 'us' })!]!.service).toBe('shop-web-80');
  });

  test('a canary without a main location, and non-canary annotations on a canary, are reported', () => {
    const r = convert(
      [main, ingress('can', { canary: 'true', 'canary-weight': '10', 'enable-cors': 'true' }, rule('c.example', [['/other', 'Prefix', 'canary']]))].join(
        '\n---\n',
      ),
    );
    expect(messages(r).sort()).toEqual([
      expect.stringContaining('enable-cors"]: is ignored on a canary Ingress'),
      expect.stringContaining('no main (non-canary) nginx Ingress serves host "c.example" path "/other"'),
    ]);
  });
});

describe('refused and unknown annotations', () => {
  test('snippets are never executed; unknown annotations, custom-http-errors without default-backend and ssl-passthrough without enableSSLPassthrough are reported; the Ingress keeps serving', () => {
    const r = convert(
      ingress(
        'r',
        {
          'configuration-snippet': 'more_set_headers "X: y";',
          'server-snippet': 'location /x {}',
          'custom-http-errors': '404,503',
          'ssl-passthrough': 'true',
          'made-up': 'x',
          'enable-cors': 'maybe',
        },
        rule('r.example', [['/']]),
      ),
    );
    expect(messages(r)).toHaveLength(6);
    expect(messages(r)).toEqual(
      expect.arrayContaining([
        'metadata.annotations["nginx.ingress.kubernetes.io/configuration-snippet"]: nginx configuration snippets are never executed by Portico; express this with a Middleware',
        expect.stringContaining('custom-http-errors"]: needs default-backend on the same Ingress'),
        'metadata.annotations["nginx.ingress.kubernetes.io/enable-cors"]: must be "true" or "false", got "maybe"; ignored',
        'metadata.annotations["nginx.ingress.kubernetes.io/made-up"]: is not an ingress-nginx annotation Portico knows; ignored (see docs/migrating-from-ingress-nginx.md)',
        'metadata.annotations["nginx.ingress.kubernetes.io/server-snippet"]: nginx configuration snippets are never executed by Portico; express this with a Middleware',
        expect.stringContaining('ssl-passthrough"]: is ignored: enableSSLPassthrough is off'),
      ]),
    );
    expect(r.config.http.routers['shop-r-r-example']).toBeDefined();
    expect(r.errors.every((e) => e.source === 'test.yaml (shop/Ingress/r)')).toBe(true);
  });
});

describe('ssl-passthrough and custom-http-errors', () => {
  test('with enableSSLPassthrough: one TCP passthrough router per host, to the backend of its "/" path, on the HTTPS entrypoint', () => {
    const r = convert(ingress('p', { 'ssl-passthrough': 'true' }, rule('p.example', [['/'], ['/api']])), {
      nginxIngress: { classes: ['nginx'], withoutClass: false, sslPassthrough: true, httpsEntryPoint: 'websecure' },
    });
    expect(messages(r)).toEqual([]);
    expect(r.config.tcp!.routers).toEqual({
      'shop-p-p-example-ssl-passthrough': {
        rule: 'HostSNI(`p.example`)',
        service: 'shop-p-p-example-ssl-passthrough',
        tls: { passthrough: true },
        entryPoints: ['websecure'],
      },
    });
    expect(r.config.tcp!.services['shop-p-p-example-ssl-passthrough']).toEqual({ loadBalancer: { servers: [{ address: '10.0.0.1:8080' }] } });
    // Plain HTTP keeps its routers.
    expect(r.config.http.routers['shop-p-p-example']).toBeDefined();
  });

  test('a custom-http-errors code that is not a status, and a default-backend Service that does not exist, are reported', () => {
    const bad = convert(ingress('e', { 'custom-http-errors': '404,oops', 'default-backend': 'web' }, rule('e.example', [['/']])));
    expect(messages(bad)).toEqual([expect.stringContaining('custom-http-errors"]: "oops" is not an HTTP status code')]);
    expect(Object.keys(bad.config.http.middlewares).filter((m) => m.includes('errors'))).toEqual([]);
    const missing = convert(ingress('m', { 'custom-http-errors': '404', 'default-backend': 'nowhere' }, rule('m.example', [['/']])));
    expect(messages(missing)).toEqual([expect.stringContaining('default-backend"]: no Service shop/nowhere; ignored')]);
  });
});
