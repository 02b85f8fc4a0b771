/**
 * circuitBreaker through a real Portico, over h1 and h2 (curl) and h3 (quiche
 * client): a dead server trips NetworkErrorRatio() and the fallback answers
 * without trying it; a backend answering 500 trips ResponseCodeRatio with a
 * custom responseCode, and once healthy again the breaker recovers.
 * Durations are generous: CI shares two cores.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { curl } from '../../support/curl.js';
import { h3Request } from '../support/h3-request.js';

const PROTOCOLS = ['h1', 'h2', 'h3'] as const;
type Protocol = (typeof PROTOCOLS)[number];

let p: Harness;
let port: number;
let flaky: http.Server;
let failing = true;
let flakyRequests = 0;

beforeAll(async () => {
  flaky = http.createServer((_req, res) => {
    flakyRequests++;
    res.writeHead(failing ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(failing ? 'broken' : 'healthy');
  });
  flaky.listen(0, '127.0.0.1');
  await once(flaky, 'listening');
  const flakyUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;
  const routers = PROTOCOLS.flatMap((proto) => [
    `    dead-${proto}: { rule: PathPrefix(\`/dead-${proto}\`), service: dead, middlewares: [net-${proto}] }`,
    `    flaky-${proto}: { rule: PathPrefix(\`/flaky-${proto}\`), service: flaky, middlewares: [codes-${proto}] }`,
  ]);
  const middlewares = PROTOCOLS.flatMap((proto) => [
    `    net-${proto}: { circuitBreaker: { expression: "NetworkErrorRatio() > 0.5", checkPeriod: 50ms, fallbackDuration: 60s } }`,
    `    codes-${proto}: { circuitBreaker: { expression: "ResponseCodeRatio(500, 600, 0, 600) > 0.5 || LatencyAtQuantileMS(50.0) > 5000", checkPeriod: 50ms, fallbackDuration: 1s, recoveryDuration: 500ms, responseCode: 418 } }`,
  ]);
  p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true } } } },
    {
      'cb.yaml': `
http:
  routers:
${routers.join('\n')}
  services:
    dead: { loadBalancer: { servers: [{ url: "http://127.0.0.1:1" }] } }
    flaky: { loadBalancer: { servers: [{ url: "${flakyUrl}" }] } }
  middlewares:
${middlewares.join('\n')}
`,
    },
  );
  expect((await p.server.nextApply(1)).errors).toEqual([]);
  port = p.port('websecure');
});

afterAll(async () => {
  await p?.stop();
  flaky?.close();
});

async function get(proto: Protocol, path: string): Promise<{ status: number; body: string }> {
  if (proto === 'h3') {
    const r = await h3Request(port, path);
    return { status: r.status, body: r.body.toString() };
  }
  const r = await curl([proto === 'h1' ? '--http1.1' : '--http2', `https://127.0.0.1:${port}${path}`]);
  expect(r.httpVersion).toBe(proto === 'h1' ? '1.1' : '2');
  return { status: r.status, body: r.body };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('circuitBreaker end to end', () => {
  for (const proto of PROTOCOLS) {
    test(`${proto}: a dead server trips NetworkErrorRatio(); then 503 Service Unavailable without trying it`, async () => {
      expect((await get(proto, `/dead-${proto}`)).status).toBe(502);
      await sleep(150);
      const tripped = await get(proto, `/dead-${proto}`);
      expect(tripped).toEqual({ status: 503, body: 'Service Unavailable' });
      expect((await get(proto, `/dead-${proto}`)).status).toBe(503);
    });
  }

  test('ResponseCodeRatio trips with the configured responseCode, and the breaker recovers once the backend is healthy', async () => {
    failing = true;
    for (const proto of PROTOCOLS) expect((await get(proto, `/flaky-${proto}`)).status).toBe(500);
    await sleep(150);
    const before = flakyRequests;
    for (const proto of PROTOCOLS) expect(await get(proto, `/flaky-${proto}`)).toEqual({ status: 418, body: "I'm a Teapot" });
    expect(flakyRequests).toBe(before);
    failing = false;
    // fallbackDuration (1 s) then recoveryDuration (0.5 s), with room to spare.
    await sleep(2500);
    for (const proto of PROTOCOLS) expect(await get(proto, `/flaky-${proto}`)).toEqual({ status: 200, body: 'healthy' });
    expect(flakyRequests).toBe(before + 3);
  });
});
