/**
 * The keylog switch does what people need it for: a loopback capture of an
 * HTTP/3 exchange, decrypted by tshark with Portico's key log file, shows
 * the HTTP/3 frames in clear; without it, nothing. Over `quic: quiche`:
 * our own stack does not write the key log yet (src/quic/README.md).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';

let p: Harness;
const work = mkdtempSync(join(tmpdir(), 'portico-tshark-'));
const keylog = join(work, 'keys.log');

beforeAll(async () => {
  p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true, quic: 'quiche', keylogFile: keylog } } } },
    { 'r.yaml': 'http:\n  routers:\n    who: { rule: PathPrefix(`/`), service: whoami@internal }\n' },
  );
  await p.server.nextApply(1);
});

afterAll(() => p?.stop());

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

test('tshark decrypts a captured HTTP/3 exchange with the key log', async () => {
  const port = p.port('websecure');
  const capture = join(work, 'h3.pcapng');
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
});
