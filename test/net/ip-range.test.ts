import { expect, test } from 'vitest';
import { IpRangeSet, normalizeClientAddress } from '../../src/net/ip-range.js';

test('IPv4, IPv6, mapped addresses and zones', () => {
  const s = new IpRangeSet(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1']);
  expect(s.contains('10.200.1.1')).toBe(true);
  expect(s.contains('::ffff:10.1.1.1')).toBe(true);
  expect(s.contains('192.168.1.7')).toBe(true);
  expect(s.contains('192.168.1.8')).toBe(false);
  expect(s.contains('2001:db8:1::5')).toBe(true);
  expect(s.contains('fe80::1%eth0')).toBe(false);
  expect(s.contains('::1')).toBe(true);
  expect(s.contains('not-an-ip')).toBe(false);
  expect(normalizeClientAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
  expect(normalizeClientAddress('fe80::1%lo')).toBe('fe80::1');
  expect(() => new IpRangeSet(['10.0.0.0/33'])).toThrow(/prefix length must be 0\.\.32/);
  expect(() => new IpRangeSet(['example.com'])).toThrow(/not an IP address or CIDR/);
});
