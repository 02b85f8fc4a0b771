/**
 * Routing cost at 10 and 10,000 routers (host-based, with PathPrefix and
 * Header mixtures and a few host-less routes), and the time to compile a
 * 10,000-route table — what every reload pays. Bounded loops; prints one
 * line per figure and the 10,000/10 per-lookup ratio.
 *
 *   node dist/bench/routing.js
 */
import { buildRouteTable } from '../src/router/route-table.js';
import type { RequestFacts } from '../src/router/request-facts.js';
import { emptyDynamicConfig } from '../src/dynamic/model.js';
import { mergeSnapshots } from '../src/dynamic/merge.js';
import { buildRuntime } from '../src/runtime/runtime-config.js';
import { UpstreamPools } from '../src/service/upstream-pools.js';
import { validateStaticConfig } from '../src/config/load-static-config.js';
import { generatedDefaultCertificate } from '../src/tls/generated-default-certificate.js';
import { describeCertificate } from '../src/tls/sni-certificate-store.js';
import { MiddlewareRegistry } from '../src/middleware/registry.js';
import { IpRangeSet } from '../src/net/ip-range.js';

function definitions(n: number) {
  const defs: Array<{ name: string; rule: string; value: number }> = [];
  for (let i = 0; i < n; i++) {
    const host = `svc${i}.example.com`;
    const shape = i % 4;
    const rule =
      shape === 0
        ? `Host(\`${host}\`)`
        : shape === 1
          ? `Host(\`${host}\`) && PathPrefix(\`/api\`)`
          : shape === 2
            ? `Host(\`${host}\`) && Header(\`X-Tenant\`, \`t${i}\`)`
            : `(Host(\`${host}\`) || Host(\`www.${host}\`)) && !Method(\`TRACE\`)`;
    defs.push({ name: `r${i}`, rule, value: i });
  }
  // A handful of host-less routes every lookup must also consider.
  for (let i = 0; i < 5; i++) defs.push({ name: `any${i}`, rule: `PathPrefix(\`/internal${i}\`) && Method(\`POST\`)`, value: -1 });
  return defs;
}

/** `hotHosts` limits the request mix to that many distinct hosts (0 = spread over all routers). */
function lookupsPerSecond(n: number, ms: number, hotHosts = 0): { perSecond: number; hits: number } {
  const { table } = buildRouteTable(definitions(n));
  const requests: RequestFacts[] = [];
  for (let i = 0; i < 1024; i++) {
    const k = (i * 7919) % (hotHosts || n);
    requests.push({
      method: 'GET',
      host: `svc${k}.example.com`,
      path: i % 2 ? '/api/users' : '/',
      query: '',
      headers: { 'x-tenant': `t${k}` },
      clientIp: '10.0.0.1',
    });
  }
  let count = 0;
  let hits = 0;
  const start = performance.now();
  const end = start + ms;
  // Bounded by time and by count (50 M lookups), whichever comes first.
  while (performance.now() < end && count < 50_000_000) {
    for (let i = 0; i < 1024; i++) if (table.match(requests[i]!)) hits++;
    count += 1024;
  }
  return { perSecond: count / ((performance.now() - start) / 1000), hits: hits / count };
}

function compileMs(n: number): number {
  const defs = definitions(n);
  const start = performance.now();
  const { errors } = buildRouteTable(defs);
  if (errors.length) throw new Error(errors[0]!.message);
  return performance.now() - start;
}

const small = lookupsPerSecond(10, 1500);
const large = lookupsPerSecond(10_000, 1500);
const largeHot = lookupsPerSecond(10_000, 1500, 10);
console.log(`# routing benchmark, node ${process.version}`);
const hitRate = (r: { hits: number }) => `${Math.round(r.hits * 100)}% matched`;
console.log(`routers 10      lookups/s ${Math.round(small.perSecond)}  (${(1e9 / small.perSecond).toFixed(0)} ns/lookup, ${hitRate(small)})`);
console.log(`routers 10000   lookups/s ${Math.round(large.perSecond)}  (${(1e9 / large.perSecond).toFixed(0)} ns/lookup, ${hitRate(large)})`);
console.log(
  `routers 10000, same 10 hot hosts as the 10-router run: lookups/s ${Math.round(largeHot.perSecond)}  (${(1e9 / largeHot.perSecond).toFixed(0)} ns/lookup, ${hitRate(largeHot)})`,
);
console.log(
  `ratio per-lookup cost 10000/10: ${(small.perSecond / large.perSecond).toFixed(2)} (spread over 10000 hosts: CPU-cache misses), ${(small.perSecond / largeHot.perSecond).toFixed(2)} (same hot hosts: the algorithm alone)`,
);
console.log(`IpRangeSet.contains with 1000 IPv4 + 1000 IPv6 ranges: ${Math.round(ipLookupsPerSecond(1000, 1000))} lookups/s`);
compileMs(10_000); // warm the JIT
console.log(`compile 10000 routes: ${compileMs(10_000).toFixed(1)} ms (the routing part of a reload)`);
console.log(`full reload with 10000 routers and services: ${(await fullReloadMs(10_000)).toFixed(1)} ms (merge + validation + routes + services + TLS)`);

/** ClientIP / ipAllowList / trusted-proxy checks against a large list (half hits, half misses, both families). */
function ipLookupsPerSecond(n: number, ms: number): number {
  const ranges: string[] = [];
  for (let i = 0; i < n; i++) ranges.push(`10.${i >> 8}.${i & 255}.0/24`, `2001:db8:${i.toString(16)}::/48`);
  const set = new IpRangeSet(ranges);
  const probes = ['10.1.2.3', '11.1.2.3', '2001:db8:5::1', '2001:db9::1', '::ffff:10.3.4.5', '192.168.0.1', '10.0.200.9', 'fe80::1%eth0'];
  let count = 0;
  let hits = 0;
  const start = performance.now();
  while (performance.now() - start < ms && count < 50_000_000) {
    for (let i = 0; i < 1024; i++) if (set.contains(probes[i & 7]!)) hits++;
    count += 1024;
  }
  if (hits !== (count / 8) * 4) throw new Error(`IpRangeSet bench: ${hits} hits of ${count}, expected half`);
  return count / ((performance.now() - start) / 1000);
}

/** What the server does on every configuration change, at 10,000 routers and services (over 100 backends). */
async function fullReloadMs(n: number): Promise<number> {
  const config = emptyDynamicConfig();
  for (const d of definitions(n)) {
    config.http.routers[d.name] = { rule: d.rule, service: `svc${d.value < 0 ? 0 : d.value}` };
    config.http.services[`svc${d.value < 0 ? 0 : d.value}`] = { loadBalancer: { servers: [{ url: `http://10.0.${(d.value & 0xff) % 100}.1:8080` }] } };
  }
  const staticConfig = validateStaticConfig({ entryPoints: { web: { address: '127.0.0.1:0' } } }, process.cwd(), 'bench');
  const gen = await generatedDefaultCertificate();
  const pools = new UpstreamPools();
  const deps = {
    static: staticConfig,
    pools,
    internal: { get: () => undefined },
    middlewares: new MiddlewareRegistry(),
    generatedDefault: describeCertificate(gen.certPem, gen.keyPem, 'generated'),
    serverName: 'bench',
  };
  const snapshot = { provider: 'file', config, errors: [] };
  buildRuntime(mergeSnapshots([snapshot]), deps, 1); // warm-up
  const start = performance.now();
  const rt = buildRuntime(mergeSnapshots([snapshot]), deps, 2);
  const ms = performance.now() - start;
  if (rt.errors.length) throw new Error(rt.errors[0]!.message);
  await pools.closeAll();
  return ms;
}
