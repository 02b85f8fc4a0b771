import { describe, expect, it } from 'vitest';
import { RangeSet } from '../../../src/quic/streams/range-set.js';
import { randomInt, seededRandom } from '../seeded-random.js';

/** The same set as a plain boolean array, to compare against. */
function model(size: number) {
  const bits = new Array<boolean>(size).fill(false);
  return {
    bits,
    ranges(): [number, number][] {
      const out: [number, number][] = [];
      for (let i = 0; i < size; i++) {
        if (!bits[i]) continue;
        let j = i;
        while (j < size && bits[j]) j++;
        out.push([i, j]);
        i = j;
      }
      return out;
    },
  };
}

describe('RangeSet', () => {
  it('merges touching and overlapping ranges', () => {
    const set = new RangeSet();
    set.add(10, 20);
    set.add(30, 40);
    set.add(20, 30);
    expect(set.ranges()).toEqual([[10, 40]]);
    set.add(0, 5);
    set.add(3, 12);
    expect(set.ranges()).toEqual([[0, 40]]);
  });

  it('removes the middle of a range, splitting it', () => {
    const set = new RangeSet();
    set.add(0, 100);
    set.remove(40, 60);
    expect(set.ranges()).toEqual([
      [0, 40],
      [60, 100],
    ]);
    expect(set.covers(0, 40)).toBe(true);
    expect(set.covers(39, 61)).toBe(false);
  });

  it('lists the gaps of a span', () => {
    const set = new RangeSet();
    set.add(10, 20);
    set.add(30, 40);
    const gaps: [number, number][] = [];
    set.forEachGap(0, 50, (s, e) => gaps.push([s, e]));
    expect(gaps).toEqual([
      [0, 10],
      [20, 30],
      [40, 50],
    ]);
  });

  it('agrees with a bitmap model under random adds and removes (seeded, 2000 operations)', () => {
    const random = seededRandom(0x5eed);
    const set = new RangeSet();
    const m = model(300);
    for (let op = 0; op < 2000; op++) {
      const s = randomInt(random, 300);
      const e = Math.min(300, s + 1 + randomInt(random, 40));
      const adding = random() < 0.6;
      if (adding) set.add(s, e);
      else set.remove(s, e);
      for (let i = s; i < e; i++) m.bits[i] = adding;
      expect(set.ranges()).toEqual(m.ranges());
    }
  });
});
