/**
 * A bounded soak: the built Portico (one process, started as its bin starts
 * it) in front of nginx, steady HTTP/1.1 load (wrk) and HTTP/2 load (h2load)
 * for the whole run, the dynamic configuration rewritten every few seconds
 * (a router added or renamed each time, so every reload builds a new version),
 * and every window the Portico process's RSS and open file descriptors (from
 * /proc) and the latency percentiles of probe requests made beside the load.
 * What it is for: memory or descriptors that grow with time or reloads, and
 * latency that degrades, show up as a trend down the table.
 *
 *   node dist/bench/soak.js [--duration 60] [--window 5] [--reload-every 3] [--connections 16]
 *
 * Bounded: minutes, not hours (--duration is capped at 600 s).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import http2 from 'node:http2';
import { freePort, porticoCommand, selfSignedCert, start, startNginxBackend, stopAll, waitForPort, workDir } from './bench-support.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const durationS = Math.min(arg('duration', 60), 600);
const windowS = arg('window', 5);
const reloadEveryS = arg('reload-every', 3);
const connections = arg('connections', 16);

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : NaN;
}

/** Latencies (ms) and failures of the probe clients in the current window. */
class ProbeWindow {
  h1: number[] = [];
  h2: number[] = [];
  failures = 0;
}

function dynamicConfig(backend: number, cert: string, key: string, version: number): string {
  // A router whose name and rule change with each version, beside the one the load uses.
  return `http:\n  routers:\n    soak:\n      rule: PathPrefix(\`/\`)\n      service: nginx\n    churn-${version}:\n      rule: PathPrefix(\`/churn/${version}\`)\n      service: nginx\n      middlewares: [strip-${version}]\n  middlewares:\n    strip-${version}:\n      stripPrefix: { prefixes: ["/churn/${version}"] }\n  services:\n    nginx:\n      loadBalancer:\n        servers: [{ url: "http://127.0.0.1:${backend}" }]\ntls:\n  stores:\n    default:\n      defaultCertificate: { certFile: ${cert}, keyFile: ${key} }\n`;
}

async function main() {
  const backend = await startNginxBackend();
  const { cert, key } = selfSignedCert();
  const dynamicFile = join(workDir, 'dynamic.yaml');
  writeFileSync(dynamicFile, dynamicConfig(backend, cert, key, 0));
  const plain = await freePort();
  const secure = await freePort();
  writeFileSync(join(workDir, 'portico.yaml'), `providers:\n  file: { filename: ${dynamicFile}, watch: true }\nlog: { level: warn }\n`);
  const portico = porticoCommand();
  const child = start(portico.command, [
    ...portico.args,
    '--config',
    join(workDir, 'portico.yaml'),
    `--entryPoints.web.address=127.0.0.1:${plain}`,
    `--entryPoints.websecure.address=127.0.0.1:${secure}`,
    '--entryPoints.websecure.http.tls=true',
  ]);
  const pid = child.pid!;
  // A loaded machine can take several seconds to start Node and Portico.
  await Promise.all([waitForPort(plain, 60_000), waitForPort(secure, 60_000)]);
  await new Promise((r) => setTimeout(r, 1000));

  // Steady background load for the whole run (bounded by its own -d / -D).
  start('wrk', ['-t1', `-c${connections}`, `-d${durationS}s`, `http://127.0.0.1:${plain}/`]);
  start('h2load', ['-D', String(durationS), '-c', String(Math.max(1, connections / 2)), '-m', '4', '-t', '1', `https://127.0.0.1:${secure}/`]);

  let probe = new ProbeWindow();
  const end = performance.now() + durationS * 1000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const h1Probe = (async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        http
          .get({ host: '127.0.0.1', port: plain, path: '/', agent, timeout: 5000 }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode === 200));
          })
          .on('error', () => resolve(false))
          .on('timeout', function (this: http.ClientRequest) {
            this.destroy();
          });
      });
      if (ok) probe.h1.push(performance.now() - t);
      else probe.failures++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const session = http2.connect(`https://127.0.0.1:${secure}`, { rejectUnauthorized: false });
  session.on('error', () => undefined);
  const h2Probe = (async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        const r = session.request({ ':path': '/' });
        const timer = setTimeout(() => (r.close(), resolve(false)), 5000);
        r.on('response', (h) => {
          r.resume();
          r.on('end', () => (clearTimeout(timer), resolve(h[':status'] === 200)));
        });
        r.on('error', () => (clearTimeout(timer), resolve(false)));
        r.end();
      });
      if (ok) probe.h2.push(performance.now() - t);
      else probe.failures++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  let version = 0;
  const reloads = setInterval(() => writeFileSync(dynamicFile, dynamicConfig(backend, cert, key, ++version)), reloadEveryS * 1000);
  console.log(
    `# soak: ${durationS}s, window ${windowS}s, config rewritten every ${reloadEveryS}s, wrk -c${connections} + h2load -c${Math.max(1, connections / 2)} -m4 beside the probes; node ${process.version}`,
  );
  console.log('    t  rss MiB  fds  reloads  h1 p50/p99 ms   h2 p50/p99 ms   probes  failed');
  const started = performance.now();
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, windowS * 1000));
    const w = probe;
    probe = new ProbeWindow();
    const h1 = w.h1.sort((a, b) => a - b);
    const h2 = w.h2.sort((a, b) => a - b);
    const f = (n: number) => n.toFixed(1).padStart(6);
    console.log(
      `${((performance.now() - started) / 1000).toFixed(0).padStart(5)}  ${rssMiB(pid).toFixed(1).padStart(7)}  ${String(openFds(pid)).padStart(3)}  ${String(version).padStart(7)}  ${f(percentile(h1, 0.5))}/${f(percentile(h1, 0.99))}  ${f(percentile(h2, 0.5))}/${f(percentile(h2, 0.99))}  ${String(h1.length + h2.length).padStart(6)}  ${String(w.failures).padStart(6)}`,
    );
  }
  clearInterval(reloads);
  await Promise.all([h1Probe, h2Probe]);
  session.destroy();
  agent.destroy();
  stopAll();
}

main().catch((err) => {
  console.error(err);
  stopAll();
  process.exitCode = 1;
});
