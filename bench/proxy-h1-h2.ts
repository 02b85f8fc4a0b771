/**
 * h1 (wrk) and h2-over-TLS (h2load) requests/s and latency for: the backend
 * reached directly, Caddy 2.6 `reverse_proxy`, and Portico with its whole
 * router/middleware pipeline — all in one run, on the same nginx backend.
 * Prints one line per figure and the Portico/Caddy ratios.
 *
 *   node dist/bench/proxy-h1-h2.js [--duration 10] [--connections 64]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, run, selfSignedCert, start, startNginxBackend, stopAll, waitForPort, workDir } from './bench-support.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const duration = arg('duration', 10);
const connections = arg('connections', 64);

interface Figures {
  rps: number;
  p99ms?: number;
  meanMs?: number;
}

function wrk(url: string): Figures {
  const out = run('wrk', ['-t2', `-c${connections}`, `-d${duration}s`, '--latency', url], (duration + 30) * 1000);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 1e-3 : p99[2] === 's' ? 1e3 : 1) : undefined;
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  if (errors) console.log(`  (wrk reported: ${errors[0]})`);
  return { rps, p99ms };
}

function h2load(url: string): Figures {
  const out = run('h2load', ['-D', String(duration), '-c', String(Math.min(connections, 32)), '-m', '10', '-t', '2', url], (duration + 30) * 1000);
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0);
  const line = /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(out);
  const toMs = (v: string, u: string) => Number(v) * (u === 'us' ? 1e-3 : u === 's' ? 1e3 : 1);
  const failed = /(\d+) failed/.exec(out);
  if (failed && failed[1] !== '0') console.log(`  (h2load: ${failed[0]})`);
  return { rps, meanMs: line ? toMs(line[5]!, line[6]!) : undefined };
}

async function main() {
  const backend = await startNginxBackend();
  const { cert, key } = selfSignedCert();

  const caddyPort = await freePort();
  const caddyPlain = await freePort();
  writeFileSync(
    join(workDir, 'Caddyfile'),
    `{\n  admin off\n  auto_https disable_redirects\n  skip_install_trust\n  servers {\n    protocols h1 h2\n  }\n}\nhttps://127.0.0.1:${caddyPort} {\n  tls ${cert} ${key}\n  reverse_proxy 127.0.0.1:${backend}\n}\nhttp://127.0.0.1:${caddyPlain} {\n  reverse_proxy 127.0.0.1:${backend}\n}\n`,
  );
  start('caddy', ['run', '--config', join(workDir, 'Caddyfile'), '--adapter', 'caddyfile'], { XDG_DATA_HOME: workDir, XDG_CONFIG_HOME: workDir, HOME: workDir });

  const porticoPort = await freePort();
  const porticoPlain = await freePort();
  writeFileSync(
    join(workDir, 'portico.yaml'),
    `entryPoints:\n  web:\n    address: "127.0.0.1:${porticoPlain}"\n  websecure:\n    address: "127.0.0.1:${porticoPort}"\n    http: { tls: {} }\nproviders:\n  file: { filename: ${join(workDir, 'dynamic.yaml')}, watch: false }\nlog: { level: warn }\n`,
  );
  writeFileSync(
    join(workDir, 'dynamic.yaml'),
    `http:\n  routers:\n    bench:\n      rule: PathPrefix(\`/\`)\n      service: nginx\n  services:\n    nginx:\n      loadBalancer:\n        servers: [{ url: "http://127.0.0.1:${backend}" }]\ntls:\n  stores:\n    default:\n      defaultCertificate: { certFile: ${cert}, keyFile: ${key} }\n`,
  );
  const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
  start(process.execPath, [cli, '--config', join(workDir, 'portico.yaml')]);
  await Promise.all([waitForPort(caddyPort), waitForPort(porticoPort), waitForPort(caddyPlain), waitForPort(porticoPlain)]);
  await new Promise((r) => setTimeout(r, 500));

  // Warm up both proxies (JIT, pools, TLS session caches) so the first measured run is not a cold start.
  for (const url of [`http://127.0.0.1:${caddyPlain}/`, `http://127.0.0.1:${porticoPlain}/`]) run('wrk', ['-t2', '-c64', '-d2s', url], 30_000);
  console.log(`# h1/h2 proxy benchmark: ${duration}s per run, ${connections} connections, node ${process.version}`);
  const direct = wrk(`http://127.0.0.1:${backend}/`);
  console.log(`direct   h1  ${direct.rps.toFixed(0)} req/s  p99 ${direct.p99ms?.toFixed(2)} ms`);
  const caddyH1 = wrk(`http://127.0.0.1:${caddyPlain}/`);
  console.log(`caddy    h1  ${caddyH1.rps.toFixed(0)} req/s  p99 ${caddyH1.p99ms?.toFixed(2)} ms`);
  const porticoH1 = wrk(`http://127.0.0.1:${porticoPlain}/`);
  console.log(`portico  h1  ${porticoH1.rps.toFixed(0)} req/s  p99 ${porticoH1.p99ms?.toFixed(2)} ms`);
  const caddyH1s = wrk(`https://127.0.0.1:${caddyPort}/`);
  console.log(`caddy    h1+tls  ${caddyH1s.rps.toFixed(0)} req/s  p99 ${caddyH1s.p99ms?.toFixed(2)} ms`);
  const porticoH1s = wrk(`https://127.0.0.1:${porticoPort}/`);
  console.log(`portico  h1+tls  ${porticoH1s.rps.toFixed(0)} req/s  p99 ${porticoH1s.p99ms?.toFixed(2)} ms`);
  const caddyH2 = h2load(`https://127.0.0.1:${caddyPort}/`);
  console.log(`caddy    h2  ${caddyH2.rps.toFixed(0)} req/s  mean ${caddyH2.meanMs?.toFixed(2)} ms`);
  const porticoH2 = h2load(`https://127.0.0.1:${porticoPort}/`);
  console.log(`portico  h2  ${porticoH2.rps.toFixed(0)} req/s  mean ${porticoH2.meanMs?.toFixed(2)} ms`);
  console.log(`ratio portico/caddy h1 rps ${(porticoH1.rps / caddyH1.rps).toFixed(2)}  p99 ${((porticoH1.p99ms ?? 0) / (caddyH1.p99ms ?? 1)).toFixed(2)}`);
  console.log(`ratio portico/caddy h1+tls rps ${(porticoH1s.rps / caddyH1s.rps).toFixed(2)}  p99 ${((porticoH1s.p99ms ?? 0) / (caddyH1s.p99ms ?? 1)).toFixed(2)}`);
  console.log(`ratio portico/caddy h2 rps ${(porticoH2.rps / caddyH2.rps).toFixed(2)}  mean ${((porticoH2.meanMs ?? 0) / (caddyH2.meanMs ?? 1)).toFixed(2)}`);
  stopAll();
}

main().catch((err) => {
  console.error(err);
  stopAll();
  process.exit(1);
});
