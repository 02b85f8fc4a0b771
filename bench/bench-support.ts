/** Shared pieces of the benchmarks: processes, ports, a cheap backend, a generated certificate. */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const workDir = mkdtempSync(join(tmpdir(), 'portico-bench-'));
const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function start(cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr?.on('data', (d) => (err = (err + d).slice(-4000)));
  child.once('exit', (code) => {
    if (code && code !== 0 && !stopping) console.error(`${cmd} exited ${code}: ${err}`);
  });
  children.push(child);
  return child;
}

let stopping = false;
export function stopAll(): void {
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const { connect } = await import('node:net');
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

/** nginx answering `return 200` — the cheapest backend there is, so the proxy is what we measure. */
export async function startNginxBackend(): Promise<number> {
  const port = await freePort();
  const dir = mkdtempSync(join(workDir, 'nginx-'));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:${port}; location / { return 200 "hello from nginx\\n"; } } }`,
  );
  start('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir]);
  await waitForPort(port);
  return port;
}

export function selfSignedCert(): { cert: string; key: string } {
  const cert = join(workDir, 'bench.crt');
  const key = join(workDir, 'bench.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'pipe' },
  );
  return { cert, key };
}

export function run(cmd: string, args: string[], timeoutMs: number): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
}

/**
 * How to start the built Portico exactly as its `portico` bin does: the Node
 * flags on the `#!/usr/bin/env -S node …` line of dist/src/cli.js, then the
 * script; run by `node` (this process's Node unless another is given), from
 * this build unless `cli` names another (a baseline build for before/after).
 */
export function porticoCommand(node = process.execPath, cli = new URL('../src/cli.js', import.meta.url).pathname): { command: string; args: string[] } {
  const shebang = readFileSync(cli, 'utf8').split('\n', 1)[0]!;
  const flags = shebang
    .replace(/^#!\S*env -S node\s*|^#!\S*\bnode\s*/, '')
    .split(/\s+/)
    .filter(Boolean);
  return { command: node, args: [...flags, cli] };
}

/** A process and its direct children (a primary's workers), from /proc: pid → the fields of /proc/<pid>/stat after the command name. */
function processTree(pid: number): Map<number, string[]> {
  const tree = new Map<number, string[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // After the command name: field 4 (ppid) of proc(5) is at 1 here.
    const fields = stat.replace(/^.*\) /, '').split(' ');
    if (Number(entry) === pid || Number(fields[1]) === pid) tree.set(Number(entry), fields);
  }
  return tree;
}

/** CPU seconds (user + system) a process and its direct children (a primary's workers) have used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** User and system CPU seconds of a process and its direct children, from /proc (system time includes the kernel's UDP/loopback work for our sends). */
export function cpuTimes(pid: number): { user: number; system: number } {
  let user = 0;
  let system = 0;
  // Fields 14 (utime) and 15 (stime) of proc(5) are at 11 and 12 here; clock ticks are 100/s on Linux.
  for (const fields of processTree(pid).values()) {
    user += Number(fields[11]) / 100;
    system += Number(fields[12]) / 100;
  }
  return { user, system };
}

/** Resident memory (bytes) of a process and its direct children, from VmRSS in /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  let total = 0;
  for (const child of processTree(pid).keys()) {
    try {
      const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child}/status`, 'utf8'))?.[1];
      total += Number(kib ?? 0) * 1024;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** The 1-minute load average, from /proc/loadavg. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
