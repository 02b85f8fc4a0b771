/**
 * The overload policy against a real Portico: over maxActiveRequests h1 gets
 * 503 + connection: close and h2 REFUSED_STREAM; over maxConnections new
 * connections are closed at accept; above a memory threshold both; every shed
 * is counted in portico_entrypoint_shed_total by reason, and requests under
 * the limits are served throughout.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import http2 from 'node:http2';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { appRouteTo } from '../support/app-route.js';
import { exchangeRaw, normalGet, openRawConnection, sleep, within } from '../support/raw-tcp-client.js';
import { normalH2Get } from '../support/h2-frames.js';

let backend: Backend;
beforeAll(async () => {
  backend = await startBackend();
});
afterAll(async () => {
  await backend?.close();
});

async function shedCount(portico: Harness, entrypoint: string, reason: string): Promise<number> {
  const text = await portico.server.metrics.registry.metrics();
  const m = new RegExp(`^portico_entrypoint_shed_total\\{entrypoint="${entrypoint}",reason="${reason}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

test('over maxActiveRequests: h1 gets 503 with connection: close, h2 REFUSED_STREAM; both counted; served again after', async () => {
  const portico = await startPortico(
    {
      entryPoints: {
        websecure: { address: '127.0.0.1:0', http: { tls: {} }, transport: { overload: { maxActiveRequests: 3 } } },
        web: { address: '127.0.0.1:0', transport: { overload: { maxActiveRequests: 3 } } },
      },
    },
    appRouteTo(backend.url),
  );
  try {
    const web = portico.port('web');
    const slow = Array.from({ length: 3 }, () => normalGet(web, '/slow?ms=1500', 'app.test', 5000));
    await sleep(300);
    const shed = await exchangeRaw(web, 'GET / HTTP/1.1\r\nHost: app.test\r\n\r\n', 2000);
    expect(shed.response).toMatch(/^HTTP\/1\.1 503 /);
    expect(shed.response.toLowerCase()).toContain('connection: close');
    expect(shed.closed).toBe(true);
    expect(await shedCount(portico, 'web', 'requests')).toBe(1);
    for (const r of await Promise.all(slow)) expect(r).toMatchObject({ status: 200 });
    expect(await normalGet(web)).toMatchObject({ status: 200 });

    const secure = portico.port('websecure');
    const session = http2.connect(`https://127.0.0.1:${secure}`, { servername: 'app.test', rejectUnauthorized: false });
    session.on('error', () => undefined);
    try {
      const open = (path: string) =>
        new Promise<{ status?: number; rstCode?: number }>((resolve) => {
          const r = session.request({ ':path': path, ':authority': 'app.test' });
          r.on('response', (h) => {
            r.resume();
            r.on('end', () => resolve({ status: Number(h[':status']) }));
          });
          r.on('error', () => undefined);
          r.on('close', () => resolve({ rstCode: r.rstCode }));
          r.end();
        });
      const held = [open('/slow?ms=1500'), open('/slow?ms=1500'), open('/slow?ms=1500')];
      await sleep(300);
      expect(await open('/')).toEqual({ rstCode: http2.constants.NGHTTP2_REFUSED_STREAM });
      for (const r of await Promise.all(held)) expect(r).toEqual({ status: 200 });
      expect(await open('/')).toEqual({ status: 200 });
    } finally {
      session.destroy();
    }
    expect(await shedCount(portico, 'websecure', 'requests')).toBe(1);
  } finally {
    await portico.stop();
  }
});

test('over maxConnections: the next connection is closed at accept and counted; a slot that frees is used', async () => {
  const portico = await startPortico({ entryPoints: { web: { address: '127.0.0.1:0', transport: { maxConnections: 5 } } } }, appRouteTo(backend.url));
  const held = await Promise.all(Array.from({ length: 5 }, () => openRawConnection(portico.port('web'))));
  try {
    const extra = await openRawConnection(portico.port('web'));
    expect(await within(extra.closed, 2000)).toBe(true);
    expect(extra.received().length).toBe(0);
    expect(await shedCount(portico, 'web', 'connections')).toBeGreaterThanOrEqual(1);
    held.pop()!.socket.destroy();
    await sleep(200);
    expect(await normalGet(portico.port('web'))).toMatchObject({ status: 200 });
  } finally {
    for (const c of held) c.socket.destroy();
    await portico.stop();
  }
});

test('above the memory threshold new connections are closed at accept and counted (memory)', async () => {
  // 1 MiB of RSS: always above, so everything is shed.
  const portico = await startPortico(
    { entryPoints: { web: { address: '127.0.0.1:0', transport: { overload: { maxRssMiB: 1 } } }, websecure: { address: '127.0.0.1:0', http: { tls: {} } } } },
    appRouteTo(backend.url),
  );
  try {
    expect(await normalGet(portico.port('web'))).toHaveProperty('error');
    expect(await shedCount(portico, 'web', 'memory')).toBeGreaterThanOrEqual(1);
    // Another entrypoint without the threshold is not affected.
    expect(await normalH2Get(portico.port('websecure'))).toEqual({ status: 200 });
  } finally {
    await portico.stop();
  }
});
