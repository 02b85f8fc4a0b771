/**
 * `rateLimit`: `average` requests per `period` (default 1s) per source, with
 * `burst` requests at once (default 1), as a token bucket. A request a
 * little early is held briefly (at most half the interval between tokens,
 * 500 ms for slow rates, as Traefik does) instead of refused; otherwise 429
 * with Retry-After. Buckets live in memory (per replica) unless `redis` is
 * set, which shares them between replicas.
 */
import type { MiddlewareType, OptionProblem } from '../middleware-type.js';
import type { Exchange } from '../../exchange/exchange.js';
import { sourceCriterionSchema, stringList } from '../options-schema.js';
import { sourceCriterionProblems, sourceKey, type SourceCriterion } from '../source-criterion.js';
import { parseDurationMs } from '../../config/duration.js';
import { TokenBuckets, type BucketShape, type RateLimitStore } from './token-bucket.js';
import { RedisTokenBuckets, type RedisOptions } from './redis-token-buckets.js';

interface RedisConfig {
  endpoints: string[];
  username?: string;
  password?: string;
  db?: number;
  tls?: { ca?: string; cert?: string; key?: string; insecureSkipVerify?: boolean };
  dialTimeout?: string | number;
  readTimeout?: string | number;
  writeTimeout?: string | number;
  poolSize?: number;
  minIdleConns?: number;
  maxActiveConns?: number;
}

interface Options {
  average?: number;
  period?: string | number;
  burst?: number;
  sourceCriterion?: SourceCriterion;
  redis?: RedisConfig;
}

const duration = { type: ['string', 'number'] };
const redisSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['endpoints'],
  properties: {
    endpoints: { ...stringList, minItems: 1 },
    username: { type: 'string' },
    password: { type: 'string' },
    db: { type: 'integer', minimum: 0 },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: { ca: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, insecureSkipVerify: { type: 'boolean' } },
    },
    dialTimeout: duration,
    readTimeout: duration,
    writeTimeout: duration,
    // Accepted for Traefik compatibility; one pipelined connection serves all requests here.
    poolSize: { type: 'integer', minimum: 0 },
    minIdleConns: { type: 'integer', minimum: 0 },
    maxActiveConns: { type: 'integer', minimum: 0 },
  },
};

export interface RateLimitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: RateLimitClock = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

function checkDuration(problems: Array<[string, string]>, field: string, value: unknown): void {
  if (typeof value !== 'string' && typeof value !== 'number') return;
  try {
    parseDurationMs(value);
  } catch (err) {
    problems.push([field, (err as Error).message]);
  }
}

/** The rateLimit type on a given clock (tests inject a fake one). */
export function createRateLimit(clock: RateLimitClock = realClock): MiddlewareType<Options> {
  return {
    type: 'rateLimit',
    optionsSchema: {
      properties: {
        average: { type: 'number', minimum: 0 },
        period: duration,
        burst: { type: 'integer', minimum: 1 },
        sourceCriterion: sourceCriterionSchema,
        redis: redisSchema,
      },
    },
    validate: (o) => {
      const problems: OptionProblem[] = [];
      const opts = o as unknown as Record<string, unknown>;
      checkDuration(problems, 'period', opts.period);
      if (opts.period !== undefined && problems.every(([f]) => f !== 'period')) {
        if (parseDurationMs(opts.period as string | number) <= 0) problems.push(['period', 'must be longer than 0']);
      }
      const redis = opts.redis as Record<string, unknown> | undefined;
      if (redis && typeof redis === 'object') for (const f of ['dialTimeout', 'readTimeout', 'writeTimeout']) checkDuration(problems, `redis.${f}`, redis[f]);
      problems.push(...sourceCriterionProblems(opts.sourceCriterion));
      return problems;
    },
    build: (o, ctx) => {
      // average 0 (or unset) means no limit, as in Traefik.
      if (!o.average) return (next) => next;
      const periodMs = o.period !== undefined ? parseDurationMs(o.period) : 1000;
      const ratePerSecond = (o.average * 1000) / periodMs;
      const shape: BucketShape = {
        ratePerMs: o.average / periodMs,
        burst: o.burst ?? 1,
        maxDelayMs: ratePerSecond < 1 ? 500 : Math.floor(1000 / (2 * ratePerSecond)),
      };
      let store: RateLimitStore;
      if (o.redis) {
        const shared = new RedisTokenBuckets(redisOptions(o.redis), shape, `portico:ratelimit:${ctx.name}:`);
        ctx.onDispose(() => shared.release());
        store = shared;
      } else store = new TokenBuckets(shape, clock.now);
      const key = sourceKey(o.sourceCriterion);
      const refuse = (ex: Exchange, wait: number): void => {
        const seconds = Math.max(1, Math.ceil(wait / 1000));
        ex.respond(429, { 'retry-after': String(seconds), 'x-retry-in': `${wait}ms`, 'content-type': 'text/plain; charset=utf-8' }, 'Too Many Requests\n');
      };
      return (next) => {
        const proceed = async (ex: Exchange, wait: number): Promise<void> => {
          if (wait > shape.maxDelayMs) return refuse(ex, wait);
          if (wait > 0) await clock.sleep(wait);
          return next(ex);
        };
        return (ex) => {
          const wait = store.take(key(ex));
          // The in-memory store answers synchronously: no promise on the common path.
          if (typeof wait === 'number') return wait === 0 ? next(ex) : proceed(ex, wait);
          return wait.then((w) => proceed(ex, w));
        };
      };
    },
  };
}

function redisOptions(r: RedisConfig): RedisOptions {
  return {
    endpoints: r.endpoints,
    username: r.username,
    password: r.password,
    db: r.db,
    tls: r.tls,
    dialTimeout: r.dialTimeout !== undefined ? parseDurationMs(r.dialTimeout) : undefined,
    readTimeout: r.readTimeout !== undefined ? parseDurationMs(r.readTimeout) : undefined,
  };
}

export const rateLimit = createRateLimit();
