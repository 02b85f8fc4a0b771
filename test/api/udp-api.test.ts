/**
 * /api/udp/routers and /api/udp/services in Traefik v3's shape, against a real
 * Portico with a UDP entrypoint: an enabled router, a second router on the
 * same entrypoint (reported: one router per UDP entrypoint), a broken one,
 * a weighted service over a load balancer, and the overview's counts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPortico, type Harness } from '../support/portico-harness.js';

describe('UDP objects in the API', () => {
  let p: Harness;
  let base: string;
  const get = async (path: string) => {
    const res = await fetch(base + path);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & Array<Record<string, unknown>> };
  };

  beforeAll(async () => {
    p = await startPortico(
      {
        entryPoints: { dns: { address: '127.0.0.1:0/udp', transport: { lifeCycle: { graceTimeOut: 0 } } }, portico: { address: '127.0.0.1:0' } },
        api: { insecure: true },
      },
      {
        'udp.yaml': `
udp:
  routers:
    a-dns: { entryPoints: [dns], service: split }
    b-dns: { service: pool }
    broken: { service: nothing }
  services:
    split: { weighted: { services: [{ name: pool, weight: 2 }] } }
    pool: { loadBalancer: { servers: [{ address: "127.0.0.1:5353" }] } }
`,
      },
    );
    await p.server.nextApply(1);
    base = `http://127.0.0.1:${p.port('portico')}`;
  });
  afterAll(() => p?.stop());

  test('routers: enabled with the entrypoints they use; the second router of an entrypoint and a broken one are disabled with their error', async () => {
    const { status, body } = await get('/api/udp/routers');
    expect(status).toBe(200);
    expect(body.map((r) => [r.name, r.status])).toEqual([
      ['a-dns@file', 'enabled'],
      ['b-dns@file', 'disabled'],
      ['broken@file', 'disabled'],
    ]);
    expect(body[0]).toEqual({ entryPoints: ['dns'], service: 'split@file', status: 'enabled', using: ['dns'], name: 'a-dns@file', provider: 'file' });
    expect(body[1]!.error).toEqual([expect.stringMatching(/entrypoint "dns" is already served by UDP router "a-dns@file"/)]);
    expect(body[2]!.error).toEqual([expect.stringMatching(/service: no usable UDP service named "nothing@file"/)]);
    expect((await get('/api/udp/routers/a-dns@file')).body.using).toEqual(['dns']);
    expect((await get('/api/udp/routers/nope@file')).status).toBe(404);
    expect((await get('/api/udp/middlewares')).status).toBe(404);
  });

  test('services with type and usedBy; the overview counts UDP objects', async () => {
    const { body } = await get('/api/udp/services');
    const byName = Object.fromEntries(body.map((s) => [s.name, s]));
    expect(byName['pool@file']).toEqual({
      loadBalancer: { servers: [{ address: '127.0.0.1:5353' }] },
      status: 'enabled',
      usedBy: ['a-dns@file', 'b-dns@file'],
      name: 'pool@file',
      provider: 'file',
      type: 'loadbalancer',
    });
    expect(byName['split@file']!.type).toBe('weighted');
    expect(byName['split@file']!.usedBy).toEqual(['a-dns@file']);
    const overview = (await get('/api/overview')).body as unknown as { udp: unknown };
    expect(overview.udp).toEqual({ routers: { total: 3, warnings: 0, errors: 2 }, services: { total: 2, warnings: 0, errors: 0 } });
    const raw = (await get('/api/rawdata')).body as unknown as { udpRouters: Record<string, unknown> };
    expect(Object.keys(raw.udpRouters).sort()).toEqual(['a-dns@file', 'b-dns@file', 'broken@file']);
  });
});
