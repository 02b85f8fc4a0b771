/**
 * WebSocket tunnels are not requests: the connection deadlines (readTimeout on
 * request heads, idleTimeout without a request in progress) must not cut an
 * open tunnel, over HTTP/1.1 Upgrade or HTTP/2 extended CONNECT.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import http2 from 'node:http2';
import { WebSocketServer, WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { sleep } from '../support/raw-tcp-client.js';

let wss: WebSocketServer;
let portico: Harness;
const QUIET_MS = 4500;

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo: ${(m as Buffer).toString()}`)));
  const wsPort = (wss.address() as AddressInfo).port;
  portico = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, transport: { respondingTimeouts: { readTimeout: '1s', idleTimeout: '2s' } } } } },
    {
      'ws.yaml': `http:\n  routers:\n    ws:\n      rule: PathPrefix(\`/ws\`)\n      service: ws\n  services:\n    ws:\n      loadBalancer:\n        servers: [{ url: "http://127.0.0.1:${wsPort}" }]\n`,
    },
  );
});
afterAll(async () => {
  await portico?.stop();
  wss?.close();
});

test('an HTTP/1.1 WebSocket quiet for longer than readTimeout and idleTimeout still works', async () => {
  const ws = new WebSocket(`wss://127.0.0.1:${portico.port('websecure')}/ws`, { rejectUnauthorized: false });
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  await sleep(QUIET_MS);
  const reply = await Promise.race([
    new Promise<string>((resolve) => {
      ws.once('message', (m) => resolve((m as Buffer).toString()));
      ws.once('close', () => resolve('closed'));
      ws.send('still there');
    }),
    sleep(5000).then(() => 'no reply'),
  ]);
  ws.close();
  expect(reply).toBe('echo: still there');
});

test('an HTTP/2 extended CONNECT WebSocket quiet for longer than idleTimeout still works', async () => {
  const port = portico.port('websecure');
  const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
  session.on('error', () => undefined);
  await new Promise((resolve) => session.once('remoteSettings', resolve));
  const stream = session.request(
    { ':method': 'CONNECT', ':protocol': 'websocket', ':path': '/ws', ':scheme': 'https', ':authority': `127.0.0.1:${port}`, 'sec-websocket-version': '13' },
    { endStream: false },
  );
  stream.on('error', () => undefined);
  expect(await new Promise<number>((resolve) => stream.once('response', (h) => resolve(Number(h[':status']))))).toBe(200);
  await sleep(QUIET_MS);
  const payload = Buffer.from('still there');
  const mask = Buffer.from([1, 2, 3, 4]);
  stream.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]));
  const frame = await Promise.race([
    new Promise<Buffer | undefined>((resolve) => {
      stream.once('data', resolve);
      stream.once('close', () => resolve(undefined));
    }),
    sleep(5000).then(() => undefined),
  ]);
  session.destroy();
  expect(frame?.subarray(2, 2 + frame[1]!).toString()).toBe('echo: still there');
});
