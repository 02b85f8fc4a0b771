/**
 * `portico healthcheck` (dist/src/cli.js, built by `npx tsc`) against a real
 * Portico process started from the same static configuration file: exit 0
 * while it serves /ping, 1 once it is stopped, 1 for a /ping that answers
 * something else than 200, 1 when ping is not configured; over TLS when the
 * ping entrypoint has it.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../support/free-port.js';

const cli = resolve('dist/src/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'portico-healthcheck-'));
mkdirSync(join(dir, 'none'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, yaml: string): string {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

/** Run `portico healthcheck` and collect its exit code and output (bounded at 15 s). */
function healthcheck(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, 'healthcheck', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Start `portico --config file` and wait (bounded) until its configuration is applied. */
async function runPortico(configFile: string): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [cli, '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = Date.now() + 20_000;
  while (Date.now() < end && child.exitCode === null && !/configuration applied/.test(log)) await new Promise((r) => setTimeout(r, 50));
  if (!/configuration applied/.test(log)) {
    child.kill('SIGKILL');
    throw new Error(`portico did not start:\n${log}`);
  }
  return {
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('portico healthcheck', () => {
  test('exit 0 while Portico serves /ping on its internal entrypoint, 1 once it is stopped', async () => {
    const port = await freePort();
    const config = writeConfig(
      'plain.yaml',
      `entryPoints:\n  portico: { address: "127.0.0.1:${port}" }\nping: {}\nlog: { level: info }\nproviders: { file: { directory: "${dir}/none", watch: false } }\n`,
    );
    const portico = await runPortico(config);
    try {
      const up = await healthcheck(['--config', config]);
      expect(up.stderr).toBe('');
      expect(up).toMatchObject({ code: 0, stdout: `OK: http://127.0.0.1:${port}/ping\n` });
    } finally {
      await portico.stop();
    }
    const down = await healthcheck(['--config', config]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`error calling http://127\\.0\\.0\\.1:${port}/ping: .*ECONNREFUSED`));
  }, 60_000);

  test('over TLS when the ping entrypoint has http.tls (the generated default certificate is accepted)', async () => {
    const port = await freePort();
    const config = writeConfig(
      'tls.yaml',
      `entryPoints:\n  websecure: { address: "127.0.0.1:${port}", http: { tls: {} } }\nping: { entryPoint: websecure }\nlog: { level: info }\nproviders: { file: { directory: "${dir}/none", watch: false } }\n`,
    );
    const portico = await runPortico(config);
    try {
      expect(await healthcheck(['--config', config])).toMatchObject({ code: 0, stdout: `OK: https://127.0.0.1:${port}/ping\n` });
    } finally {
      await portico.stop();
    }
  }, 60_000);

  test('exit 1 with the status when /ping answers something else than 200 (a Portico still starting says 503)', async () => {
    const server = http.createServer((_req, res) => res.writeHead(503).end('starting'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const config = writeConfig('503.yaml', `entryPoints:\n  portico: { address: "127.0.0.1:${port}" }\nping: {}\n`);
    try {
      const r = await healthcheck(['--config', config]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`bad healthcheck status: 503 from http://127.0.0.1:${port}/ping\n`);
    } finally {
      server.close();
    }
  }, 30_000);

  test('exit 1 with a message when ping is not configured; --ping enables it as in Traefik', async () => {
    const port = await freePort();
    const config = writeConfig('noping.yaml', `entryPoints:\n  portico: { address: "127.0.0.1:${port}" }\n`);
    const r = await healthcheck(['--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ping is not enabled/);
    // With --ping the configuration is valid; nothing listens there, so the check fails on the connection.
    const withFlag = await healthcheck(['--config', config, '--ping']);
    expect(withFlag.code).toBe(1);
    expect(withFlag.stderr).toMatch(/ECONNREFUSED/);
  }, 30_000);
});
