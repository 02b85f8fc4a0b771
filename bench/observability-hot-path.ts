/**
 * The CPU each observability recorder adds to one finished exchange, measured
 * in this process on in-memory exchanges (no sockets), so the figure does not
 * depend on what else the machine runs as much as a wrk run does: the Traefik
 * metrics' record(), the access log's JSON and common lines (written to
 * /dev/null), and a traced exchange's five spans (sampleRate 1 and 0.1,
 * exported to a collector that is not there: the batch processor drops them,
 * as it would under a slow collector).
 *
 *   node dist/bench/observability-hot-path.js [--iterations 100000]
 */
import { Registry } from 'prom-client';
import { MemoryExchange } from '../src/testing/memory-exchange.js';
import { TraefikMetrics, TRAEFIK_DEFAULT_BUCKETS } from '../src/observability/traefik-metrics.js';
import { AccessLog } from '../src/observability/access-log/access-log.js';
import { OtelTracing } from '../src/observability/tracing/otel-tracing.js';

const i = process.argv.indexOf('--iterations');
const iterations = i > 0 ? Number(process.argv[i + 1]) : 100_000;

function exchange(): MemoryExchange {
  const ex = new MemoryExchange({ url: '/api/items?page=2', headers: { 'user-agent': 'bench', accept: '*/*' }, authority: 'example.com' });
  ex.routerName = 'bench@file';
  ex.routerService = 'app@file';
  ex.serviceName = 'app@file';
  ex.serverUrl = 'http://10.0.0.1:8080';
  ex.originStatus = 200;
  ex.originBytes = 512;
  ex.originStartedAt = ex.startedAt + 0.1;
  ex.originEndedAt = ex.startedAt + 0.9;
  ex.respond(200, { 'content-type': 'text/plain' }, 'x'.repeat(512));
  return ex;
}

const turn = () => new Promise((r) => setImmediate(r));

/**
 * CPU µs per call of `f`, minus `baseline` (the loop itself). The loop yields to the event loop every 64
 * exchanges, as a loaded proxy's turns do, so what recorders defer to the end of a turn is counted too.
 */
async function measure(label: string, f: (ex: MemoryExchange) => void, baseline = 0): Promise<number> {
  const exchanges = Array.from({ length: 1000 }, exchange);
  for (let n = 0; n < 5000; n++) {
    f(exchanges[n % 1000]!); // warm up the JIT
    if (n % 64 === 63) await turn();
  }
  const start = process.cpuUsage();
  for (let n = 0; n < iterations; n++) {
    f(exchanges[n % 1000]!);
    if (n % 64 === 63) await turn();
  }
  await turn();
  const used = process.cpuUsage(start);
  const us = (used.user + used.system) / iterations - baseline;
  if (label) console.log(`${label.padEnd(34)} ${us.toFixed(2).padStart(7)} µs CPU per exchange`);
  return us;
}

async function main() {
  console.log(`# observability recorders: ${iterations} exchanges each, node ${process.version}`);
  const base = await measure('', () => undefined);
  const metrics = new TraefikMetrics(
    new Registry(),
    { prefix: 'traefik', buckets: TRAEFIK_DEFAULT_BUCKETS, addEntryPointsLabels: true, addRoutersLabels: true, addServicesLabels: true, addInternals: false },
    { openConnections: () => [], servers: () => [], certificates: () => [] },
  );
  const ep = metrics.forEntryPoint('web');
  await measure('metrics (entrypoint+router+service)', (ex) => ep.record(ex), base);
  const json = new AccessLog({ filePath: '/dev/null', format: 'json' });
  await measure('access log json', (ex) => json.record(ex, 'ok'), base);
  const common = new AccessLog({ filePath: '/dev/null', format: 'common' });
  await measure('access log common', (ex) => common.record(ex, 'ok'), base);
  for (const sampleRate of [1, 0.1]) {
    const tracing = await OtelTracing.create({ sampleRate, otlp: { http: { endpoint: 'http://127.0.0.1:9/' } } }, process.cwd());
    await measure(
      `tracing ${sampleRate} (5 spans + inject)`,
      (ex) => {
        const trace = tracing.start(ex, ex.routerName)!;
        trace.router('bench@file', 'app@file', 'PathPrefix(`/`)').end(200);
        const service = trace.service('app@file');
        trace.upstream('http://10.0.0.1:8080', 'GET', {}).end(200);
        service.end(200);
        ex.trace = trace;
        tracing.finish(ex);
      },
      base,
    );
    await tracing.shutdown().catch(() => undefined);
  }
  await Promise.all([json.close(), common.close()]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
