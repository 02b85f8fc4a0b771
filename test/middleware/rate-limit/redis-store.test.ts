/**
 * rateLimit with `redis`: two middleware instances (two replicas) share one
 * bucket through a real redis-server on loopback.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';
import { createRateLimit } from '../../../src/middleware/rate-limit/index.js';
import { closeRedisConnections, openRedisConnections, redisConnectionsReady } from '../../../src/middleware/rate-limit/redis-token-buckets.js';
import type { Handler } from '../../../src/exchange/exchange.js';

const REDIS = '/usr/bin/redis-server';
let redis: ChildProcess | undefined;
let port = 0;

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const p = (s.address() as { port: number }).port;
  s.close();
  return p;
}

beforeAll(async () => {
  if (!existsSync(REDIS)) throw new Error('redis-server is needed for this test: apt-get install redis-server');
  port = await freePort();
  redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const deadline = Date.now() + 10_000;
  for await (const chunk of redis.stdout!) {
    out += String(chunk);
    if (/Ready to accept connections/.test(out)) break;
    if (Date.now() > deadline) throw new Error('redis-server did not start: ' + out);
  }
  redis.stdout!.resume();
});

afterAll(async () => {
  await closeRedisConnections();
  redis?.kill();
});

/** A configuration version's instance; `released` collects what it registered for disposal. */
function replica(options: Record<string, unknown>, released: Array<() => void> = []): Handler {
  const type = createRateLimit();
  expect(type.validate?.(options) ?? []).toEqual([]);
  return type.build(options as never, {
    name: 'shared@file',
    resolve: () => {
      throw new Error('none');
    },
    onDispose: (r) => released.push(r),
  })(recordingService());
}

async function statusOf(h: Handler, ip: string): Promise<number> {
  return (await run(h, { remoteAddress: ip })).statusCode!;
}

describe('rateLimit with a Redis store', () => {
  test('two replicas draw from one bucket per source', async () => {
    const options = { average: 1, period: '1m', burst: 3, redis: { endpoints: [`127.0.0.1:${port}`] } };
    const a = replica(options);
    const b = replica(options);
    await redisConnectionsReady();
    const codes = [
      await statusOf(a, '192.0.2.1'),
      await statusOf(b, '192.0.2.1'),
      await statusOf(a, '192.0.2.1'),
      await statusOf(b, '192.0.2.1'),
      await statusOf(a, '192.0.2.1'),
    ];
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    expect(await statusOf(b, '192.0.2.2')).toBe(200);
    const refused = await run(b, { remoteAddress: '192.0.2.1' });
    expect(Number(refused.responseHeaders['retry-after'])).toBeGreaterThan(50);
  });

  test('one connection per Redis configuration, kept across a reload, closed when no version uses it', async () => {
    await closeRedisConnections();
    const options = { average: 5, burst: 5, redis: { endpoints: [`127.0.0.1:${port}`] } };
    const v1: Array<() => void> = [];
    const v2: Array<() => void> = [];
    replica(options, v1);
    expect(openRedisConnections()).toBe(1);
    // A reload builds the next version first, then disposes the old one: the connection stays.
    const next = replica(options, v2);
    expect(openRedisConnections()).toBe(1);
    v1.forEach((r) => r());
    expect(openRedisConnections()).toBe(1);
    await redisConnectionsReady();
    expect(await statusOf(next, '192.0.2.9')).toBe(200);
    // The endpoint leaves the configuration: the last version using it is disposed and the connection closes.
    v2.forEach((r) => r());
    v2.forEach((r) => r()); // twice is harmless
    expect(openRedisConnections()).toBe(0);
  });

  test('an unreachable Redis lets requests through rather than failing the site', async () => {
    const dead = await freePort();
    const h = replica({ average: 1, period: '1h', burst: 1, redis: { endpoints: [`127.0.0.1:${dead}`], dialTimeout: '200ms', readTimeout: '200ms' } });
    expect([await statusOf(h, '192.0.2.1'), await statusOf(h, '192.0.2.1')]).toEqual([200, 200]);
  });
});
