import { expect, test } from 'vitest';
import { SmoothWeightedRoundRobin } from '../../src/service/smooth-weighted-round-robin.js';

test('weights 5,1,1 give the smooth sequence a a b a c a a', () => {
  const rr = new SmoothWeightedRoundRobin([
    { value: 'a', weight: 5 },
    { value: 'b', weight: 1 },
    { value: 'c', weight: 1 },
  ]);
  expect(Array.from({ length: 7 }, () => rr.next())).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
});

test('unusable members are skipped and weight 0 never picked', () => {
  const rr = new SmoothWeightedRoundRobin([
    { value: 'a', weight: 1 },
    { value: 'b', weight: 1 },
    { value: 'z', weight: 0 },
  ]);
  const picks = Array.from({ length: 6 }, () => rr.next((v) => v !== 'a'));
  expect(picks).toEqual(['b', 'b', 'b', 'b', 'b', 'b']);
  expect(rr.next(() => false)).toBeUndefined();
});
