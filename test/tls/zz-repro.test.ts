import { expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { TestPki } from '../support/pki.js';
import { startPortico } from '../support/portico-harness.js';
test('rsa', async () => {
  const pki = new TestPki();
  const rsa = pki.issue('rsa', ['rsa.example.test'], 'server', 'rsa');
  const p = await startPortico({ entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } } }, { 't.yaml': `tls:\n  certificates:\n    - { certFile: ${rsa.certFile}, keyFile: ${rsa.keyFile} }\n` });
  await p.server.nextApply(1);
  for (const extra of [[], ['-tls1_2'], ['-sigalgs', 'RSA-PSS+SHA256:rsa_pss_rsae_sha256']]) {
  const out = await new Promise<string>((r) => { const c = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${p.port('websecure')}`, '-servername', 'rsa.example.test', ...extra], { timeout: 8000 }, (_e, o, e) => r(o + e)); c.stdin?.end('Q\n'); });
  console.log(extra, /subject=.*/.exec(out)?.[0], /Peer signature type.*/.exec(out)?.[0]);
  }
  await p.stop();
});
