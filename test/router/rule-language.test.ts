import { describe, expect, test } from 'vitest';
import { parseRule, RuleSyntaxError } from '../../src/router/rule-parser.js';
import { compileRule } from '../../src/router/rule-matcher.js';
import { hostsOfRule } from '../../src/router/rule-hosts.js';
import type { RequestFacts } from '../../src/router/request-facts.js';

const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  method: 'GET',
  host: 'a.example.com',
  path: '/api/v1/users',
  query: 'debug=1&tag=x&tag=y%20z',
  headers: { 'x-env': 'prod', accept: ['text/html', 'application/json'] },
  clientIp: '10.1.2.3',
  ...over,
});
const matches = (rule: string, f = facts()) => compileRule(parseRule(rule))(f);

describe('Traefik v3 rule language', () => {
  test('every matcher', () => {
    expect(matches('Host(`A.Example.com`)')).toBe(true);
    expect(matches('Host(`a.example.com.`)')).toBe(true);
    expect(matches('Host(`b.example.com`)')).toBe(false);
    expect(matches('HostRegexp(`^[a-z]+\\.example\\.com$`)')).toBe(true);
    expect(matches('HostRegexp(`(?i)^A\\.EXAMPLE`)')).toBe(true);
    expect(matches('Path(`/api/v1/users`)')).toBe(true);
    expect(matches('Path(`/api`)')).toBe(false);
    expect(matches('PathPrefix(`/api`)')).toBe(true);
    expect(matches('PathRegexp(`^/api/v[0-9]+/(?P<res>\\w+)$`)')).toBe(true);
    expect(matches('Method(`get`)')).toBe(true);
    expect(matches('Method(`POST`)')).toBe(false);
    expect(matches('Header(`X-Env`, `prod`)')).toBe(true);
    expect(matches('Header(`Accept`, `application/json`)')).toBe(true);
    expect(matches('HeaderRegexp(`X-Env`, `^pr`)')).toBe(true);
    expect(matches('Query(`debug`)')).toBe(true);
    expect(matches('Query(`tag`, `y z`)')).toBe(true);
    expect(matches('Query(`nope`)')).toBe(false);
    expect(matches('QueryRegexp(`tag`, `^y`)')).toBe(true);
    expect(matches('ClientIP(`10.0.0.0/8`)')).toBe(true);
    expect(matches('ClientIP(`10.1.2.3`)')).toBe(true);
    expect(matches('ClientIP(`192.168.0.0/16`)')).toBe(false);
    expect(matches('ClientIP(`::ffff:10.0.0.0/104`)', facts({ clientIp: '10.9.9.9' }))).toBe(true);
    expect(matches('ClientIP(`2001:db8::/32`)', facts({ clientIp: '2001:db8::1' }))).toBe(true);
  });

  test('operators: ! binds tighter than &&, && tighter than ||, parentheses override', () => {
    expect(matches('Host(`x`) || Host(`a.example.com`) && Method(`GET`)')).toBe(true);
    expect(matches('(Host(`x`) || Host(`a.example.com`)) && Method(`POST`)')).toBe(false);
    expect(matches('!Method(`POST`) && PathPrefix(`/api`)')).toBe(true);
    expect(matches('!(Method(`GET`) || Method(`POST`))')).toBe(false);
    expect(matches('Host("a.example.com") && !Header(`X-Env`, `dev`)')).toBe(true);
  });

  test('parse errors name the position and what was expected', () => {
    const err = (rule: string) => {
      try {
        parseRule(rule);
      } catch (e) {
        return e as RuleSyntaxError;
      }
      throw new Error('expected an error');
    };
    expect(err('Hots(`a`)').message).toBe('unknown matcher `Hots`; known: Host, HostRegexp, Path, PathPrefix, PathRegexp, Method, Header, HeaderRegexp, Query, QueryRegexp, ClientIP at column 1');
    expect(err('host(`a`)').message).toMatch(/did you mean Host\?/);
    expect(err('Host(`a`) && (Path(`/x`)').column).toBe(25);
    expect(err('Host(`a`) && (Path(`/x`)').message).toMatch(/unclosed parenthesis opened at column 14/);
    expect(err('Host(`a`) & Path(`/`)').column).toBe(11);
    expect(err('Host(`a`, `b`)').message).toMatch(/Host takes 1 argument, got 2/);
    expect(err('Host(`a)').message).toMatch(/unterminated string/);
    expect(err('Host(`a`) Path(`/`)').message).toMatch(/expected "&&", "\|\|" or end of rule, found "Path" at column 11/);
    expect(() => compileRule(parseRule('PathRegexp(`(a`)'))).toThrow(/invalid regular expression/);
    expect(() => compileRule(parseRule('ClientIP(`10.0.0.0/40`)'))).toThrow(/prefix length/);
    expect(() => compileRule(parseRule('Path(`x`)'))).toThrow(/must start with "\/"/);
  });

  test('host extraction for the index', () => {
    expect(hostsOfRule('Host(`a`) && PathPrefix(`/x`)')).toEqual(['a']);
    expect(hostsOfRule('Host(`a`) || Host(`B`)')?.sort()).toEqual(['a', 'b']);
    expect(hostsOfRule('(Host(`a`) || Host(`b`)) && Host(`a`)')).toEqual(['a']);
    expect(hostsOfRule('Host(`a`) || PathPrefix(`/`)')).toBeUndefined();
    expect(hostsOfRule('!Host(`a`)')).toBeUndefined();
    expect(hostsOfRule('HostRegexp(`a`)')).toBeUndefined();
  });
});
