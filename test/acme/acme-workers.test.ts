/**
 * `workers: 2` with an ACME resolver, run as a user runs it (the built
 * `portico` command): worker 1 orders, worker 2 follows the storage file, and
 * the CA's HTTP-01 validations, which land on either worker, are answered by
 * both (worker 1's challenges are relayed). Four names are ordered so that
 * validations reach both workers; none may fail, only one process orders, and
 * every connection, whichever worker takes it, gets the issued certificates.
 * The CA is trusted through NODE_EXTRA_CA_CERTS, not caCertificates.
 */
import { afterAll, expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../support/free-port.js';
import { preparePebble, type PebbleCa } from './pebble-ca.js';
import { peerCertificate, until } from './acme-portico.js';

let ca: PebbleCa | undefined;
let child: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'portico-acme-workers-'));
const NAMES = ['w1.acme.test', 'w2.acme.test', 'w3.acme.test', 'w4.acme.test'];

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await ca?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('workers: 2 — one process orders, validations reaching either worker succeed, both serve the certificates', async () => {
  const [webPort, websecurePort] = [await freePort(), await freePort()];
  ca = await preparePebble({ httpPort: webPort, tlsPort: websecurePort });
  await ca.start();
  const routers = NAMES.map((n, i) => `    r${i}:\n      rule: Host(\`${n}\`)\n      service: whoami@internal\n      tls: { certResolver: le }\n`).join('');
  writeFileSync(join(dir, 'dynamic.yaml'), `http:\n  routers:\n${routers}`);
  writeFileSync(
    join(dir, 'portico.yaml'),
    JSON.stringify({
      workers: 2,
      log: { format: 'json' },
      entryPoints: { web: { address: `127.0.0.1:${webPort}` }, websecure: { address: `127.0.0.1:${websecurePort}`, http: { tls: {} } } },
      providers: { file: { filename: 'dynamic.yaml' } },
      certificatesResolvers: { le: { acme: { storage: 'acme.json', caServer: ca.directoryUrl, keyType: 'EC256', httpChallenge: { entryPoint: 'web' } } } },
    }),
  );
  let log = '';
  child = spawn(process.execPath, [resolve('dist/src/cli.js'), '--config', join(dir, 'portico.yaml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.httpsCaFile },
  });
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const root = await ca.issuingRoot();
  for (const name of NAMES)
    await until(`certificate for ${name}`, 90_000, async () => {
      const seen = await peerCertificate(websecurePort, name, root);
      return seen.authorized ? true : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}\nportico log:\n${log.slice(-4000)}`);
    });
  // Every connection (spread over both workers) gets the issued certificate once worker 2 has read the file.
  await until('ten verified handshakes in a row', 20_000, async () => {
    for (let i = 0; i < 10; i++) if (!(await peerCertificate(websecurePort, NAMES[i % NAMES.length]!, root)).authorized) return undefined;
    return true;
  });
  const lines = log
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; pid: number });
  const orders = lines.filter((l) => l.msg === 'ACME order placed');
  expect(orders).toHaveLength(NAMES.length);
  expect(new Set(orders.map((o) => o.pid)).size).toBe(1);
  expect(lines.filter((l) => l.msg.startsWith('ACME order failed'))).toEqual([]);
}, 180_000);
