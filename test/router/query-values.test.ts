import { expect, test } from 'vitest';
import { hasQueryValue, someQueryValue } from '../../src/router/query-values.js';

const values = (q: string, key: string) => {
  const seen: string[] = [];
  someQueryValue(q, key, (v) => (seen.push(v), false));
  return seen;
};

test('values of a key, as Go url.ParseQuery gives them', () => {
  expect(values('a=1&b=2&a=3', 'a')).toEqual(['1', '3']);
  expect(values('a&a=&a==', 'a')).toEqual(['', '', '=']);
  expect(values('a%20b=c+d&a+b=%65', 'a b')).toEqual(['c d', 'e']);
  expect(values('&&a=1&&', 'a')).toEqual(['1']);
  expect(values('a=1;b=2&a=2', 'a')).toEqual(['2']); // pairs with ";" are dropped
  expect(values('a=%zz&a=ok', 'a')).toEqual(['ok']); // a bad escape drops the pair
  expect(values('', 'a')).toEqual([]);
  expect(values('ab=1&b=2', 'b')).toEqual(['2']);
});

test('hasQueryValue compares without decoding plain pairs, and decodes encoded ones', () => {
  expect(hasQueryValue('a=1&b=2', 'b', '2')).toBe(true);
  expect(hasQueryValue('a=1&b=2', 'b', '1')).toBe(false);
  expect(hasQueryValue('a=1&b=22', 'b', '2')).toBe(false);
  expect(hasQueryValue('bb=2', 'b', '2')).toBe(false);
  expect(hasQueryValue('b', 'b', '')).toBe(true);
  expect(hasQueryValue('b=', 'b', '')).toBe(true);
  expect(hasQueryValue('b=x', 'b', '')).toBe(false);
  expect(hasQueryValue('%62=%32', 'b', '2')).toBe(true);
  expect(hasQueryValue('b=%zz', 'b', '%zz')).toBe(false);
  expect(hasQueryValue('b=a+b', 'b', 'a b')).toBe(true);
  expect(hasQueryValue('b=a+b', 'b', 'a+b')).toBe(false);
  expect(hasQueryValue('b=1;x', 'b', '1;x')).toBe(false);
});
