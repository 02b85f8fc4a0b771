/**
 * Huge header lists: request heads past maxHeaderBytes (one huge field, or
 * thousands of small ones) are refused — 431 on HTTP/1.1 with the connection
 * closed; on HTTP/2 the stream or the connection is refused — never reach the
 * backend, and normal clients are served meanwhile.
 */
import { expect, test } from 'vitest';
import { usePorticoBeforeBackend } from '../support/portico-before-backend.js';
import { exchangeRaw, normalGet, openRawConnection, sleep } from '../support/raw-tcp-client.js';
import { clientOpening, continuationFrame, Flag, FrameType, headerBlock, headersFrame, normalH2Get, parseFrames, requestFields } from '../support/h2-frames.js';

const transport = { maxHeaderBytes: 16 * 1024 };
const target = usePorticoBeforeBackend({ web: { address: '127.0.0.1:0', transport }, websecure: { address: '127.0.0.1:0', http: { tls: {} }, transport } });

const manySmall = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('');
const h1Heads: Record<string, string> = {
  'one 100 KB field': `GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`,
  '3000 small fields': `GET / HTTP/1.1\r\nHost: app.test\r\n${manySmall}\r\n`,
};

for (const [name, head] of Object.entries(h1Heads))
  test(`h1, ${name}: 431 and closed, backend untouched, normal client served`, async () => {
    const before = target.backend.requests;
    const { response, closed } = await exchangeRaw(target.portico.port('web'), head, 3000);
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    expect(closed).toBe(true);
    expect(target.backend.requests).toBe(before);
    expect(await normalGet(target.portico.port('web'))).toMatchObject({ status: 200 });
  });

const h2Lists: Record<string, Array<[string, string]>> = {
  'one 100 KB field': [['x-big', 'a'.repeat(100_000)]],
  '3000 small fields': Array.from({ length: 3000 }, (_, i): [string, string] => [`x-h${i}`, 'v']),
};

for (const [name, fields] of Object.entries(h2Lists))
  test(`h2, ${name}: refused (stream reset, 431 or GOAWAY), backend untouched, normal client served`, async () => {
    const before = target.backend.requests;
    const c = await openRawConnection(target.portico.port('websecure'), '127.0.0.1', ['h2']);
    try {
      const block = headerBlock([...requestFields('/'), ...fields]);
      // Split into frames of at most 16 KiB (the default SETTINGS_MAX_FRAME_SIZE): HEADERS then CONTINUATIONs.
      const frames: Buffer[] = [];
      for (let at = 0; at < block.length; at += 16_384) {
        const part = block.subarray(at, at + 16_384);
        const last = at + 16_384 >= block.length;
        frames.push(at === 0 ? headersFrame(1, part, Flag.END_STREAM | (last ? Flag.END_HEADERS : 0)) : continuationFrame(1, part, last));
      }
      c.write(Buffer.concat([clientOpening(), ...frames]));
      for (let i = 0; i < 30 && !c.isClosed() && !parseFrames(c.received()).some((f) => f.streamId === 1 || f.type === FrameType.GOAWAY); i++) await sleep(100);
      const got = parseFrames(c.received());
      const refused =
        c.isClosed() ||
        got.some((f) => f.type === FrameType.GOAWAY || (f.streamId === 1 && f.type === FrameType.RST_STREAM)) ||
        got.some((f) => f.streamId === 1 && f.type === FrameType.HEADERS);
      expect(refused).toBe(true);
      expect(target.backend.requests).toBe(before);
    } finally {
      c.socket.destroy();
    }
    expect(await normalH2Get(target.portico.port('websecure'))).toEqual({ status: 200 });
  });
