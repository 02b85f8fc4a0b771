/** The retry middleware's body replay and backoff, on their own. */
import { describe, expect, test } from 'vitest';
import { PassThrough, type Readable } from 'node:stream';
import { ReplayableBody } from '../../../src/middleware/retry/replayable-body.js';
import { retryDelayMs } from '../../../src/middleware/retry/retry-backoff.js';

function readSome(stream: Readable, bytes: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= bytes) {
        stream.off('data', onData);
        stream.pause();
        resolve(Buffer.concat(chunks));
      }
    };
    stream.on('data', onData);
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('ReplayableBody', () => {
  test('an attempt destroyed half-way leaves the next one the whole body, replayed then live', async () => {
    const client = new PassThrough();
    const body = new ReplayableBody(client, -1);
    const first = body.attempt(false);
    client.write(Buffer.from('aaaa'));
    client.write(Buffer.from('bbbb'));
    expect((await readSome(first, 8)).toString()).toBe('aaaabbbb');
    first.destroy(new Error('backend reset'));
    const second = body.attempt(true);
    const all = readAll(second);
    client.write(Buffer.from('cccc'));
    client.end(Buffer.from('dd'));
    expect((await all).toString()).toBe('aaaabbbbccccdd');
  });

  test('a body not read at all can always be sent again; past the limit it cannot', async () => {
    const client = new PassThrough();
    const body = new ReplayableBody(client, 6);
    body.attempt(false).destroy();
    expect(body.replayable).toBe(true);
    const second = body.attempt(false);
    client.write(Buffer.from('0123456789'));
    await readSome(second, 10);
    expect(body.replayable).toBe(false);
    expect(() => body.attempt(false)).toThrow(/cannot be sent again/);
  });

  test("the client's error reaches the attempt", async () => {
    const client = new PassThrough();
    const body = new ReplayableBody(client, -1);
    const attempt = body.attempt(false);
    const failed = new Promise((resolve) => attempt.once('error', resolve));
    attempt.resume();
    client.destroy(new Error('client went away'));
    expect(((await failed) as Error).message).toBe('client went away');
  });
});

describe('retryDelayMs (Traefik: growth spread so the last wait is about twice the first, ±50 %)', () => {
  test('without initialInterval there is no wait', () => {
    expect(retryDelayMs(0, 4, 1)).toBe(0);
  });

  test('the middle of each randomised interval grows to twice the first over the attempts', () => {
    const mid = () => 0.5;
    expect(retryDelayMs(100, 3, 1, mid)).toBeCloseTo(100);
    expect(retryDelayMs(100, 3, 2, mid)).toBeCloseTo(141.42, 1);
    expect(retryDelayMs(100, 3, 3, mid)).toBeCloseTo(200);
    expect(retryDelayMs(100, 3, 1, () => 0)).toBeCloseTo(50);
    expect(retryDelayMs(100, 3, 1, () => 0.999999)).toBeCloseTo(150);
    expect(retryDelayMs(120_000, 2, 1, mid)).toBe(60_000);
  });
});
