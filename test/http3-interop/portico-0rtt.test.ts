/**
 * 0-RTT on our QUIC stack (`http3.earlyData: true`), with gtlsclient
 * (ngtcp2) resuming from its saved session and transport parameters: the
 * early request is served from the 0-RTT packets (whoami sees the
 * `Early-Data: 1` that tells the backend so, RFC 8470), a request that must
 * not be replayed waits for the handshake, the same 0-RTT flight sent again
 * is refused, and with the option off 0-RTT stays refused.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { gtlsclient } from '../support/gtlsclient.js';
import { startBackend, type Backend } from '../support/backend.js';

const work = mkdtempSync(join(tmpdir(), 'portico-0rtt-'));
const running: Harness[] = [];

let backend: Backend;
beforeAll(async () => {
  backend = await startBackend('early');
});

/** Portico on our QUIC: /be/… goes to `backend`, the rest to whoami. */
async function porticoWith(http3: Record<string, unknown>): Promise<{ port: number; qlogDir: string }> {
  const qlogDir = mkdtempSync(join(work, 'qlog-'));
  const p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true, quic: 'portico', qlogDir, ...http3 } } } },
    {
      'r.yaml': `
http:
  routers:
    who: { rule: PathPrefix(\`/\`), service: whoami@internal, tls: {} }
    be: { rule: PathPrefix(\`/be\`), service: be, tls: {} }
  services:
    be: { loadBalancer: { servers: [{ url: "${backend.url}" }] } }
`,
    },
  );
  running.push(p);
  await p.server.nextApply(1);
  return { port: p.port('websecure'), qlogDir };
}

afterAll(async () => {
  for (const p of running) await p.stop();
  await backend?.close();
});

/** A UDP relay in front of the server that keeps every datagram the client sent (to replay them as an attacker would). */
async function recordingRelay(serverPort: number): Promise<{ port: number; fromClient: Buffer[]; close(): void }> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  await Promise.all([new Promise<void>((r) => front.bind(0, '127.0.0.1', r)), new Promise<void>((r) => back.bind(0, '127.0.0.1', r))]);
  const fromClient: Buffer[] = [];
  let client: { address: string; port: number } | undefined;
  front.on('message', (m, rinfo) => {
    client = rinfo;
    fromClient.push(Buffer.from(m));
    back.send(m, serverPort, '127.0.0.1');
  });
  back.on('message', (m) => {
    if (client) front.send(m, client.port, client.address);
  });
  return {
    port: front.address().port,
    fromClient,
    close: () => {
      front.close();
      back.close();
    },
  };
}

/** All qlog events of the server, each file's in order. */
function events(qlogDir: string): Array<{ time: number; name?: string; data?: any; file: string }> {
  return readdirSync(qlogDir).flatMap((file) =>
    readFileSync(join(qlogDir, file), 'utf8')
      .split('\x1e')
      .filter(Boolean)
      .map((r) => ({ ...(JSON.parse(r) as { time: number; name?: string; data?: any }), file })),
  );
}

/** A request with gtlsclient keeping its session (ticket) and the server's transport parameters in `state`. */
async function fetchH3(port: number, path: string, state: string, extra: string[] = []): Promise<{ body: string; out: string }> {
  const dir = mkdtempSync(join(work, 'dl-'));
  const r = await gtlsclient(
    [
      `--download=${dir}`,
      `--session-file=${join(state, 'session.pem')}`,
      `--tp-file=${join(state, 'tp.pem')}`,
      ...extra,
      '127.0.0.1',
      String(port),
      `https://localhost:${port}${path}`,
    ],
    { idleTimeout: '5s', timeoutMs: 30_000 },
  );
  const files = readdirSync(dir);
  return { body: files.length ? readFileSync(join(dir, files[0]!), 'utf8') : '', out: r.out };
}

/** The server's handshake_complete qlog events, one per completed connection. */
function handshakes(qlogDir: string): Array<{ resumed: boolean; early_data_accepted: boolean; zero_rtt_packets_received: number }> {
  return readdirSync(qlogDir)
    .flatMap((f) => readFileSync(join(qlogDir, f), 'utf8').split('\x1e').filter(Boolean))
    .map((r) => JSON.parse(r) as { name?: string; data?: any })
    .filter((e) => e.name === 'connectivity:connection_state_updated' && e.data?.new === 'handshake_complete')
    .map((e) => e.data);
}

const tail = (out: string) => out.split('\n').slice(-40).join('\n');

describe('0-RTT on our QUIC stack', () => {
  let on: { port: number; qlogDir: string };
  beforeAll(async () => {
    on = await porticoWith({ earlyData: true });
  }, 30_000);

  test('earlyData: true — a resumed GET goes in 0-RTT, is accepted and answered correctly, and the backend sees Early-Data: 1', async () => {
    const state = mkdtempSync(join(work, 'client-'));
    const first = await fetchH3(on.port, '/first', state);
    expect(first.body, tail(first.out)).toMatch(/GET \/first HTTP\/3\.0/);
    expect(first.body).not.toMatch(/Early-Data/i);
    expect(existsSync(join(state, 'session.pem'))).toBe(true);
    const second = await fetchH3(on.port, '/second-early', state);
    expect(second.out).toMatch(/type=0RTT/);
    expect(second.out).not.toMatch(/Early data was rejected/);
    expect(second.body, tail(second.out)).toMatch(/GET \/second-early HTTP\/3\.0/);
    // Served from the 0-RTT packets, before the handshake completed: the request carries the RFC 8470 signal.
    expect(second.body).toMatch(/Early-Data: 1/i);
    // qlog files are written asynchronously.
    for (let i = 0; i < 30 && handshakes(on.qlogDir).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const hs = handshakes(on.qlogDir);
    expect(hs).toHaveLength(2);
    const resumed = hs.find((h) => h.resumed);
    expect(resumed).toMatchObject({ early_data_accepted: true });
    expect(resumed!.zero_rtt_packets_received).toBeGreaterThan(0);
  }, 60_000);

  test('a POST in 0-RTT is held until the handshake completes (a replay never completes it), then served without Early-Data', async () => {
    const state = mkdtempSync(join(work, 'client-'));
    await fetchH3(on.port, '/warm-up', state);
    const body = join(work, 'post-body.txt');
    writeFileSync(body, 'x'.repeat(100));
    const r = await fetchH3(on.port, '/be/posted', state, ['-m', 'POST', `--data=${body}`]);
    expect(r.out).toMatch(/type=0RTT/);
    expect(r.out).not.toMatch(/Early data was rejected/);
    const echoed = JSON.parse(r.body) as { method: string; headers: Record<string, string>; bodyBytes: number };
    expect(echoed).toMatchObject({ method: 'POST', bodyBytes: 100 });
    expect(echoed.headers['early-data']).toBeUndefined();
    // In the server's qlog of that connection: the response's HEADERS were created after the handshake completed.
    const posted = () => events(on.qlogDir).some((e) => e.name === 'http:frame_created' && e.data?.frame?.frame_type === 'headers' && e.file === postFile());
    const postFile = () =>
      events(on.qlogDir).find(
        (e) => e.name === 'http:frame_parsed' && (e.data?.frame?.headers as Array<{ name: string; value: string }>)?.some((h) => h.value === '/be/posted'),
      )?.file;
    for (let i = 0; i < 30 && !posted(); i++) await new Promise((r) => setTimeout(r, 100));
    const all = events(on.qlogDir);
    const file = all.find(
      (e) => e.name === 'http:frame_parsed' && (e.data?.frame?.headers as Array<{ name: string; value: string }>)?.some((h) => h.value === '/be/posted'),
    )?.file;
    const mine = all.filter((e) => e.file === file);
    const complete = mine.find((e) => e.data?.new === 'handshake_complete')!;
    expect(complete.data, 'the POST connection accepted 0-RTT').toMatchObject({ early_data_accepted: true });
    const response = mine.find((e) => e.name === 'http:frame_created' && e.data?.frame?.frame_type === 'headers');
    expect(response, 'the response was sent').toBeDefined();
    expect(response!.time).toBeGreaterThanOrEqual(complete.time);
  }, 60_000);

  test("the client's 0-RTT flight replayed from another address gets no 0-RTT: the replayed GET never reaches the backend", async () => {
    const state = mkdtempSync(join(work, 'client-'));
    await fetchH3(on.port, '/warm-up', state);
    const relay = await recordingRelay(on.port);
    const requestsBefore = backend.requests;
    const dir = mkdtempSync(join(work, 'dl-'));
    const r = await gtlsclient(
      [
        `--download=${dir}`,
        `--session-file=${join(state, 'session.pem')}`,
        `--tp-file=${join(state, 'tp.pem')}`,
        '127.0.0.1',
        String(relay.port),
        `https://localhost:${on.port}/be/once`,
      ],
      { idleTimeout: '5s', timeoutMs: 30_000 },
    );
    relay.close();
    expect(r.out).not.toMatch(/Early data was rejected/);
    expect(backend.requests, tail(r.out)).toBe(requestsBefore + 1);
    expect(r.out).toMatch(/type=0RTT/);
    // The attacker's copy: the client's first datagrams (Initial with the ClientHello, 0-RTT with the GET, coalesced or
    // not) up to its first short-header packet, sent again from another socket once the original connection is gone
    // (so they start a connection of their own).
    const firstShort = relay.fromClient.findIndex((d) => (d[0]! & 0x80) === 0);
    const flight = relay.fromClient.slice(0, firstShort < 0 ? relay.fromClient.length : firstShort).filter((d) => (d[0]! & 0x30) >> 4 <= 1);
    await new Promise((done) => setTimeout(done, 1500));
    const attacker = createSocket('udp4');
    await new Promise<void>((done) => attacker.bind(0, '127.0.0.1', done));
    for (const d of flight) attacker.send(d, on.port, '127.0.0.1');
    await new Promise((done) => setTimeout(done, 1500));
    attacker.close();
    expect(backend.requests).toBe(requestsBefore + 1);
  }, 60_000);
});

test('earlyData off (the default): 0-RTT offered with the ticket is refused and the request completes in 1-RTT', async () => {
  const off = await porticoWith({});
  const state = mkdtempSync(join(work, 'client-'));
  await fetchH3(off.port, '/first', state);
  const second = await fetchH3(off.port, '/second', state);
  for (let i = 0; i < 30 && handshakes(off.qlogDir).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  expect(second.out).toMatch(/type=0RTT/);
  expect(second.out).toMatch(/Early data was rejected by server/);
  expect(second.body, tail(second.out)).toMatch(/GET \/second HTTP\/3\.0/);
  expect(second.body).not.toMatch(/Early-Data/i);
  expect(handshakes(off.qlogDir).find((h) => h.resumed)).toMatchObject({ early_data_accepted: false, zero_rtt_packets_received: 0 });
}, 60_000);
