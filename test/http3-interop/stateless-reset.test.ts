/**
 * Stateless reset (RFC 9000 §10.3) with a client we did not write: gtlsclient
 * (ngtcp2) opens a connection to a Portico process, which then crashes
 * (SIGKILL: no CONNECTION_CLOSE) and is restarted on the same port. When the
 * client speaks again, the new process knows nothing of the connection and
 * answers with a stateless reset. With the same reset key the client
 * recognises the token and stops at once; with another key it cannot tell
 * the reset from noise and waits for its idle timeout. The tokens the client
 * was given (transport parameter and every NEW_CONNECTION_ID) are the HMAC of
 * the connection IDs under the configured key.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnPortico, type PorticoProcess } from '../support/portico-harness.js';
import { gtlsclient } from '../support/gtlsclient.js';
import { StatelessResets } from '../../src/quic/stateless-reset.js';

const work = mkdtempSync(join(tmpdir(), 'portico-reset-'));
const dynamic = join(work, 'dynamic');
mkdirSync(dynamic);
writeFileSync(join(dynamic, 'routes.yaml'), 'http:\n  routers:\n    who: { rule: "PathPrefix(`/`)", service: whoami@internal }\n');
const keyA = join(work, 'reset-a.key');
const keyB = join(work, 'reset-b.key');
writeFileSync(keyA, randomBytes(32).toString('hex') + '\n');
writeFileSync(keyB, randomBytes(32).toString('hex') + '\n');
const running: PorticoProcess[] = [];
/**
 * When the client sends its request, and its idle timeout: the second Portico must be serving by then, and starting
 * a process takes seconds on a loaded 2-core machine (with 3 s and 4 s, both transports failed at load average 17).
 */
const REQUEST_DELAY_S = 8;
const CLIENT_IDLE_S = 12;

afterAll(async () => {
  await Promise.all(running.map((p) => p.kill('SIGKILL')));
  rmSync(work, { recursive: true, force: true });
});

function config(name: string, port: number, keyFile: string): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(
    file,
    `entryPoints:\n  websecure:\n    address: "127.0.0.1:${port}"\n    http: { tls: {} }\n    http3: { enabled: true, statelessResetKeyFile: ${keyFile} }\n` +
      `providers:\n  file: { directory: ${dynamic}, watch: false }\n`,
  );
  return file;
}

async function start(name: string, port: number, keyFile: string): Promise<PorticoProcess> {
  const p = await spawnPortico(config(name, port, keyFile));
  running.push(p);
  return p;
}

/**
 * A connection whose request waits (--delay-stream) while the first Portico
 * crashes and a second one, with `restartKey`, takes over its port.
 */
async function connectThenRestart(restartKey: string, name: string): Promise<{ out: string; code: number; elapsedMs: number }> {
  const first = await start(`${name}-first`, 0, keyA);
  const port = first.udpPort;
  const t0 = performance.now();
  const client = gtlsclient([`--delay-stream=${REQUEST_DELAY_S}s`, '127.0.0.1', String(port), `https://localhost:${port}/after-restart`], {
    idleTimeout: `${CLIENT_IDLE_S}s`,
  });
  // The handshake takes a few ms on loopback; the request leaves only after REQUEST_DELAY_S, by when the second Portico serves.
  await new Promise((r) => setTimeout(r, 400));
  await first.kill('SIGKILL');
  await start(`${name}-second`, port, restartKey);
  const r = await client;
  return { ...r, elapsedMs: performance.now() - t0 };
}

describe('QUIC stateless reset', () => {
  test('a restarted Portico with the same key resets the old connection; the client recognises the token', async () => {
    const r = await connectThenRestart(keyA, 'same-key');
    // ngtcp2 logs the recognised reset ("SR") and stops the connection (draining).
    expect(r.out, r.out.slice(-3000)).toMatch(/pkt rx \d+ SR token=0x[0-9a-f]{32}/);
    expect(r.out).toMatch(/ERR_DRAINING/);
    expect(r.out).not.toMatch(/GET \/after-restart/);
    // At once, not after the client's idle timeout (the request left at about REQUEST_DELAY_S).
    expect(r.elapsedMs).toBeLessThan((REQUEST_DELAY_S + 3) * 1000);

    // Every token the client was given is HMAC(key, connection ID): the one in the transport parameters for the server's
    // first connection ID, and the one in each NEW_CONNECTION_ID frame.
    const resets = new StatelessResets({ key: Buffer.from(readFileSync(keyA, 'latin1').trim(), 'latin1') });
    const scid = /remote transport_parameters initial_source_connection_id=0x([0-9a-f]+)/.exec(r.out)?.[1];
    const tpToken = /remote transport_parameters stateless_reset_token=0x([0-9a-f]{32})/.exec(r.out)?.[1];
    expect(scid).toBeDefined();
    expect(tpToken).toBe(resets.token(Buffer.from(scid!, 'hex')).toString('hex'));
    const issued = [
      ...r.out.matchAll(/frm rx \d+ 1RTT NEW_CONNECTION_ID\(0x18\) seq=\d+ cid=0x([0-9a-f]+) retire_prior_to=\d+ stateless_reset_token=0x([0-9a-f]{32})/g),
    ];
    expect(issued.length).toBeGreaterThanOrEqual(3);
    for (const [, cid, token] of issued) expect(token).toBe(resets.token(Buffer.from(cid!, 'hex')).toString('hex'));
    // The reset the client received carried the token of the connection ID it was using.
    const srToken = /pkt rx \d+ SR token=0x([0-9a-f]{32})/.exec(r.out)![1];
    expect([tpToken, ...issued.map((m) => m[2])]).toContain(srToken);
  }, 60_000);

  test('with a different key the reset cannot be recognised: the client waits for its idle timeout', async () => {
    const r = await connectThenRestart(keyB, 'other-key');
    // The restarted server did answer the request (with resets under its own key): datagrams reached the client after it.
    const afterRequest = r.out.slice(r.out.search(/frm tx \d+ 1RTT STREAM\(0x0[8-f]\) id=0x0 /));
    expect(afterRequest, r.out.slice(-3000)).toMatch(/Received packet: .*remote=\[127\.0\.0\.1\]:\d+ .* bytes/);
    expect(r.out).not.toMatch(/ SR token=/);
    expect(r.out).toMatch(/ERR_IDLE_CLOSE/);
    expect(r.elapsedMs).toBeGreaterThan(CLIENT_IDLE_S * 1000);
  }, 60_000);
});
