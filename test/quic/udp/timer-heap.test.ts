import { describe, expect, it } from 'vitest';
import { TimerHeap } from '../../../src/quic/udp/timer-heap.js';

describe('TimerHeap', () => {
  it('returns due items in deadline order, each once, honouring reschedules and cancels', () => {
    const h = new TimerHeap<{ n: number }>();
    const items = Array.from({ length: 50 }, (_, n) => ({ n }));
    for (const it of items) h.schedule(it, 1000 - it.n * 10);
    h.schedule(items[0]!, 5); // moved earlier
    h.schedule(items[1]!, Infinity); // unscheduled
    h.cancel(items[2]!);
    expect(h.peek()).toBe(5);
    const due = h.takeDue(600);
    expect(due[0]).toBe(items[0]);
    expect(due).not.toContain(items[1]);
    expect(due).not.toContain(items[2]);
    const deadlines = due.slice(1).map((i) => 1000 - i.n * 10);
    expect(deadlines).toEqual([...deadlines].sort((a, b) => a - b));
    expect(deadlines.every((d) => d <= 600)).toBe(true);
    expect(new Set(due).size).toBe(due.length);
    expect(h.takeDue(600)).toEqual([]);
  });

  it('stays bounded when one item is rescheduled many times (stale entries are swept)', () => {
    const h = new TimerHeap<object>();
    const a = {};
    const b = {};
    h.schedule(b, 1e9);
    for (let i = 0; i < 100_000; i++) h.schedule(a, 1000 + (i % 97));
    expect((h as unknown as { heap: unknown[] }).heap.length).toBeLessThan(100);
    expect(h.takeDue(2000)).toEqual([a]);
    expect(h.peek()).toBe(1e9);
  });

  it('matches a sorted model under random operations', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const h = new TimerHeap<{ id: number }>();
    const model = new Map<{ id: number }, number>();
    const items = Array.from({ length: 40 }, (_, id) => ({ id }));
    let now = 0;
    for (let step = 0; step < 5000; step++) {
      const it = items[Math.floor(rnd() * items.length)]!;
      const op = rnd();
      if (op < 0.6) {
        const d = now + Math.floor(rnd() * 100);
        h.schedule(it, d);
        model.set(it, d);
      } else if (op < 0.7) {
        h.cancel(it);
        model.delete(it);
      } else {
        now += Math.floor(rnd() * 20);
        const got = h.takeDue(now);
        const want = [...model].filter(([, d]) => d <= now).sort((x, y) => x[1] - y[1]);
        expect(got.map((g) => model.get(g))).toEqual(want.map(([, d]) => d));
        expect(new Set(got)).toEqual(new Set(want.map(([i]) => i)));
        for (const g of got) model.delete(g);
      }
      expect(h.peek()).toBe(model.size ? Math.min(...model.values()) : Infinity);
    }
  });
});
