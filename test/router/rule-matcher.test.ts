import { describe, expect, test } from 'vitest';
import { parseRule } from '../../src/router/rule-parser.js';
import { compileRule, compileRuleForHost } from '../../src/router/rule-matcher.js';
import type { RequestFacts } from '../../src/router/request-facts.js';

const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  method: 'GET',
  host: 'a.example.com',
  path: '/api/v1/users',
  query: 'debug=1&flag&empty=&tag=x&tag=y%20z&plus=a+b',
  headers: { 'x-env': 'prod', accept: ['text/html', 'application/json'] },
  clientIp: '10.1.2.3',
  ...over,
});
const matches = (rule: string, f = facts()) => compileRule(parseRule(rule))(f);

describe('matchers', () => {
  test('Host: exact, case-insensitive, trailing dot ignored, IPv6 with or without brackets', () => {
    expect(matches('Host(`a.example.com`)')).toBe(true);
    expect(matches('Host(`A.Example.COM`)')).toBe(true);
    expect(matches('Host(`a.example.com.`)')).toBe(true);
    expect(matches('Host(`example.com`)')).toBe(false);
    expect(matches('Host(`b.example.com`)')).toBe(false);
    expect(matches('Host(`x.a.example.com`)')).toBe(false);
    expect(matches('Host(`[::1]`)', facts({ host: '::1' }))).toBe(true);
    expect(matches('Host(`::1`)', facts({ host: '::1' }))).toBe(true);
  });

  test('HostRegexp: Go syntax, unanchored unless anchored', () => {
    expect(matches('HostRegexp(`^[a-z]+\\.example\\.com$`)')).toBe(true);
    expect(matches('HostRegexp(`example`)')).toBe(true);
    expect(matches('HostRegexp(`^example`)')).toBe(false);
    expect(matches('HostRegexp(`(?i)^A\\.EXAMPLE`)')).toBe(true);
    expect(matches('HostRegexp(`^(?P<sub>[a-z]+)\\.example\\.com$`)')).toBe(true);
    expect(matches('HostRegexp(`^[[:alpha:]]\\.`)')).toBe(true);
  });

  test('Path, PathPrefix, PathRegexp', () => {
    expect(matches('Path(`/api/v1/users`)')).toBe(true);
    expect(matches('Path(`/api/v1/users/`)')).toBe(false);
    expect(matches('Path(`/api`)')).toBe(false);
    expect(matches('PathPrefix(`/api`)')).toBe(true);
    expect(matches('PathPrefix(`/ap`)')).toBe(true); // a prefix, not a segment match, as in Traefik
    expect(matches('PathPrefix(`/`)')).toBe(true);
    expect(matches('PathPrefix(`/API`)')).toBe(false);
    expect(matches('PathRegexp(`^/api/v[0-9]+/(?P<res>\\w+)$`)')).toBe(true);
    expect(matches('PathRegexp(`users`)')).toBe(true);
    expect(matches('PathRegexp(`^users`)')).toBe(false);
  });

  test('Path arguments are compared in the encoding requests are normalised to', () => {
    const cafe = facts({ path: '/caf%C3%A9/x' });
    expect(matches('PathPrefix(`/café`)', cafe)).toBe(true);
    expect(matches('PathPrefix(`/caf%c3%a9`)', cafe)).toBe(true);
    expect(matches('Path(`/caf%C3%A9/x`)', cafe)).toBe(true);
    expect(matches('Path(`/%61pi/v1/users`)')).toBe(true);
    expect(matches('Path(`/a b`)', facts({ path: '/a%20b' }))).toBe(true);
  });

  test('Method: one method, compared upper-case', () => {
    expect(matches('Method(`GET`)')).toBe(true);
    expect(matches('Method(`get`)')).toBe(true);
    expect(matches('Method(`POST`)')).toBe(false);
    expect(matches('Method(`PURGE`)', facts({ method: 'PURGE' }))).toBe(true);
  });

  test('Header and HeaderRegexp: name case-insensitive, each value compared on its own', () => {
    expect(matches('Header(`X-Env`, `prod`)')).toBe(true);
    expect(matches('Header(`x-env`, `prod`)')).toBe(true);
    expect(matches('Header(`X-Env`, `Prod`)')).toBe(false);
    expect(matches('Header(`X-Env`, `pro`)')).toBe(false);
    expect(matches('Header(`Accept`, `application/json`)')).toBe(true);
    expect(matches('Header(`Accept`, `text/html`)')).toBe(true);
    expect(matches('Header(`Missing`, ``)')).toBe(false);
    expect(matches('HeaderRegexp(`X-Env`, `^pr`)')).toBe(true);
    expect(matches('HeaderRegexp(`Accept`, `json$`)')).toBe(true);
    expect(matches('HeaderRegexp(`Accept`, `^xml`)')).toBe(false);
    expect(matches('HeaderRegexp(`Missing`, `.*`)')).toBe(false);
  });

  test('Query and QueryRegexp follow Traefik v3 (Go url.ParseQuery)', () => {
    expect(matches('Query(`debug`, `1`)')).toBe(true);
    expect(matches('Query(`debug`, `2`)')).toBe(false);
    expect(matches('Query(`tag`, `x`)')).toBe(true);
    expect(matches('Query(`tag`, `y z`)')).toBe(true);
    expect(matches('Query(`plus`, `a b`)')).toBe(true);
    // One argument is the empty value, as Traefik v3's Query(key) compares with "".
    expect(matches('Query(`flag`)')).toBe(true);
    expect(matches('Query(`empty`)')).toBe(true);
    expect(matches('Query(`debug`)')).toBe(false);
    expect(matches('Query(`nope`)')).toBe(false);
    expect(matches('QueryRegexp(`tag`, `^y`)')).toBe(true);
    expect(matches('QueryRegexp(`tag`, `^q`)')).toBe(false);
    expect(matches('QueryRegexp(`debug`, ``)')).toBe(true); // "present with any value"
    expect(matches('QueryRegexp(`flag`)')).toBe(true);
    expect(matches('Query(`k`, `v`)', facts({ query: '' }))).toBe(false);
  });

  test('ClientIP: address or CIDR, IPv4, IPv6 and mapped', () => {
    expect(matches('ClientIP(`10.0.0.0/8`)')).toBe(true);
    expect(matches('ClientIP(`10.1.2.3`)')).toBe(true);
    expect(matches('ClientIP(`10.1.2.4`)')).toBe(false);
    expect(matches('ClientIP(`192.168.0.0/16`)')).toBe(false);
    expect(matches('ClientIP(`::ffff:10.0.0.0/104`)', facts({ clientIp: '10.9.9.9' }))).toBe(true);
    expect(matches('ClientIP(`10.0.0.0/8`)', facts({ clientIp: '::ffff:10.9.9.9' }))).toBe(true);
    expect(matches('ClientIP(`2001:db8::/32`)', facts({ clientIp: '2001:db8::1' }))).toBe(true);
    expect(matches('ClientIP(`2001:db8::/32`)', facts({ clientIp: '2001:db9::1' }))).toBe(false);
    expect(matches('ClientIP(`::/0`)', facts({ clientIp: '10.1.2.3' }))).toBe(false);
  });
});

describe('operators', () => {
  test('! binds tighter than &&, && tighter than ||; parentheses override', () => {
    // true || (false && false) = true; (true || false) && false = false
    expect(matches('Host(`a.example.com`) || Method(`POST`) && Path(`/none`)')).toBe(true);
    expect(matches('(Host(`a.example.com`) || Method(`POST`)) && Path(`/none`)')).toBe(false);
    // (false && true) || true = true; false && (true || true) = false
    expect(matches('Method(`POST`) && Host(`a.example.com`) || PathPrefix(`/api`)')).toBe(true);
    expect(matches('Method(`POST`) && (Host(`a.example.com`) || PathPrefix(`/api`))')).toBe(false);
    // (!true) && x = false; !(true && false) = true
    expect(matches('!Method(`GET`) && Path(`/none`)')).toBe(false);
    expect(matches('!(Method(`GET`) && Path(`/none`))')).toBe(true);
    expect(matches('!Method(`POST`) && PathPrefix(`/api`)')).toBe(true);
    expect(matches('!!Method(`GET`)')).toBe(true);
    expect(matches('Host("a.example.com") && !Header(`X-Env`, `dev`)')).toBe(true);
  });

  test('compiled matchers agree with a direct evaluation of the same tree (randomised, bounded)', () => {
    const leaves: Array<[string, boolean]> = [
      ['Host(`a.example.com`)', true],
      ['Host(`b`)', false],
      ['Method(`GET`)', true],
      ['Method(`PUT`)', false],
      ['PathPrefix(`/api`)', true],
      ['Path(`/x`)', false],
    ];
    let seed = 3;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const gen = (depth: number): [string, boolean] => {
      const k = depth > 3 ? 0 : rnd(4);
      if (k === 0) return leaves[rnd(leaves.length)]!;
      if (k === 1) {
        const [r, v] = gen(depth + 1);
        return [`!(${r})`, !v];
      }
      const [l, lv] = gen(depth + 1);
      const [r, rv] = gen(depth + 1);
      return k === 2 ? [`(${l}) && (${r})`, lv && rv] : [`(${l}) || (${r})`, lv || rv];
    };
    for (let i = 0; i < 500; i++) {
      const [rule, expected] = gen(0);
      expect(matches(rule), rule).toBe(expected);
    }
  });
});

describe('compileRuleForHost', () => {
  const fold = (rule: string, host: string) => compileRuleForHost(parseRule(rule), host);
  test('Host tests are decided for a known host; what is left is a matcher or a constant', () => {
    expect(fold('Host(`a.example.com`)', 'a.example.com')).toBe(true);
    expect(fold('Host(`A.example.com.`)', 'a.example.com')).toBe(true);
    expect(fold('Host(`b`)', 'a.example.com')).toBe(false);
    expect(fold('Host(`a`) && Host(`b`)', 'a')).toBe(false);
    expect(fold('Host(`a`) || Host(`b`)', 'b')).toBe(true);
    expect(fold('!Host(`a`)', 'a')).toBe(false);
    expect(fold('Host(`a`) || PathPrefix(`/x`)', 'a')).toBe(true);
    const rest = fold('Host(`a.example.com`) && PathPrefix(`/api`)', 'a.example.com');
    expect(typeof rest).toBe('function');
    expect((rest as (f: RequestFacts) => boolean)(facts())).toBe(true);
    expect((rest as (f: RequestFacts) => boolean)(facts({ path: '/web' }))).toBe(false);
    const orRest = fold('Host(`b`) || PathPrefix(`/api`)', 'a.example.com');
    expect((orRest as (f: RequestFacts) => boolean)(facts())).toBe(true);
  });

  test('folded and generic matchers agree on requests for that host (randomised, bounded)', () => {
    const leaves = ['Host(`a.example.com`)', 'Host(`b`)', 'Method(`GET`)', 'PathPrefix(`/api`)', 'Path(`/x`)', 'HostRegexp(`^a`)'];
    let seed = 17;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const gen = (depth: number): string => {
      const k = depth > 3 ? 0 : rnd(4);
      if (k === 0) return leaves[rnd(leaves.length)]!;
      if (k === 1) return `!(${gen(depth + 1)})`;
      return `(${gen(depth + 1)}) ${k === 2 ? '&&' : '||'} (${gen(depth + 1)})`;
    };
    const requests = [facts(), facts({ method: 'POST' }), facts({ path: '/x' }), facts({ path: '/x', method: 'PUT' })];
    for (let i = 0; i < 400; i++) {
      const rule = gen(0);
      const generic = compileRule(parseRule(rule));
      const folded = compileRuleForHost(parseRule(rule), 'a.example.com');
      for (const f of requests) expect(typeof folded === 'boolean' ? folded : folded(f), rule).toBe(generic(f));
    }
  });
});
