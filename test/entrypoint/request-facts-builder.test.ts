import { describe, expect, test } from 'vitest';
import { buildRequestFacts, hostFromAuthority } from '../../src/entrypoint/request-facts-builder.js';

describe('buildRequestFacts', () => {
  test('origin-form: host from the Host/:authority value, path normalised', () => {
    const r = buildRequestFacts('GET', 'App.Test:8443', '/a/../b?x=1', {}, '127.0.0.1');
    expect(r).toMatchObject({
      ok: true,
      authority: 'App.Test:8443',
      upstreamUrl: '/b?x=1',
      facts: { host: 'app.test', path: '/b', query: 'x=1', clientIp: '127.0.0.1' },
    });
  });

  test('absolute-form where the protocol allows it (HTTP/1.1): its authority replaces Host', () => {
    const r = buildRequestFacts('GET', 'ignored.test', 'http://Other.Test:81/p', {}, '::1', true);
    expect(r).toMatchObject({ ok: true, authority: 'Other.Test:81', upstreamUrl: '/p', facts: { host: 'other.test' } });
  });

  test('absolute-form where it is not allowed (h2/h3 :path), "*" outside OPTIONS, bad Host: refused with a reason', () => {
    expect(buildRequestFacts('GET', 'a.test', 'http://b.test/p', {}, '::1')).toEqual({ ok: false, reason: expect.stringMatching(/origin-form/) });
    expect(buildRequestFacts('GET', 'a.test', '*', {}, '::1', true)).toEqual({ ok: false, reason: expect.stringMatching(/only valid with OPTIONS/) });
    expect(buildRequestFacts('OPTIONS', 'a.test', '*', {}, '::1', true)).toMatchObject({ ok: true, facts: { path: '*' } });
    expect(buildRequestFacts('GET', 'a test', '/', {}, '::1')).toEqual({ ok: false, reason: 'invalid Host' });
  });

  test('hostFromAuthority caches per value and stays right for repeated and invalid values', () => {
    for (let i = 0; i < 3; i++) {
      expect(hostFromAuthority('[::1]:8443')).toBe('::1');
      expect(hostFromAuthority('Example.COM.')).toBe('example.com');
      expect(hostFromAuthority('bad host')).toBeUndefined();
      expect(hostFromAuthority('a.test:x')).toBeUndefined();
    }
  });
});
