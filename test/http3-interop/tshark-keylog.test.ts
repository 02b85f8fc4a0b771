/**
 * The keylog switch does what people need it for: a loopback capture of an
 * HTTP/3 exchange, decrypted by tshark with Portico's key log file, shows
 * the HTTP/3 frames and the request's :path in clear; without it, nothing.
 * Over both QUIC transports: quiche writes its keys through private files
 * (keylog-collector.ts), our own TLS engine hands them over line by line.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { QpackDecoder } from '../../src/http3/qpack/decoder.js';

const work = mkdtempSync(join(tmpdir(), 'portico-tshark-'));

/** One Portico per QUIC transport, each with its own key log. */
const porticos = new Map<string, { p: Harness; keylog: string }>();

beforeAll(async () => {
  for (const quic of ['quiche', 'portico']) {
    const keylog = join(work, `${quic}-keys.log`);
    const p = await startPortico(
      { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true, quic, keylogFile: keylog } } } },
      { 'r.yaml': 'http:\n  routers:\n    who: { rule: PathPrefix(`/`), service: whoami@internal }\n' },
    );
    await p.server.nextApply(1);
    porticos.set(quic, { p, keylog });
  }
}, 60_000);

afterAll(async () => {
  for (const { p } of porticos.values()) await p.stop();
});

const run = (cmd: string, args: string[], timeout = 30_000) =>
  new Promise<string>((resolve) =>
    execFile(cmd, args, { timeout, maxBuffer: 32 * 1024 * 1024 }, (_e, so, se) =>
      resolve(
        (so + se)
          .split('\n')
          .filter((l) => !/Running as user/.test(l))
          .join('\n'),
      ),
    ),
  );

test.each(['quiche', 'portico'])('tshark decrypts a captured HTTP/3 exchange with the key log (quic: %s)', async (quic) => {
  const { p, keylog } = porticos.get(quic)!;
  const port = p.port('websecure');
  const capture = join(work, `${quic}.pcapng`);
  const tshark = spawn('tshark', ['-i', 'lo', '-f', `udp port ${port}`, '-w', capture, '-a', 'duration:20'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  tshark.stderr!.on('data', (d) => (err += d));
  const started = Date.now();
  while (!/Capturing on/.test(err) && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 100));
  expect(err).toMatch(/Capturing on/);
  await run('gtlsclient', ['-q', '--exit-on-all-streams-close', '--timeout=5s', '127.0.0.1', String(port), `https://localhost:${port}/secret-path-42`]);
  // Let the connection close (keys are folded into the key log then) and the capture flush.
  await new Promise((r) => setTimeout(r, 1000));
  tshark.kill('SIGINT');
  await new Promise((r) => tshark.once('exit', r));
  const withoutKeys = await run('tshark', ['-r', capture, '-Y', 'http3', '-T', 'fields', '-e', 'http3.frame_type']);
  expect(withoutKeys.trim()).toBe('');
  const decrypted = await run('tshark', ['-r', capture, '-o', `tls.keylog_file:${keylog}`, '-Y', 'http3', '-V']);
  // tshark 4.0 dissects HTTP/3 frames but not QPACK field values, so the frames are what we check.
  expect(decrypted).toMatch(/Hypertext Transfer Protocol Version 3/);
  expect(decrypted).toMatch(/Type: SETTINGS/);
  expect(decrypted).toMatch(/Type: HEADERS/);
  expect(decrypted).toMatch(/Type: DATA/);
  // tshark 4.0 does not decode QPACK: the client's HEADERS frame payloads, decrypted by tshark, go through our decoder
  // (gtlsclient uses no dynamic table), and the request's :path is there in clear.
  const frames = await run('tshark', [
    '-r',
    capture,
    '-o',
    `tls.keylog_file:${keylog}`,
    '-Y',
    'http3',
    '-T',
    'fields',
    '-e',
    'http3.frame_type',
    '-e',
    'http3.frame_payload',
  ]);
  const paths: string[] = [];
  for (const line of frames.split('\n')) {
    const [types, payloads] = line.split('\t');
    if (!types || !payloads) continue;
    const typeList = types.split(',');
    const payloadList = payloads.split(',');
    typeList.forEach((type, i) => {
      if (Number(type) !== 1 || !payloadList[i]) return;
      const section = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0, maxFieldSectionSize: 65536 }).decode(
        0,
        Buffer.from(payloadList[i]!, 'hex'),
      );
      if (section !== 'blocked') for (const [name, value] of section.headers) if (name === ':path') paths.push(value);
    });
  }
  expect(paths).toContain('/secret-path-42');
});
