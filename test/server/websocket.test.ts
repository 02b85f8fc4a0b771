/** WebSocket through Portico to an HTTP/1.1 `ws` backend: h1 Upgrade and HTTP/2 extended CONNECT (RFC 8441). */
import { afterAll, beforeAll, expect, test } from 'vitest';
import http2 from 'node:http2';
import { WebSocketServer, WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { startPortico, type Harness } from '../support/portico-harness.js';

let wss: WebSocketServer;
let portico: Harness;
let port: number;

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws, req) => ws.on('message', (m) => ws.send(`echo(${req.url}): ${(m as Buffer).toString()}`)));
  const wsPort = (wss.address() as AddressInfo).port;
  portico = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } } },
    {
      'ws.yaml': `
http:
  routers:
    ws:
      rule: PathPrefix(\`/ws\`)
      service: ws
  services:
    ws:
      loadBalancer:
        servers: [{ url: "http://127.0.0.1:${wsPort}" }]
`,
    },
  );
  await portico.server.nextApply(1);
  port = portico.port('websecure');
});

afterAll(async () => {
  await portico?.stop();
  wss?.close();
});

test('WebSocket over HTTP/1.1 Upgrade', async () => {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/ws/one`, { rejectUnauthorized: false });
  const reply = await new Promise<string>((resolve, reject) => {
    ws.once('open', () => ws.send('hello'));
    ws.once('message', (m) => resolve((m as Buffer).toString()));
    ws.once('error', reject);
  });
  ws.close();
  expect(reply).toBe('echo(/ws/one): hello');
});

/** One masked client text frame (RFC 6455 §5.2). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

test('WebSocket over HTTP/2 extended CONNECT', async () => {
  const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
  await new Promise<void>((resolve) => session.once('remoteSettings', (s) => (expect(s.enableConnectProtocol).toBe(true), resolve())));
  const stream = session.request(
    {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':path': '/ws/two',
      ':scheme': 'https',
      ':authority': `127.0.0.1:${port}`,
      'sec-websocket-version': '13',
    },
    { endStream: false },
  );
  const status = await new Promise<number>((resolve) => stream.once('response', (h) => resolve(Number(h[':status']))));
  expect(status).toBe(200);
  stream.write(textFrame('over h2'));
  const frame = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
  expect(frame[0]).toBe(0x81);
  expect(frame.subarray(2, 2 + frame[1]!).toString()).toBe('echo(/ws/two): over h2');
  stream.close();
  session.close();
});
