/** Active health checks take a failing server out of rotation and bring it back when it recovers. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { curl } from '../support/curl.js';

let portico: Harness;
let port: number;
let healthy = { a: true, b: true };
const servers: http.Server[] = [];

async function backend(name: 'a' | 'b'): Promise<number> {
  const s = http.createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(healthy[name] ? 200 : 500);
      return res.end();
    }
    res.end(name);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  servers.push(s);
  return (s.address() as AddressInfo).port;
}

beforeAll(async () => {
  const pa = await backend('a');
  const pb = await backend('b');
  portico = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } } },
    {
      'r.yaml': `http:\n  routers:\n    r: { rule: PathPrefix(\`/\`), service: s }\n  services:\n    s:\n      loadBalancer:\n        healthCheck: { path: /health, interval: 100ms, timeout: 1s }\n        servers: [{ url: "http://127.0.0.1:${pa}" }, { url: "http://127.0.0.1:${pb}" }]\n`,
    },
  );
  await portico.server.nextApply(1);
  port = portico.port('websecure');
});

afterAll(async () => {
  await portico?.stop();
  for (const s of servers) s.close();
});

const names = async (n: number) => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await curl([`https://127.0.0.1:${port}/`])).body);
  return out;
};

test('a failing server leaves the rotation and returns when healthy again', async () => {
  expect(new Set(await names(4))).toEqual(new Set(['a', 'b']));
  healthy = { a: false, b: true };
  await new Promise((r) => setTimeout(r, 400));
  expect(new Set(await names(4))).toEqual(new Set(['b']));
  healthy = { a: false, b: false };
  await new Promise((r) => setTimeout(r, 400));
  expect((await curl([`https://127.0.0.1:${port}/`])).status).toBe(503);
  healthy = { a: true, b: true };
  await new Promise((r) => setTimeout(r, 400));
  expect(new Set(await names(4))).toEqual(new Set(['a', 'b']));
});
