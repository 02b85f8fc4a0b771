/** The ClientHello reader: real ClientHellos (from Node's TLS client), split anywhere, and random or truncated bytes never throw. */
import { expect, test } from 'vitest';
import { createServer } from 'node:net';
import { connect } from 'node:tls';
import { MAX_CLIENT_HELLO_BYTES, readClientHello } from '../../src/tls/client-hello.js';

/** The first bytes a real TLS client sends for `servername`. */
async function capture(servername: string | undefined, ALPNProtocols = ['h2', 'http/1.1']): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => {
      const chunks: Buffer[] = [];
      s.on('data', (c) => {
        chunks.push(c);
        const all = Buffer.concat(chunks);
        if (all.length >= 5 && all.length >= 5 + all.readUInt16BE(3)) {
          s.destroy();
          server.close();
          resolve(all);
        }
      });
    }).listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false, ALPNProtocols })
        .on('error', () => {})
        .on('error', reject);
    });
  });
}

test('reads the server name and ALPN offer of a real ClientHello; every shorter prefix is incomplete', async () => {
  const hello = await capture('api.example.test');
  expect(readClientHello(hello)).toEqual({ kind: 'client-hello', serverName: 'api.example.test', alpnProtocols: ['h2', 'http/1.1'] });
  for (let cut = 0; cut < hello.length; cut++) expect(readClientHello(hello.subarray(0, cut)).kind).toBe('incomplete');
  const none = await capture(undefined);
  expect(readClientHello(none)).toEqual({ kind: 'client-hello', serverName: undefined, alpnProtocols: ['h2', 'http/1.1'] });
});

test('reads the ALPN offer (an ACME CA offers acme-tls/1 alone, RFC 8737)', async () => {
  expect(readClientHello(await capture('acme.example.test', ['acme-tls/1']))).toEqual({
    kind: 'client-hello',
    serverName: 'acme.example.test',
    alpnProtocols: ['acme-tls/1'],
  });
  expect(readClientHello(await capture('plain.example.test', []))).toMatchObject({ alpnProtocols: [] });
});

test('a ClientHello split over two TLS records is reassembled', async () => {
  const hello = await capture('split.example.test');
  const body = hello.subarray(5);
  const half = Math.floor(body.length / 2);
  const record = (payload: Buffer) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, payload.length >> 8, payload.length & 0xff]), payload]);
  const two = Buffer.concat([record(body.subarray(0, half)), record(body.subarray(half))]);
  expect(readClientHello(two.subarray(0, 5 + half + 3)).kind).toBe('incomplete');
  expect(readClientHello(two)).toEqual({ kind: 'client-hello', serverName: 'split.example.test', alpnProtocols: ['h2', 'http/1.1'] });
});

test('not TLS, or not a ClientHello, is said so at once', () => {
  expect(readClientHello(Buffer.from('GET / HTTP/1.1\r\n')).kind).toBe('not-client-hello');
  expect(readClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00])).kind).toBe('not-client-hello');
  expect(readClientHello(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff])).kind).toBe('not-client-hello');
  expect(readClientHello(Buffer.alloc(0)).kind).toBe('incomplete');
});

test('fuzz: random bytes, and a real ClientHello with bytes flipped, never throw and stay within bounds', async () => {
  const hello = await capture('fuzz.example.test');
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 5_000; i++) {
    let input: Buffer;
    if (i % 2 === 0) {
      input = Buffer.from(hello);
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) input[Math.floor(rand() * input.length)] = Math.floor(rand() * 256);
      input = input.subarray(0, Math.floor(rand() * (input.length + 1)));
    } else {
      input = Buffer.alloc(Math.floor(rand() * 300));
      for (let k = 0; k < input.length; k++) input[k] = Math.floor(rand() * 256);
      if (rand() < 0.5 && input.length > 5) input.set([0x16, 0x03, 0x01], 0);
    }
    const v = readClientHello(input);
    expect(['incomplete', 'not-client-hello', 'client-hello']).toContain(v.kind);
    if (v.kind === 'client-hello' && v.serverName !== undefined) expect(v.serverName).toMatch(/^[\x21-\x7e]{1,253}$/);
  }
  // A stream that never completes a ClientHello is given up at the bound.
  const endless = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0xff, 0xff, 0xff]), Buffer.alloc(MAX_CLIENT_HELLO_BYTES)]);
  expect(readClientHello(endless).kind).toBe('not-client-hello');
});
