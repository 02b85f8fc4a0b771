/**
 * Token buckets kept in Redis, so every replica draws from the same bucket.
 * One Lua script per request does refill, take and expiry atomically, on
 * Redis's clock (replicas' clocks may disagree; Redis's is the one truth).
 * Connections are shared per distinct connection settings, so a
 * configuration reload does not open new ones.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Redis, Cluster } from 'ioredis';

// ioredis costs ~0.4 s of CPU to load; only configurations with a Redis-backed
// rateLimit need it, so it is loaded (synchronously: it is CommonJS) on first use.
const requireModule = createRequire(import.meta.url);
let ioredis: typeof import('ioredis') | undefined;
const loadIoredis = () => (ioredis ??= requireModule('ioredis') as typeof import('ioredis'));
import type { BucketShape, RateLimitStore } from './token-bucket.js';

export interface RedisOptions {
  endpoints: string[];
  username?: string;
  password?: string;
  db?: number;
  tls?: { ca?: string; cert?: string; key?: string; insecureSkipVerify?: boolean };
  /** Milliseconds. */
  dialTimeout?: number;
  /** Milliseconds a request waits for Redis before it is let through. */
  readTimeout?: number;
}

const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local maxDelay = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local wait = 0
if tokens < 1 then wait = math.ceil((1 - tokens) / rate) end
if wait <= maxDelay then tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], ttl)
return wait
`;

type ScriptedClient = (Redis | Cluster) & { porticoTake(key: string, ...args: Array<string | number>): Promise<number> };

/** One connection per distinct Redis configuration, shared by every rateLimit instance that uses it, counted. */
const clients = new Map<string, { client: ScriptedClient; users: number }>();

function parseEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(endpoint.trim());
  return { host: m?.[1] ?? endpoint, port: m?.[2] ? Number(m[2]) : 6379 };
}

function connect(o: RedisOptions): ScriptedClient {
  const tls = o.tls
    ? {
        ca: o.tls.ca ? readFileSync(o.tls.ca) : undefined,
        cert: o.tls.cert ? readFileSync(o.tls.cert) : undefined,
        key: o.tls.key ? readFileSync(o.tls.key) : undefined,
        rejectUnauthorized: !o.tls.insecureSkipVerify,
      }
    : undefined;
  const common = {
    username: o.username,
    password: o.password,
    connectTimeout: o.dialTimeout ?? 5000,
    commandTimeout: o.readTimeout ?? 3000,
    tls,
    // While Redis is unreachable, fail at once (and let the request through) rather than queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(times * 200, 2000),
  };
  const { Redis, Cluster } = loadIoredis();
  const client =
    o.endpoints.length > 1
      ? new Cluster(o.endpoints.map(parseEndpoint), { redisOptions: common, enableOfflineQueue: false })
      : new Redis({ ...parseEndpoint(o.endpoints[0]!), db: o.db ?? 0, ...common });
  // Errors surface per command (and the request is let through); the client reconnects by itself.
  client.on('error', () => {});
  client.defineCommand('porticoTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  return client as ScriptedClient;
}

export class RedisTokenBuckets implements RateLimitStore {
  private readonly client: ScriptedClient;
  private readonly id: string;
  private released = false;
  private readonly ttlMs: number;
  /** Commands that failed (Redis down or slow): those requests were let through. */
  failures = 0;

  constructor(
    redis: RedisOptions,
    private readonly shape: BucketShape,
    /** Key prefix naming the middleware, so two limits never share buckets. */
    private readonly prefix: string,
  ) {
    this.id = JSON.stringify(redis);
    let shared = clients.get(this.id);
    if (!shared) clients.set(this.id, (shared = { client: connect(redis), users: 0 }));
    shared.users++;
    this.client = shared.client;
    // A bucket left alone this long is full again: Redis may forget it.
    this.ttlMs = Math.ceil(shape.burst / shape.ratePerMs) + 1000;
  }

  /** This instance is done (its configuration version was replaced): the last user of a connection closes it. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const shared = clients.get(this.id);
    if (!shared || shared.client !== this.client || --shared.users > 0) return;
    clients.delete(this.id);
    void shared.client.quit().catch(() => shared.client.disconnect());
  }

  async take(key: string): Promise<number> {
    try {
      const { ratePerMs, burst, maxDelayMs } = this.shape;
      return await this.client.porticoTake(this.prefix + key, ratePerMs, burst, maxDelayMs, this.ttlMs);
    } catch {
      // Fail open: an unreachable Redis must not take the whole site down with it.
      this.failures++;
      return 0;
    }
  }
}

/** How many Redis connections are open now (for tests and metrics). */
export function openRedisConnections(): number {
  return clients.size;
}

/** Resolves once every shared connection is ready (or rejects after `timeoutMs`): for start-up checks and tests. */
export async function redisConnectionsReady(timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const { client: c } of clients.values()) {
    while (c.status !== 'ready') {
      if (Date.now() > deadline) throw new Error(`Redis not ready after ${timeoutMs} ms (status ${c.status})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Close every shared Redis connection (server shutdown, tests). */
export async function closeRedisConnections(): Promise<void> {
  const all = [...clients.values()].map((s) => s.client);
  clients.clear();
  await Promise.all(all.map((c) => c.quit().catch(() => c.disconnect())));
}
