/**
 * `workers: 2` as a user runs it (`portico --workers=2`): two processes share
 * the ports; the primary hands them one generated default certificate and one
 * set of TLS ticket keys, sums their metrics, relays worker 1's HTTP/3 state
 * so both advertise Alt-Svc, restarts a worker that dies, and drains both on
 * SIGTERM. Real clients: curl, openssl s_client, gtlsclient.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { curl } from '../support/curl.js';
import { gtlsclient } from '../support/gtlsclient.js';

const cli = resolve('dist/src/cli.js');
const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
  });
const exec = (cmd: string, args: string[], input = '') =>
  new Promise<string>((done) => {
    const child = execFile(cmd, args, { timeout: 15_000, maxBuffer: 8 * 1024 * 1024 }, (_err, stdout, stderr) => done(stdout + stderr));
    child.stdin?.end(input);
  });
const workerOf = (body: string) => /^Worker: (\d+) \(pid (\d+)\)$/m.exec(body)?.slice(1, 3).join(':');
const waitFor = async (what: () => boolean | Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
};

describe('portico --workers=2', () => {
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let web: number;
  let secure: number;
  let admin: number;
  let log = '';
  const url = (path = '/') => `https://localhost:${secure}${path}`;

  beforeAll(async () => {
    [web, secure, admin] = await Promise.all([freePort(), freePort(), freePort()]);
    child = spawn(process.execPath, [
      cli,
      '--config',
      'examples/quickstart/portico.yaml',
      '--workers=2',
      `--entryPoints.web.address=127.0.0.1:${web}`,
      `--entryPoints.websecure.address=127.0.0.1:${secure}`,
      `--entryPoints.portico.address=127.0.0.1:${admin}`,
      '--metrics.prometheus.entryPoint=portico',
      '--entryPoints.websecure.transport.lifeCycle.graceTimeOut=2s',
    ]);
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    exited = new Promise((r) => child.once('exit', (code) => r(code)));
    await waitFor(() => /all workers ready/.test(log) && (log.match(/configuration applied .*configVersion=2/g) ?? []).length >= 2, 20_000);
  });
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  test('both workers answer on the same ports, and both advertise HTTP/3 (served by worker 1)', async () => {
    const seen = new Map<string, string[]>();
    for (let i = 0; i < 10; i++) {
      const r = await curl(['--http1.1', url('/')]);
      expect(r.status, log).toBe(200);
      seen.set(workerOf(r.body)!, r.headers['alt-svc'] ?? []);
    }
    expect([...seen.keys()].map((k) => k.split(':')[0]).sort()).toEqual(['1', '2']);
    for (const altSvc of seen.values()) expect(altSvc).toEqual([`h3=":${secure}"; ma=2592000`]);
    const h3 = await exec('gtlsclient', ['--exit-on-all-streams-close', '--timeout=5s', '127.0.0.1', String(secure), url('/')]);
    const body = Buffer.from(
      [...h3.matchAll(/^[0-9a-f]{8}((?:\s+[0-9a-f]{2}){1,16})/gm)].flatMap((m) =>
        m[1]!
          .trim()
          .split(/\s+/)
          .map((h) => parseInt(h, 16)),
      ),
    ).toString();
    expect(body).toMatch(/Protocol: HTTP\/3\.0/);
    expect(body).toMatch(/^Worker: 1 /m);
  });

  test('one generated default certificate, and TLS sessions resume on the other worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-workers-'));
    const session = join(dir, 'session.pem');
    const get = `GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
    const first = await exec(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${secure}`, '-servername', 'localhost', '-alpn', 'http/1.1', '-sess_out', session, '-ign_eof'],
      get,
    );
    const firstWorker = workerOf(first);
    expect(firstWorker, first).toBeDefined();
    const fingerprint = (out: string) => /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)?.[0];
    let resumedElsewhere = '';
    for (let i = 0; i < 8 && !resumedElsewhere; i++) {
      const again = await exec(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${secure}`, '-servername', 'localhost', '-alpn', 'http/1.1', '-sess_in', session, '-ign_eof'],
        get,
      );
      const w = workerOf(again);
      if (w && w !== firstWorker) resumedElsewhere = again;
    }
    expect(resumedElsewhere, 'no connection reached the other worker').not.toBe('');
    expect(resumedElsewhere).toMatch(/^Reused, TLSv1\.3/m);
    // A fresh handshake on each worker shows the same certificate.
    const certs = new Set<string>();
    const workers = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const out = await exec('openssl', ['s_client', '-connect', `127.0.0.1:${secure}`, '-servername', 'localhost', '-alpn', 'http/1.1', '-ign_eof'], get);
      certs.add(fingerprint(out)!);
      workers.add(workerOf(out)!.split(':')[0]!);
    }
    expect(workers.size).toBe(2);
    expect(certs.size).toBe(1);
  });

  test('a scrape on either worker counts the requests of both', async () => {
    const count = async () => {
      const text = (await curl([`http://127.0.0.1:${admin}/metrics`])).body;
      const m = /^portico_entrypoint_requests_total\{entrypoint="websecure",protocol="HTTP\/2\.0",code="200"\} (\d+)$/m.exec(text);
      return Number(m?.[1] ?? 0);
    };
    const before = await count();
    const served = new Set<string>();
    for (let i = 0; i < 12; i++) served.add(workerOf((await curl([url('/count')])).body)!);
    expect(served.size).toBe(2);
    expect(await count()).toBe(before + 12);
    // Twice more, so both workers have answered a scrape with the same sum.
    expect(await count()).toBe(before + 12);
    expect(await count()).toBe(before + 12);
  });

  test('a worker that dies is replaced; the other keeps serving meanwhile', async () => {
    const pids = new Map<string, string>();
    for (let i = 0; i < 6; i++) {
      const [id, pid] = workerOf((await curl([url('/')])).body)!.split(':') as [string, string];
      pids.set(id, pid);
    }
    const victim = pids.get('2')!;
    process.kill(Number(victim), 'SIGKILL');
    // Connections handed to it in the instant it died are lost (as with any crashed process);
    // once the primary has seen the exit, every new connection goes to the survivor.
    expect(await waitFor(() => /worker died; restarting it .*worker=2/.test(log), 5_000), log).toBe(true);
    let failures = 0;
    for (let i = 0; i < 10; i++) if ((await curl([url('/')])).status !== 200) failures++;
    expect(failures).toBe(0);
    const replaced = await waitFor(async () => {
      const w = workerOf((await curl([url('/')])).body)!;
      return w.startsWith('2:') && w !== `2:${victim}`;
    }, 10_000);
    expect(replaced, log).toBe(true);
  });

  test("a restarted worker 1 resets the QUIC connections of the one before it with a token the client recognises (the key is the primary's)", async () => {
    /** Worker 1's pid, or undefined when it does not answer (dead, or not restarted yet). */
    const worker1 = async () => {
      for (let i = 0; i < 6; i++) {
        const w = workerOf((await curl([url('/')])).body);
        if (w?.startsWith('1:')) return w.split(':')[1]!;
      }
      return undefined;
    };
    const victim = await worker1();
    expect(victim).toBeDefined();
    // The request waits 6 s after the handshake; meanwhile worker 1 dies and is replaced (0.5 s backoff, then its start-up).
    const client = gtlsclient(['--delay-stream=6s', '127.0.0.1', String(secure), url('/after-restart')], { idleTimeout: '8s' });
    await new Promise((r) => setTimeout(r, 400));
    process.kill(Number(victim), 'SIGKILL');
    const restarted = async () => {
      const now = await worker1();
      return now !== undefined && now !== victim && /UDP, HTTP\/3/.test(log.slice(log.lastIndexOf('worker died')));
    };
    expect(await waitFor(restarted, 5_000), log).toBe(true);
    const r = await client;
    expect(r.out, r.out.slice(-2000)).toMatch(/pkt rx \d+ SR token=0x[0-9a-f]{32}/);
    expect(r.out).not.toMatch(/GET \/after-restart/);
  });

  test('SIGTERM drains both workers and the primary exits 0', async () => {
    // Both up (the tests above restarted some).
    const both = async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) seen.add(workerOf((await curl([url('/')])).body)?.split(':')[0] ?? '');
      return seen.has('1') && seen.has('2');
    };
    expect(await waitFor(both, 10_000), log).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((log.match(/shutting down gracefully/g) ?? []).length).toBe(2);
  });
});

describe('portico --workers=2 that cannot start', () => {
  test('a worker failing before it is ready (port taken) stops the primary with exit code 1', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as { port: number }).port;
    const out = await new Promise<{ code: number | null; log: string }>((done) => {
      let log = '';
      const c = spawn(process.execPath, [
        cli,
        '--config',
        'examples/quickstart/portico.yaml',
        '--workers=2',
        `--entryPoints.web.address=127.0.0.1:${port}`,
        '--entryPoints.websecure.address=127.0.0.1:0',
      ]);
      c.stdout!.on('data', (d) => (log += d));
      c.stderr!.on('data', (d) => (log += d));
      c.once('exit', (code) => done({ code, log }));
    });
    taken.close();
    expect(out.code, out.log).toBe(1);
    expect(out.log).toMatch(/EADDRINUSE/);
    expect(out.log).toMatch(/worker exited before it was ready; stopping/);
  });
});
