/**
 * The `portico` command as a user runs it: the quickstart on real ports
 * (h1 and h2 through curl, HTTP/2 through nghttp, the generated default
 * certificate through openssl), `check` with good and bad configuration,
 * `version` and `--help`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { curl } from '../support/curl.js';

const cli = resolve('dist/src/cli.js');
const run = (args: string[]) =>
  new Promise<{ code: number; out: string }>((done) =>
    execFile(process.execPath, [cli, ...args], { timeout: 20_000 }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });

describe('portico quickstart', () => {
  let child: ChildProcess;
  let web: number;
  let secure: number;
  let log = '';

  beforeAll(async () => {
    web = await freePort();
    secure = await freePort();
    child = spawn(process.execPath, [
      cli,
      '--config',
      'examples/quickstart/portico.yaml',
      `--entryPoints.web.address=127.0.0.1:${web}`,
      `--entryPoints.websecure.address=127.0.0.1:${secure}`,
    ]);
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    const end = Date.now() + 15_000;
    while (Date.now() < end && !/configuration applied configVersion=2/.test(log)) await new Promise((r) => setTimeout(r, 100));
  });
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  test('serves whoami over h1 and h2, redirects plain HTTP, answers /ping in clear on the same port', async () => {
    const h2 = await curl([`https://localhost:${secure}/hello`]);
    expect(h2.status, log).toBe(200);
    expect(h2.body).toMatch(/Protocol: HTTP\/2\.0/);
    expect(h2.body).toMatch(/GET \/hello HTTP\/2\.0/);
    const h1 = await curl(['--http1.1', `https://localhost:${secure}/`]);
    expect(h1.body).toMatch(/Protocol: HTTP\/1\.1/);
    const redirect = await curl([`http://localhost:${web}/x`]);
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toEqual([`https://localhost:${secure}/x`]);
    // The quickstart decides TLS per router (issue 10): ping's router has no tls, so it answers in clear on the TLS port, and the TLS routers do not.
    expect((await curl([`http://localhost:${secure}/ping`])).body).toBe('OK');
    expect((await curl([`http://localhost:${secure}/hello`])).status).toBe(404);
    expect((await curl([`https://localhost:${secure}/secure`])).headers['strict-transport-security']).toEqual(['max-age=31536000']);
  });

  test('nghttp speaks HTTP/2 to it', async () => {
    const out = await new Promise<string>((ok) =>
      execFile('nghttp', ['-nv', `https://localhost:${secure}/`], { timeout: 10_000 }, (_e, so, se) => ok(so + se)),
    );
    expect(out).toMatch(/recv HEADERS frame/);
    expect(out).toMatch(/:status: 200/);
  });

  test('the generated default certificate answers and its fingerprint is logged', async () => {
    const out = await new Promise<string>((ok) => {
      const c = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${secure}`, '-servername', 'unknown.example'], { timeout: 8000 }, (_e, so, se) =>
        ok(so + se),
      );
      c.stdin!.end('Q\n');
    });
    expect(out).toMatch(/CN ?= ?PORTICO DEFAULT CERT/);
    expect(log).toMatch(/generated default TLS certificate.*fingerprintSha256=[0-9A-F:]{95}/);
  });
});

describe('portico check / version / help', () => {
  test('check passes on the quickstart and fails with every problem listed', async () => {
    expect((await run(['check', '--config', 'examples/quickstart/portico.yaml'])).out).toMatch(/configuration OK/);
    const dir = mkdtempSync(join(tmpdir(), 'portico-check-'));
    mkdirSync(join(dir, 'dyn'));
    writeFileSync(join(dir, 'portico.yaml'), 'entryPoints:\n  web:\n    address: ":8000"\nproviders:\n  file: { directory: dyn }\n');
    writeFileSync(join(dir, 'dyn', 'bad.yaml'), 'http:\n  routers:\n    r:\n      rule: Host(`a`) &&\n      service: nope\n');
    const bad = await run(['check', '--config', join(dir, 'portico.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/bad\.yaml/);
    expect(bad.out).toMatch(/http\.routers\.r@file\.service: no usable service named "nope@file"/);
    expect(bad.out).toMatch(/http\.routers\.r@file\.rule: expected a matcher/);
    writeFileSync(join(dir, 'portico.yaml'), 'entryPoints:\n  web:\n    adress: ":8000"\n');
    const badStatic = await run(['check', '--config', join(dir, 'portico.yaml')]);
    expect(badStatic.code).toBe(1);
    expect(badStatic.out).toMatch(/entryPoints\.web\.adress: unknown option/);
  });

  test('version and help', async () => {
    expect((await run(['version'])).out).toMatch(/^portico \d+\.\d+\.\d+ \(node v\d+/);
    const help = await run(['--help']);
    expect(help.out).toMatch(/portico check --config/);
    expect(help.out).toMatch(/PORTICO_ENTRYPOINTS_WEBSECURE_ADDRESS/);
  });
});
