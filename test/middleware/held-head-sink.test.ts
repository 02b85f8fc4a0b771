import { describe, expect, test } from 'vitest';
import { HeldHeadSink } from '../../src/middleware/held-head-sink.js';
import { MemorySink } from '../../src/testing/memory-exchange.js';

describe('HeldHeadSink', () => {
  test('holds until the threshold, then opens once with what it held and passes writes through', () => {
    const inner = new MemorySink();
    const opened: Array<[string, boolean]> = [];
    const s = new HeldHeadSink(10, (held, ended) => (opened.push([held.toString(), ended]), inner));
    expect(s.write('abcd')).toBe(true);
    expect(s.write('efgh')).toBe(true);
    expect(opened).toEqual([]);
    s.write('ijkl');
    s.write('mn');
    s.end('o');
    expect(opened).toEqual([['abcdefghijkl', false]]);
    expect(inner.body.toString()).toBe('abcdefghijklmno');
    expect(inner.ended).toBe(true);
  });

  test('a body shorter than the threshold opens at end with ended=true; trailers survive', () => {
    const inner = new MemorySink();
    let sawEnded = false;
    const s = new HeldHeadSink(100, (_held, ended) => ((sawEnded = ended), inner));
    s.write('short');
    s.addTrailers({ 'x-checksum': 'abc' });
    s.end();
    expect(sawEnded).toBe(true);
    expect(inner.body.toString()).toBe('short');
    expect(inner.trailers).toEqual({ 'x-checksum': 'abc' });
  });

  test('back-pressure and events come from the real sink once open; destroy before open still opens then resets', async () => {
    const inner = new MemorySink(4);
    const s = new HeldHeadSink(2, () => inner);
    expect(s.write('abcdef')).toBe(false);
    await new Promise<void>((r) => s.once('drain', r));
    const early = new MemorySink();
    let opened = false;
    const d = new HeldHeadSink(100, () => ((opened = true), early));
    d.write('x');
    d.destroy(new Error('upstream reset'));
    expect(opened).toBe(true);
    expect(early.destroyed).toBe(true);
    expect(early.destroyError?.message).toBe('upstream reset');
  });
});
