/**
 * Where HTTP/3 cannot start on an entrypoint (here: its UDP port is taken by
 * another socket), the entrypoint still serves h1/h2, says why once, and
 * advertises no HTTP/3. (This used to stand in a QUIC implementation that
 * cannot load; the default is now our own, which runs wherever Node runs,
 * and an unknown or uninstalled implementation is refused at start-up:
 * test/quic/no-native-quic.test.ts.)
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { curl } from '../support/curl.js';
import { freePort } from '../support/free-port.js';

let p: Harness;
let squatter: Socket;
beforeAll(async () => {
  // A TCP port that is free, whose UDP twin another socket holds.
  const port = await freePort();
  squatter = createSocket('udp4');
  await new Promise<void>((r) => squatter.bind({ port, address: '127.0.0.1', exclusive: true }, r));
  p = await startPortico(
    { entryPoints: { websecure: { address: `127.0.0.1:${port}`, http: { tls: {} }, http3: { enabled: true } } } },
    { 'r.yaml': 'http:\n  routers:\n    who: { rule: PathPrefix(`/`), service: whoami@internal }\n' },
  );
  await p.server.nextApply(1);
});
afterAll(async () => {
  await p?.stop();
  squatter?.close();
});

test('h1 and h2 answer without Alt-Svc', async () => {
  for (const flag of ['--http1.1', '--http2']) {
    const r = await curl([flag, `https://127.0.0.1:${p.port('websecure')}/`]);
    expect(r.status).toBe(200);
    expect(r.headers['alt-svc']).toBeUndefined();
  }
});
