/**
 * UpstreamPools across configuration versions: the node:http agent kept for
 * trailer-carrying requests survives a reload that still uses its server, and
 * when its server leaves the configuration a request under way still finishes
 * (its socket closes after), as undici pools close gracefully.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamPools } from '../../src/service/upstream-pools.js';

let server: http.Server;
let origin: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
    req.resume();
    req.on('end', () => setTimeout(() => res.end('done'), ms));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function get(agent: http.Agent, path: string): Promise<{ status: number; body: string; socket: import('node:net').Socket }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}${path}`, { agent }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket! }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('UpstreamPools trailer agents', () => {
  test('kept while a version uses the server; retired gracefully when none does', async () => {
    const pools = new UpstreamPools();
    pools.beginGeneration();
    const agent = pools.getTrailerAgent(origin, undefined);
    expect((await get(agent, '/')).body).toBe('done');
    // A reload that still has the server: same agent, idle keep-alive socket untouched.
    pools.beginGeneration();
    expect(pools.getTrailerAgent(origin, undefined)).toBe(agent);
    pools.sweep();
    const reused = await get(agent, '/');
    expect(reused.body).toBe('done');
    // A reload without it, while a slow request is under way: the request completes, then its socket closes.
    const slow = get(agent, '/?ms=300');
    await new Promise((r) => setTimeout(r, 50));
    pools.beginGeneration();
    pools.sweep();
    const r = await slow;
    expect(r).toMatchObject({ status: 200, body: 'done' });
    expect(r.socket.destroyed).toBe(true);
    // The agent forgets a socket when its 'close' event comes, a turn or two after destroy().
    for (let i = 0; i < 50 && Object.values(agent.freeSockets).flat().length; i++) await new Promise((d) => setTimeout(d, 10));
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(0);
    expect(pools.getTrailerAgent(origin, undefined)).not.toBe(agent);
    await pools.closeAll();
  });
});
