/**
 * What observability costs on the request path: Portico with metrics,
 * tracing (sampleRate 1 and 0.1) and the access log each on, against the same
 * Portico with everything off, h1 through wrk to an nginx backend. Every
 * variant is its own single process; the runs alternate (off, each on, off,
 * each on …) so the machine's other load falls on all of them, and each run
 * reports requests/s and the proxy's own CPU per request (from /proc, which
 * other load disturbs far less than throughput). Spans go to a throwaway
 * OTLP/HTTP receiver in its own process.
 *
 *   node dist/bench/observability-cost.js [--duration 8] [--connections 64] [--rounds 2]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, freePort, porticoCommand, run, start, startNginxBackend, stopAll, waitForPort, workDir } from './bench-support.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const duration = arg('duration', 8);
const connections = arg('connections', 64);
const rounds = arg('rounds', 2);

interface Variant {
  label: string;
  /** Static configuration beyond the entrypoints and the file provider. */
  extra: (ports: { admin: number; otlp: number }) => string;
}

const VARIANTS: Variant[] = [
  { label: 'all off', extra: () => '' },
  { label: 'metrics', extra: () => `metrics:\n  prometheus: { entryPoint: admin, addRoutersLabels: true }\n` },
  { label: 'tracing 1.0', extra: ({ otlp }) => `tracing:\n  sampleRate: 1\n  otlp: { http: { endpoint: "http://127.0.0.1:${otlp}" } }\n` },
  { label: 'tracing 0.1', extra: ({ otlp }) => `tracing:\n  sampleRate: 0.1\n  otlp: { http: { endpoint: "http://127.0.0.1:${otlp}" } }\n` },
  { label: 'access log', extra: () => `accessLog: { filePath: ${join(workDir, 'access.log')}, format: json }\n` },
];

/** A collector that accepts and drops every export, in its own process (wrk blocks this one). */
async function startSinkReceiver(): Promise<number> {
  const port = await freePort();
  start(process.execPath, ['-e', `require('http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('{}')); }).listen(${port}, '127.0.0.1')`]);
  await waitForPort(port);
  return port;
}

function wrk(port: number, pid: number): { rps: number; cpuUsPerReq: number } {
  const before = cpuSeconds(pid);
  const out = run('wrk', ['-t2', `-c${connections}`, `-d${duration}s`, `http://127.0.0.1:${port}/`], (duration + 30) * 1000);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  if (errors) console.log(`  (wrk reported: ${errors[0]})`);
  return { rps, cpuUsPerReq: rps > 0 ? ((cpuSeconds(pid) - before) * 1e6) / (rps * duration) : NaN };
}

async function main() {
  const backend = await startNginxBackend();
  const otlp = await startSinkReceiver();
  writeFileSync(
    join(workDir, 'dynamic.yaml'),
    `http:\n  routers:\n    bench:\n      rule: PathPrefix(\`/\`)\n      entryPoints: [web]\n      service: nginx\n  services:\n    nginx:\n      loadBalancer:\n        servers: [{ url: "http://127.0.0.1:${backend}" }]\n`,
  );
  const portico = porticoCommand();
  // One after the other: five processes starting at once on a loaded 2-core machine took over a minute.
  const running: Array<Variant & { web: number; pid: number }> = [];
  for (const [i, v] of VARIANTS.entries()) {
    const web = await freePort();
    const admin = await freePort();
    const file = join(workDir, `portico-${i}.yaml`);
    writeFileSync(
      file,
      `entryPoints:\n  web: { address: "127.0.0.1:${web}" }\n  admin: { address: "127.0.0.1:${admin}" }\nproviders:\n  file: { filename: ${join(workDir, 'dynamic.yaml')}, watch: false }\nlog: { level: warn }\n${v.extra({ admin, otlp })}`,
    );
    const child = start(portico.command, [...portico.args, '--config', file]);
    await waitForPort(web, 120_000);
    running.push({ ...v, web, pid: child.pid! });
  }
  for (const v of running) run('wrk', ['-t2', '-c64', '-d2s', `http://127.0.0.1:${v.web}/`], 30_000);
  console.log(`# observability cost: h1 via wrk -t2 -c${connections} -d${duration}s, ${rounds} alternating rounds, node ${process.version}`);
  const results = new Map<string, Array<{ rps: number; cpuUsPerReq: number }>>();
  for (let round = 1; round <= rounds; round++)
    for (const v of running) {
      const f = wrk(v.web, v.pid);
      (results.get(v.label) ?? results.set(v.label, []).get(v.label)!).push(f);
      console.log(`round ${round} ${v.label.padEnd(12)} ${f.rps.toFixed(0).padStart(7)} req/s  cpu ${f.cpuUsPerReq.toFixed(1)} µs/req`);
    }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const base = results.get('all off')!;
  const baseRps = mean(base.map((f) => f.rps));
  const baseCpu = mean(base.map((f) => f.cpuUsPerReq));
  for (const [label, runs] of results) {
    const rps = mean(runs.map((f) => f.rps));
    const cpu = mean(runs.map((f) => f.cpuUsPerReq));
    console.log(
      `mean  ${label.padEnd(12)} ${rps.toFixed(0).padStart(7)} req/s (${((rps / baseRps - 1) * 100).toFixed(1)} %)  cpu ${cpu.toFixed(1)} µs/req (${(((cpu - baseCpu) / baseCpu) * 100).toFixed(1)} %, ${(cpu - baseCpu).toFixed(1)} µs)`,
    );
  }
  stopAll();
}

main().catch((err) => {
  console.error(err);
  stopAll();
  process.exit(1);
});
