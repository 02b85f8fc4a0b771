/**
 * HTTP/3 throughput: Portico and Caddy 2.6 (quic-go, Traefik's QUIC stack)
 * proxying the same nginx backend, measured in one run with gtlsclient
 * (ngtcp2) as the load generator: requests/s for many small GETs over 8
 * connections, and MB/s for one 100 MB download.
 *
 *   node dist/bench/http3.js [--connections 8] [--requests 400] [--size-mb 100] [--only small|download]
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, freePort, porticoCommand, selfSignedCert, start, stopAll, waitForPort, workDir } from './bench-support.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const connections = arg('connections', 8);
const requestsPerConnection = arg('requests', 400);
const sizeMb = arg('size-mb', 100);
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined;
const runSmall = only !== 'download';
const runDownload = only !== 'small';

function gtlsclient(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('gtlsclient', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr.slice(-500)}`)) : resolve(stdout + stderr),
    ),
  );
}

async function smallGets(port: number): Promise<number> {
  const url = `https://localhost:${port}/small`;
  const startAt = performance.now();
  await Promise.all(
    Array.from({ length: connections }, () =>
      gtlsclient(['-q', '-n', String(requestsPerConnection), '--exit-on-all-streams-close', '--timeout=30s', '127.0.0.1', String(port), url], 120_000),
    ),
  );
  return (connections * requestsPerConnection) / ((performance.now() - startAt) / 1000);
}

async function download(port: number): Promise<number> {
  const dir = join(workDir, `dl-${port}`);
  mkdirSync(dir, { recursive: true });
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
      String(port),
      `https://localhost:${port}/big.bin`,
    ],
    180_000,
  );
  const seconds = (performance.now() - startAt) / 1000;
  const bytes = statSync(join(dir, 'big.bin')).size;
  rmSync(dir, { recursive: true, force: true });
  if (bytes !== sizeMb * 1024 * 1024) throw new Error(`downloaded ${bytes} bytes, expected ${sizeMb} MiB`);
  return bytes / 1024 / 1024 / seconds;
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
  const { cert, key } = selfSignedCert();

  const caddyPort = await freePort();
  writeFileSync(
    join(workDir, 'Caddyfile.h3'),
    `{\n  admin off\n  auto_https disable_redirects\n  skip_install_trust\n  servers {\n    protocols h1 h2 h3\n  }\n}\nhttps://localhost:${caddyPort} {\n  tls ${cert} ${key}\n  reverse_proxy 127.0.0.1:${backend}\n}\n`,
  );
  const caddyProc = start('caddy', ['run', '--config', join(workDir, 'Caddyfile.h3'), '--adapter', 'caddyfile'], {
    XDG_DATA_HOME: workDir,
    XDG_CONFIG_HOME: workDir,
    HOME: workDir,
  });

  const porticoPort = await freePort();
  writeFileSync(
    join(workDir, 'portico-h3.yaml'),
    `entryPoints:\n  websecure:\n    address: "127.0.0.1:${porticoPort}"\n    http: { tls: {} }\n    http3: { enabled: true }\nproviders:\n  file: { filename: ${join(workDir, 'dynamic-h3.yaml')}, watch: false }\nlog: { level: warn }\n`,
  );
  writeFileSync(
    join(workDir, 'dynamic-h3.yaml'),
    `http:\n  routers:\n    bench:\n      rule: PathPrefix(\`/\`)\n      service: nginx\n  services:\n    nginx:\n      loadBalancer:\n        servers: [{ url: "http://127.0.0.1:${backend}" }]\ntls:\n  stores:\n    default:\n      defaultCertificate: { certFile: ${cert}, keyFile: ${key} }\n`,
  );
  const portico = porticoCommand();
  // H3BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the Portico process during the bench.
  const extra = (process.env.H3BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const porticoProc = start(portico.command, [...extra, ...portico.args, '--config', join(workDir, 'portico-h3.yaml')]);
  await Promise.all([waitForPort(caddyPort), waitForPort(porticoPort)]);
  await new Promise((r) => setTimeout(r, 1000));

  console.log(
    `# HTTP/3 benchmark: ${connections} connections x ${requestsPerConnection} GETs, ${sizeMb} MiB download; gtlsclient (ngtcp2) as client; node ${process.version}`,
  );
  // CPU seconds each server spent on a phase: steadier than the rates on a small shared machine.
  const cpu = async <T>(pid: number | undefined, run: () => Promise<T>): Promise<[T, string]> => {
    const before = cpuSeconds(pid ?? -1);
    const out = await run();
    return [out, `${(cpuSeconds(pid ?? -1) - before).toFixed(2)} CPU s`];
  };
  let caddyRps = NaN;
  let porticoRps = NaN;
  let caddyMbs = NaN;
  let porticoMbs = NaN;
  if (runSmall) {
    let used: string;
    [caddyRps, used] = await cpu(caddyProc.pid, () => smallGets(caddyPort));
    console.log(`caddy    h3 small GETs  ${caddyRps.toFixed(0)} req/s  ${used}`);
    [porticoRps, used] = await cpu(porticoProc.pid, () => smallGets(porticoPort));
    console.log(`portico  h3 small GETs  ${porticoRps.toFixed(0)} req/s  ${used}`);
  }
  if (runDownload) {
    let used: string;
    [caddyMbs, used] = await cpu(caddyProc.pid, () => download(caddyPort));
    console.log(`caddy    h3 ${sizeMb} MiB download  ${caddyMbs.toFixed(1)} MiB/s  ${used}`);
    [porticoMbs, used] = await cpu(porticoProc.pid, () => download(porticoPort));
    console.log(`portico  h3 ${sizeMb} MiB download  ${porticoMbs.toFixed(1)} MiB/s  ${used}`);
  }
  console.log(`ratio portico/caddy h3 req/s ${(porticoRps / caddyRps).toFixed(2)}  MiB/s ${(porticoMbs / caddyMbs).toFixed(2)}`);
  stopAll();
}

main().catch((err) => {
  console.error(err);
  stopAll();
  process.exit(1);
});
