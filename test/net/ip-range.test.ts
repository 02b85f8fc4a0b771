import { describe, expect, test } from 'vitest';
import { isIpAddress, IpRangeSet, normalizeClientAddress, parseIpRange } from '../../src/net/ip-range.js';

describe('IpRangeSet', () => {
  test('IPv4 addresses and CIDRs, inclusive bounds', () => {
    const s = new IpRangeSet(['10.0.0.0/8', '192.168.1.7', '172.16.0.0/12', '0.0.0.0/32']);
    expect(s.contains('10.0.0.0')).toBe(true);
    expect(s.contains('10.255.255.255')).toBe(true);
    expect(s.contains('11.0.0.0')).toBe(false);
    expect(s.contains('9.255.255.255')).toBe(false);
    expect(s.contains('192.168.1.7')).toBe(true);
    expect(s.contains('192.168.1.8')).toBe(false);
    expect(s.contains('172.31.255.255')).toBe(true);
    expect(s.contains('172.32.0.0')).toBe(false);
    expect(s.contains('0.0.0.0')).toBe(true);
    expect(new IpRangeSet(['0.0.0.0/0']).contains('255.255.255.255')).toBe(true);
    expect(new IpRangeSet(['10.1.2.3/8']).contains('10.200.0.1')).toBe(true); // host bits masked, as Go does
  });

  test('IPv6, compressed forms, embedded IPv4, zones', () => {
    const s = new IpRangeSet(['2001:db8::/32', '::1', 'fe80::/10', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/128']);
    expect(s.contains('2001:db8::1')).toBe(true);
    expect(s.contains('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe(true);
    expect(s.contains('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(s.contains('2001:db9::')).toBe(false);
    expect(s.contains('2001:db7:ffff::')).toBe(false);
    expect(s.contains('::1')).toBe(true);
    expect(s.contains('::2')).toBe(false);
    expect(s.contains('fe80::1%eth0')).toBe(true);
    expect(s.contains('febf:ffff::1')).toBe(true);
    expect(s.contains('fec0::1')).toBe(false);
    expect(new IpRangeSet(['::/0']).contains('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(new IpRangeSet(['64:ff9b::/96']).contains('64:ff9b::1.2.3.4')).toBe(true);
    expect(new IpRangeSet(['2001:db8:0:0:1::/80']).contains('2001:db8::1:0:0:1')).toBe(true);
    expect(new IpRangeSet(['2001:db8:0:0:1::/80']).contains('2001:db8::2:0:0:1')).toBe(false);
  });

  test('IPv4-mapped IPv6 is the IPv4 address it carries; families do not otherwise mix', () => {
    const v4 = new IpRangeSet(['10.0.0.0/8']);
    expect(v4.contains('::ffff:10.1.1.1')).toBe(true);
    expect(v4.contains('::FFFF:10.1.1.1')).toBe(true);
    expect(v4.contains('::ffff:a01:101')).toBe(true); // hex form of 10.1.1.1
    expect(v4.contains('0:0:0:0:0:ffff:10.1.1.1')).toBe(true);
    expect(v4.contains('::ffff:11.1.1.1')).toBe(false);
    expect(v4.contains('::10.1.1.1')).toBe(false); // IPv4-compatible, deprecated: not mapped
    const mapped = new IpRangeSet(['::ffff:10.0.0.0/104', '::ffff:192.168.0.1']);
    expect(mapped.contains('10.9.9.9')).toBe(true);
    expect(mapped.contains('192.168.0.1')).toBe(true);
    expect(mapped.contains('11.0.0.1')).toBe(false);
    expect(new IpRangeSet(['::/0']).contains('1.2.3.4')).toBe(false); // as Go's net.IPNet
    expect(new IpRangeSet(['0.0.0.0/0']).contains('::1')).toBe(false);
  });

  test('many ranges: merged and binary-searched, agreeing with a linear scan (randomised, bounded)', () => {
    let seed = 99;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const ranges: Array<[number, number]> = [];
    const text: string[] = [];
    for (let i = 0; i < 400; i++) {
      const prefix = 8 + rnd(25);
      const base = (rnd(256) * 2 ** 24 + rnd(2 ** 24)) >>> 0;
      const size = 2 ** (32 - prefix);
      const lo = Math.floor(base / size) * size;
      ranges.push([lo, lo + size - 1]);
      text.push(`${lo >>> 24}.${(lo >>> 16) & 255}.${(lo >>> 8) & 255}.${lo & 255}/${prefix}`);
    }
    const set = new IpRangeSet(text);
    expect(set.size).toBe(400);
    for (let i = 0; i < 5000; i++) {
      const ip = i % 2 ? (ranges[rnd(400)]![0] + rnd(3) - 1) >>> 0 : (rnd(256) * 2 ** 24 + rnd(2 ** 24)) >>> 0;
      const dotted = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
      expect(set.contains(dotted), dotted).toBe(ranges.some(([lo, hi]) => ip >= lo && ip <= hi));
    }
  });

  test('bad entries are refused with the entry named; bad addresses simply do not match', () => {
    expect(() => new IpRangeSet(['10.0.0.0/33'])).toThrow('"10.0.0.0/33": prefix length must be 0..32');
    expect(() => new IpRangeSet(['::/129'])).toThrow(/prefix length must be 0\.\.128/);
    expect(() => new IpRangeSet(['10.0.0.0/'])).toThrow(/prefix length must be a number/);
    expect(() => new IpRangeSet(['10.0.0.0/8x'])).toThrow(/prefix length/);
    expect(() => new IpRangeSet(['example.com'])).toThrow('"example.com" is not an IP address or CIDR range');
    expect(() => new IpRangeSet(['010.0.0.1'])).toThrow(/not an IP address/); // leading zeros: octal elsewhere
    expect(() => new IpRangeSet(['1.2.3'])).toThrow(/not an IP address/);
    expect(() => new IpRangeSet(['fe80::/10%eth0'])).toThrow();
    expect(() => new IpRangeSet(['::ffff:10.0.0.0/90'])).toThrow(/at least 96/);
    const s = new IpRangeSet(['0.0.0.0/0', '::/0']);
    for (const bad of [
      '',
      'x',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '1.2.3.-1',
      '01.2.3.4',
      '1..2.3',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      ':1::',
      '1:::2',
      '12345::',
      '::ffff:1.2.3',
      'g::1',
      '1.2.3.4 ',
    ]) {
      expect(s.contains(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

test('isIpAddress and parseIpRange', () => {
  expect(isIpAddress('1.2.3.4')).toBe(true);
  expect(isIpAddress('::')).toBe(true);
  expect(isIpAddress('1:2:3:4:5:6:7:8')).toBe(true);
  expect(isIpAddress('1:2:3:4:5:6:1.2.3.4')).toBe(true);
  expect(isIpAddress('1:2:3:4:5:6:7::')).toBe(true);
  expect(isIpAddress('1:2:3:4:5:6:7:8::')).toBe(false);
  expect(isIpAddress('example.com')).toBe(false);
  expect(parseIpRange('10.0.0.0/8')).toEqual({ family: 4, lo: 10 * 2 ** 24, hi: 11 * 2 ** 24 - 1 });
  expect(parseIpRange('::ffff:10.0.0.0/104')).toEqual({ family: 4, lo: 10 * 2 ** 24, hi: 11 * 2 ** 24 - 1 });
});

test('normalizeClientAddress', () => {
  expect(normalizeClientAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
  expect(normalizeClientAddress('::FFFF:7f00:1')).toBe('127.0.0.1');
  expect(normalizeClientAddress('fe80::1%lo')).toBe('fe80::1');
  expect(normalizeClientAddress('[2001:DB8::1]:443')).toBe('2001:db8::1');
  expect(normalizeClientAddress('[::1]')).toBe('::1');
  expect(normalizeClientAddress('1.2.3.4:5678')).toBe('1.2.3.4');
  expect(normalizeClientAddress(' 1.2.3.4 ')).toBe('1.2.3.4');
  expect(normalizeClientAddress('2001:0db8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
  expect(normalizeClientAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
  expect(normalizeClientAddress('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1'); // a single zero group is not compressed
  expect(normalizeClientAddress('0:0:0:0:0:0:0:0')).toBe('::');
  expect(normalizeClientAddress('1:0:0:0:0:0:0:0')).toBe('1::');
  expect(normalizeClientAddress('::1')).toBe('::1');
  expect(normalizeClientAddress('unknown')).toBe('unknown');
  expect(normalizeClientAddress('')).toBe('');
});
