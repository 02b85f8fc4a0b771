/**
 * DNS-01 against a real CA: Pebble validates through pebble-challtestsrv, its
 * DNS server, whose TXT records are set over its management API. Two
 * resolvers of one Portico, each with one of lego's generic providers as a
 * Traefik user would configure them (environment variables): `exec` runs a
 * shell script that calls the management API with curl; `httpreq` posts to
 * an adapter (an HTTP server in this test, with basic authentication) that
 * translates to it. Each obtains a wildcard certificate (plus the bare name),
 * served for any name under it and verified against Pebble's root; the
 * records were presented and then cleaned up; the propagation check asked
 * the DNS server the resolvers key names.
 */
import { afterAll, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { waitForTxtRecord } from '../../src/acme/dns-propagation.js';
import { preparePebble, writeExecDnsHook, type PebbleCa } from './pebble-ca.js';
import { peerCertificate, startAcmePortico, until, type AcmePortico } from './acme-portico.js';

let ca: PebbleCa | undefined;
let portico: AcmePortico | undefined;
let adapter: Server | undefined;
const dir = mkdtempSync(join(tmpdir(), 'portico-acme-dns01-'));
const savedEnv = { ...process.env };

afterAll(async () => {
  process.env = savedEnv;
  await portico?.stop();
  adapter?.closeAllConnections();
  await new Promise((r) => adapter?.close(r) ?? r(undefined));
  await ca?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** POST JSON to pebble-challtestsrv's management API. */
async function challtestsrv(ca: PebbleCa, path: '/set-txt' | '/clear-txt', body: object): Promise<void> {
  const res = await fetch(`${ca.dnsManagementUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`challtestsrv ${path}: ${res.status}`);
}

test('wildcard certificates through lego exec and httpreq providers, validated by Pebble over DNS', async () => {
  const [webPort, websecurePort] = [await freePort(), await freePort()];
  ca = await preparePebble({ httpPort: webPort, tlsPort: websecurePort });
  await ca.start();

  // exec: lego's contract, `<program> present|cleanup <fqdn> <value>`; each call is logged for the test to check.
  const calls = join(dir, 'exec-calls.log');
  const script = join(dir, 'dns-hook.sh');
  writeExecDnsHook(ca, script, calls);

  // httpreq: lego's contract, POST /present and /cleanup with {fqdn, value}, basic authentication.
  const posts: Array<{ path: string; fqdn: string; value: string; auth: string | undefined }> = [];
  adapter = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      void (async () => {
        const body = JSON.parse(text) as { fqdn: string; value: string };
        posts.push({ path: req.url!, ...body, auth: req.headers.authorization });
        if (req.headers.authorization !== `Basic ${Buffer.from('dns-user:dns-secret').toString('base64')}`) return res.writeHead(401).end('who are you');
        if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json') return res.writeHead(400).end();
        if (req.url === '/hook/present') await challtestsrv(ca!, '/set-txt', { host: body.fqdn, value: body.value });
        else if (req.url === '/hook/cleanup') await challtestsrv(ca!, '/clear-txt', { host: body.fqdn });
        else return res.writeHead(404).end();
        res.writeHead(200).end();
      })().catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((r) => adapter!.listen(0, '127.0.0.1', r));

  Object.assign(process.env, {
    EXEC_PATH: script,
    EXEC_POLLING_INTERVAL: '1',
    EXEC_PROPAGATION_TIMEOUT: '30',
    HTTPREQ_ENDPOINT: `http://127.0.0.1:${(adapter.address() as AddressInfo).port}/hook`,
    HTTPREQ_USERNAME: 'dns-user',
    HTTPREQ_PASSWORD: 'dns-secret',
    HTTPREQ_POLLING_INTERVAL: '1',
  });
  const resolver = (provider: string) => ({
    storage: 'acme.json',
    caServer: ca!.directoryUrl,
    caCertificates: [ca!.httpsCaFile],
    keyType: 'EC256',
    dnsChallenge: { provider, resolvers: [ca!.dnsServer], propagation: { delayBeforeChecks: '100ms' } },
  });
  portico = await startAcmePortico({
    dir,
    webPort,
    websecurePort,
    resolvers: { viaexec: resolver('exec'), viahttp: resolver('httpreq') },
    dynamicYaml: [
      'http:',
      '  routers:',
      '    exec:',
      '      rule: HostRegexp(`^.+\\.exec\\.acme\\.test$`)',
      '      service: whoami@internal',
      '      tls: { certResolver: viaexec, domains: [{ main: "*.exec.acme.test", sans: [exec.acme.test] }] }',
      '    req:',
      '      rule: HostRegexp(`^.+\\.req\\.acme\\.test$`)',
      '      service: whoami@internal',
      '      tls: { certResolver: viahttp, domains: [{ main: "*.req.acme.test" }] }',
      '',
    ].join('\n'),
  });
  const root = await ca.issuingRoot();
  const served = (name: string) =>
    until(`certificate for ${name}`, 90_000, async () => {
      const seen = await peerCertificate(websecurePort, name, root);
      return seen.authorized ? seen.cert : undefined;
    });
  const viaExec = await served('anything.exec.acme.test');
  expect(viaExec.subjectAltName).toContain('DNS:*.exec.acme.test');
  expect(viaExec.subjectAltName).toContain('DNS:exec.acme.test');
  expect((await served('exec.acme.test')).fingerprint256).toBe(viaExec.fingerprint256);
  const viaHttp = await served('other.req.acme.test');
  expect(viaHttp.subjectAltName).toBe('DNS:*.req.acme.test');

  // exec: one present per authorization (the wildcard and the bare name share the TXT name), then the cleanups.
  const execCalls = () => readFileSync(calls, 'utf8').trim().split('\n');
  const lines = await until('exec cleanups', 10_000, () => (execCalls().length >= 4 ? execCalls() : undefined));
  const presents = lines.filter((l) => l.startsWith('present '));
  expect(presents).toHaveLength(2);
  for (const l of presents) expect(l).toMatch(/^present _acme-challenge\.exec\.acme\.test\. [A-Za-z0-9_-]{43}$/);
  expect(new Set(presents).size).toBe(2);
  expect(lines.filter((l) => l.startsWith('cleanup ')).sort()).toEqual(presents.map((l) => l.replace(/^present/, 'cleanup')).sort());
  expect(lines).toHaveLength(4);

  // httpreq: present then cleanup, same record, authenticated.
  await until('httpreq cleanup', 10_000, () => (posts.some((p) => p.path === '/hook/cleanup') ? true : undefined));
  expect(posts.map((p) => p.path)).toEqual(['/hook/present', '/hook/cleanup']);
  expect(posts[0]).toMatchObject({ fqdn: '_acme-challenge.req.acme.test.', value: posts[1]!.value });

  const status = (await portico.api('/api/acme')) as Array<{ name: string; challenge: string; dnsProvider?: string }>;
  expect(status.map((r) => [r.name, r.challenge, r.dnsProvider])).toEqual([
    ['viaexec', 'dns-01', 'exec'],
    ['viahttp', 'dns-01', 'httpreq'],
  ]);
  expect(portico.messages().filter((m) => m.startsWith('ACME order failed'))).toEqual([]);
}, 150_000);

test('the propagation check waits for the value itself: another TXT value under the name is not enough', async () => {
  const fqdn = '_acme-challenge.late.acme.test.';
  await challtestsrv(ca!, '/set-txt', { host: fqdn, value: 'some-other-value' });
  const check = { resolvers: [ca!.dnsServer], timeoutMs: 1_500, intervalMs: 200, stopped: () => false };
  await expect(waitForTxtRecord(fqdn, 'the-value', check)).rejects.toThrow(/not visible within 1.5 s \(last answer: TXT "some-other-value"\)/);
  setTimeout(() => void challtestsrv(ca!, '/set-txt', { host: fqdn, value: 'the-value' }), 500);
  const started = Date.now();
  await waitForTxtRecord(fqdn, 'the-value', { ...check, timeoutMs: 10_000 });
  expect(Date.now() - started).toBeGreaterThanOrEqual(400);
});
