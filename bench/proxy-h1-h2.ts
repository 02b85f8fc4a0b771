/**
 * h1 (wrk) and h2-over-TLS (h2load) requests/s and latency for: the backend
 * reached directly, Caddy 2.6 `reverse_proxy`, and Portico with its whole
 * router/middleware pipeline — all in one run, on the same nginx backend.
 * Prints one line per figure (requests/s, p99, and the proxy's own CPU time
 * per request, which load from other processes on the machine disturbs far
 * less than throughput) and the Portico/Caddy ratios, for Portico as one
 * process (the default) and with `workers: 2` (one per core here; Caddy uses
 * every core by itself). Portico is started the way its bin starts it
 * (porticoCommand: the same Node flags).
 *
 *   node dist/bench/proxy-h1-h2.js [--duration 10] [--connections 64]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, freePort, porticoCommand, run, selfSignedCert, start, startNginxBackend, stopAll, waitForPort, workDir } from './bench-support.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const duration = arg('duration', 10);
const connections = arg('connections', 64);

interface Figures {
  rps: number;
  p99ms: number | undefined;
  /** CPU time (user + system) of the measured process per request, µs. */
  cpuUsPerReq?: number;
}

/** Run one load generator against `pid`'s server and add the server's CPU per request. */
function measured(pid: number | undefined, load: () => Figures): Figures {
  const before = pid ? cpuSeconds(pid) : 0;
  const f = load();
  if (pid && f.rps > 0) f.cpuUsPerReq = ((cpuSeconds(pid) - before) * 1e6) / (f.rps * duration);
  return f;
}

function wrk(url: string, pid?: number): Figures {
  return measured(pid, () => {
    const out = run('wrk', ['-t2', `-c${connections}`, `-d${duration}s`, '--latency', url], (duration + 30) * 1000);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
    const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
    const p99ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 1e-3 : p99[2] === 's' ? 1e3 : 1) : undefined;
    const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
    if (errors) console.log(`  (wrk reported: ${errors[0]})`);
    return { rps, p99ms };
  });
}

/** h2load has no percentiles of its own: its per-request log (start µs, status, duration µs) gives the p99. */
function h2load(url: string, pid?: number): Figures {
  return measured(pid, () => {
    const log = join(workDir, `h2load-${Date.now()}.log`);
    const out = run(
      'h2load',
      ['-D', String(duration), '-c', String(Math.min(connections, 32)), '-m', '10', '-t', '2', '--log-file', log, url],
      (duration + 30) * 1000,
    );
    const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0);
    const failed = /(\d+) failed/.exec(out);
    if (failed && failed[1] !== '0') console.log(`  (h2load: ${failed[0]})`);
    const durations = readFileSync(log, 'utf8')
      .split('\n')
      .map((l) => Number(l.split('\t')[2]))
      .filter((d) => Number.isFinite(d) && d > 0)
      .sort((a, b) => a - b);
    const p99ms = durations.length ? durations[Math.min(durations.length - 1, Math.floor(durations.length * 0.99))]! / 1000 : undefined;
    return { rps, p99ms };
  });
}

function line(label: string, f: Figures): void {
  const cpu = f.cpuUsPerReq !== undefined ? `  cpu ${f.cpuUsPerReq.toFixed(1)} µs/req` : '';
  console.log(`${label.padEnd(17)} ${f.rps.toFixed(0).padStart(7)} req/s  p99 ${f.p99ms?.toFixed(2)} ms${cpu}`);
}

function ratio(who: string, label: string, p: Figures, c: Figures): void {
  const cpu = p.cpuUsPerReq && c.cpuUsPerReq ? `  cpu/req ${(p.cpuUsPerReq / c.cpuUsPerReq).toFixed(2)}` : '';
  console.log(`ratio ${who}/caddy ${label.padEnd(7)} rps ${(p.rps / c.rps).toFixed(2)}  p99 ${((p.p99ms ?? 0) / (c.p99ms ?? 1)).toFixed(2)}${cpu}`);
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
  const caddy = start('caddy', ['run', '--config', join(workDir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    XDG_DATA_HOME: workDir,
    XDG_CONFIG_HOME: workDir,
    HOME: workDir,
  });

  writeFileSync(join(workDir, 'portico.yaml'), `providers:\n  file: { filename: ${join(workDir, 'dynamic.yaml')}, watch: false }\nlog: { level: warn }\n`);
  writeFileSync(
    join(workDir, 'dynamic.yaml'),
    `http:\n  routers:\n    bench:\n      rule: PathPrefix(\`/\`)\n      service: nginx\n  services:\n    nginx:\n      loadBalancer:\n        servers: [{ url: "http://127.0.0.1:${backend}" }]\ntls:\n  stores:\n    default:\n      defaultCertificate: { certFile: ${cert}, keyFile: ${key} }\n`,
  );
  // One process (the default), and `workers: 2`: one per core of the machine this runs on, as Caddy uses both.
  const portico = porticoCommand();
  const variants = await Promise.all(
    [1, 2].map(async (workers) => {
      const plain = await freePort();
      const secure = await freePort();
      const child = start(portico.command, [
        ...portico.args,
        '--config',
        join(workDir, 'portico.yaml'),
        `--workers=${workers}`,
        `--entryPoints.web.address=127.0.0.1:${plain}`,
        `--entryPoints.websecure.address=127.0.0.1:${secure}`,
        '--entryPoints.websecure.http.tls=true',
      ]);
      return { label: workers === 1 ? 'portico' : `portico×${workers}`, plain, secure, pid: child.pid };
    }),
  );
  await Promise.all([caddyPort, caddyPlain, ...variants.flatMap((v) => [v.plain, v.secure])].map((p) => waitForPort(p)));
  await new Promise((r) => setTimeout(r, 1000));

  // Warm up every proxy (JIT, pools, TLS session caches) so the first measured run is not a cold start.
  for (const port of [caddyPlain, ...variants.map((v) => v.plain)]) run('wrk', ['-t2', '-c64', '-d2s', `http://127.0.0.1:${port}/`], 30_000);
  console.log(`# h1/h2 proxy benchmark: ${duration}s per run, ${connections} connections, node ${process.version} ${portico.args.slice(0, -1).join(' ')}`);
  line('direct   h1', wrk(`http://127.0.0.1:${backend}/`));
  const caddyH1 = wrk(`http://127.0.0.1:${caddyPlain}/`, caddy.pid);
  line('caddy    h1', caddyH1);
  const caddyH1s = wrk(`https://127.0.0.1:${caddyPort}/`, caddy.pid);
  line('caddy    h1+tls', caddyH1s);
  const caddyH2 = h2load(`https://127.0.0.1:${caddyPort}/`, caddy.pid);
  line('caddy    h2', caddyH2);
  const results = variants.map((v) => {
    const h1 = wrk(`http://127.0.0.1:${v.plain}/`, v.pid);
    line(`${v.label.padEnd(8)} h1`, h1);
    const h1s = wrk(`https://127.0.0.1:${v.secure}/`, v.pid);
    line(`${v.label.padEnd(8)} h1+tls`, h1s);
    const h2 = h2load(`https://127.0.0.1:${v.secure}/`, v.pid);
    line(`${v.label.padEnd(8)} h2`, h2);
    return { label: v.label, h1, h1s, h2 };
  });
  for (const r of results) {
    ratio(r.label, 'h1', r.h1, caddyH1);
    ratio(r.label, 'h1+tls', r.h1s, caddyH1s);
    ratio(r.label, 'h2', r.h2, caddyH2);
  }
  stopAll();
}

main().catch((err) => {
  console.error(err);
  stopAll();
  process.exit(1);
});
