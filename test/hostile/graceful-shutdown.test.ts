/**
 * Shutdown ends with the last in-flight request, not at graceTimeOut: a 300 ms
 * request on one keep-alive connection, another keep-alive connection idle,
 * graceTimeOut 5 s. The request still gets its 200. Before: idle connections
 * were closed only at the start of the drain (and not at all on h1, whose
 * closeIdleConnections needs a listening server), so stop took the whole 5 s.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import http from 'node:http';
import http2 from 'node:http2';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { appRouteTo } from '../support/app-route.js';

let backend: Backend;
beforeAll(async () => {
  backend = await startBackend();
});
afterAll(async () => {
  await backend?.close();
});

function get(agent: http.Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent, headers: { host: 'app.test' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

test('h1: stop returns soon after the last in-flight request, which completes', async () => {
  const portico: Harness = await startPortico(
    { entryPoints: { web: { address: '127.0.0.1:0', transport: { lifeCycle: { graceTimeOut: '5s' } } } } },
    appRouteTo(backend.url),
  );
  const port = portico.port('web');
  const idleAgent = new http.Agent({ keepAlive: true });
  const busyAgent = new http.Agent({ keepAlive: true });
  try {
    expect(await get(idleAgent, port, '/')).toBe(200);
    expect(await get(busyAgent, port, '/')).toBe(200);
    const inFlight = get(busyAgent, port, '/slow?ms=300');
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await portico.stop();
    const took = performance.now() - started;
    expect(await inFlight).toBe(200);
    expect(took).toBeGreaterThan(150);
    expect(took).toBeLessThan(2500);
  } finally {
    idleAgent.destroy();
    busyAgent.destroy();
  }
});

test('h2: stop returns soon after the last in-flight stream, which completes', async () => {
  const portico: Harness = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, transport: { lifeCycle: { graceTimeOut: '5s' } } } } },
    appRouteTo(backend.url),
  );
  const port = portico.port('websecure');
  const idle = http2.connect(`https://127.0.0.1:${port}`, { servername: 'app.test', rejectUnauthorized: false });
  const busy = http2.connect(`https://127.0.0.1:${port}`, { servername: 'app.test', rejectUnauthorized: false });
  idle.on('error', () => undefined);
  busy.on('error', () => undefined);
  const request = (s: http2.ClientHttp2Session, path: string) =>
    new Promise<number>((resolve, reject) => {
      const r = s.request({ ':path': path, ':authority': 'app.test' });
      r.on('response', (h) => {
        r.resume();
        r.on('end', () => resolve(Number(h[':status'])));
      });
      r.on('error', reject);
      r.end();
    });
  try {
    expect(await request(idle, '/')).toBe(200);
    const inFlight = request(busy, '/slow?ms=300');
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await portico.stop();
    const took = performance.now() - started;
    expect(await inFlight).toBe(200);
    expect(took).toBeLessThan(2500);
  } finally {
    idle.destroy();
    busy.destroy();
  }
});
