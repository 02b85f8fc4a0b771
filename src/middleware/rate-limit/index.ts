/**
 * `rateLimit`: `average` requests per `period` (default 1s) per source, with
 * `burst` on top; over the limit → 429 with Retry-After. Limits are per
 * replica (in memory).
 */
import type { MiddlewareType } from '../middleware-type.js';
import { optionsValidator, sourceCriterionSchema } from '../options-schema.js';
import { sourceKey, type SourceCriterion } from '../source-criterion.js';
import { parseDurationMs } from '../../config/duration.js';
import { TokenBuckets } from './token-bucket.js';

interface Options {
  average: number;
  period?: string | number;
  burst?: number;
  sourceCriterion?: SourceCriterion;
}

export function createRateLimit(now: () => number = Date.now): MiddlewareType<Options> {
  return {
    type: 'rateLimit',
    validate: (o) => {
      const problems = optionsValidator({
        required: ['average'],
        properties: { average: { type: 'number', minimum: 0 }, period: { type: ['string', 'number'] }, burst: { type: 'integer', minimum: 1 }, sourceCriterion: sourceCriterionSchema },
      })(o);
      const period = (o as Options | undefined)?.period;
      if (period !== undefined)
        try {
          parseDurationMs(period);
        } catch (err) {
          problems.push(['period', (err as Error).message]);
        }
      return problems;
    },
    build: (o) => {
      if (!o.average) return (next) => next; // average 0 means no limit, as in Traefik
      const periodMs = o.period !== undefined ? parseDurationMs(o.period) : 1000;
      const buckets = new TokenBuckets(o.average / periodMs, o.burst ?? 1, now);
      const key = sourceKey(o.sourceCriterion);
      return (next) => (ex) => {
        const wait = buckets.take(key(ex));
        if (wait === 0) return next(ex);
        ex.respond(429, { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))), 'content-type': 'text/plain; charset=utf-8' }, '429 Too Many Requests\n');
      };
    },
  };
}

export const rateLimit = createRateLimit();
