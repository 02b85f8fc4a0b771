import { expect, test } from 'vitest';
import { hostsOfRule } from '../../src/router/rule-hosts.js';

const hosts = (rule: string) => hostsOfRule(rule)?.sort();

test('the exact hosts a rule can only match', () => {
  expect(hosts('Host(`a`)')).toEqual(['a']);
  expect(hosts('Host(`A.example.com.`)')).toEqual(['a.example.com']);
  expect(hosts('Host(`a`) && PathPrefix(`/x`)')).toEqual(['a']);
  expect(hosts('PathPrefix(`/x`) && Method(`GET`) && Host(`a`)')).toEqual(['a']);
  expect(hosts('Host(`a`) || Host(`B`)')).toEqual(['a', 'b']);
  expect(hosts('(Host(`a`) || Host(`b`)) && PathPrefix(`/x`)')).toEqual(['a', 'b']);
  expect(hosts('(Host(`a`) || Host(`b`)) && Host(`a`)')).toEqual(['a']);
  expect(hosts('(Host(`a`) && Path(`/`)) || (Host(`c`) && Method(`GET`))')).toEqual(['a', 'c']);
  expect(hosts('Host(`a`) && Host(`b`)')).toEqual([]); // can never match
  expect(hosts('Host(`a`) && !Host(`b`)')).toEqual(['a']);
  expect(hosts('!!Host(`a`)')).toEqual(['a']);
  expect(hosts('Host(`[::1]`)')).toEqual(['::1']);
});

test('rules not limited to fixed hosts', () => {
  expect(hosts('Host(`a`) || PathPrefix(`/`)')).toBeUndefined();
  expect(hosts('!Host(`a`)')).toBeUndefined();
  expect(hosts('!(Host(`a`) && Path(`/`))')).toBeUndefined();
  expect(hosts('HostRegexp(`a`)')).toBeUndefined();
  expect(hosts('Host(`a`) || HostRegexp(`b`)')).toBeUndefined();
  expect(hosts('PathPrefix(`/`)')).toBeUndefined();
  expect(() => hostsOfRule('Host(')).toThrow(/unclosed parenthesis/);
});
