/**
 * `circuitBreaker` (Traefik's semantics, after oxy's cbreaker): while the
 * `expression` over the last ten seconds of responses is false, requests pass
 * and are measured (checked every `checkPeriod`). Once true, the breaker trips:
 * for `fallbackDuration` every request gets `responseCode` without reaching
 * the service. Then it recovers: for `recoveryDuration` a growing share of
 * requests passes (none at the start, all at the end), measured afresh; the
 * expression true again trips it again, else it is back to normal.
 */
import http from 'node:http';
import type { MiddlewareType } from '../middleware-type.js';
import { parseDurationMs } from '../../config/duration.js';
import { parseCondition } from './expression.js';
import { RollingMetrics } from './rolling-metrics.js';

interface Options {
  expression: string;
  checkPeriod?: string | number;
  fallbackDuration?: string | number;
  recoveryDuration?: string | number;
  responseCode?: number;
}

const duration = { type: ['string', 'number'] };

type BreakerState = { kind: 'standby' } | { kind: 'tripped'; until: number } | { kind: 'recovering'; since: number; until: number };

export const circuitBreaker: MiddlewareType<Options> = {
  type: 'circuitBreaker',
  optionsSchema: {
    required: ['expression'],
    properties: {
      expression: { type: 'string' },
      checkPeriod: duration,
      fallbackDuration: duration,
      recoveryDuration: duration,
      responseCode: { type: 'integer', minimum: 100, maximum: 599 },
    },
  },
  validate: (o) => {
    const problems: Array<[string, string]> = [];
    try {
      parseCondition(o.expression);
    } catch (err) {
      problems.push(['expression', (err as Error).message]);
    }
    for (const field of ['checkPeriod', 'fallbackDuration', 'recoveryDuration'] as const) {
      const v = o[field];
      if (v === undefined) continue;
      try {
        parseDurationMs(v, field);
      } catch (err) {
        problems.push([field, (err as Error).message]);
      }
    }
    return problems;
  },
  build: (o) => {
    const condition = parseCondition(o.expression);
    // Traefik's defaults.
    const checkPeriodMs = parseDurationMs(o.checkPeriod ?? '100ms');
    const fallbackMs = parseDurationMs(o.fallbackDuration ?? '10s');
    const recoveryMs = parseDurationMs(o.recoveryDuration ?? '10s');
    const responseCode = o.responseCode ?? 503;
    const fallbackBody = http.STATUS_CODES[responseCode] ?? '';
    const metrics = new RollingMetrics();
    let state: BreakerState = { kind: 'standby' };
    let lastCheck = 0;

    const trip = (now: number) => {
      state = { kind: 'tripped', until: now + fallbackMs };
    };
    /** The state for a request arriving now; moves on when its time is up or the expression says so. */
    const advance = (now: number): BreakerState => {
      if (state.kind === 'tripped' && now >= state.until) {
        // Recovery began when the fallback ended, whether or not a request came then.
        metrics.reset();
        state = { kind: 'recovering', since: state.until, until: state.until + recoveryMs };
        lastCheck = now;
      }
      if (state.kind === 'recovering' && now >= state.until) state = { kind: 'standby' };
      if (state.kind !== 'tripped' && now - lastCheck >= checkPeriodMs) {
        lastCheck = now;
        if (condition(metrics)) trip(now);
      }
      return state;
    };
    const letThrough = (s: BreakerState, now: number): boolean => {
      if (s.kind === 'standby') return true;
      if (s.kind === 'tripped') return false;
      return Math.random() < (now - s.since) / (s.until - s.since);
    };

    return (next) => (ex) => {
      const start = Date.now();
      if (!letThrough(advance(start), start)) return ex.respond(responseCode, { 'content-type': 'text/plain; charset=utf-8' }, fallbackBody);
      ex.onResponseHeaders((status) => metrics.record(status, Date.now() - start));
      return next(ex);
    };
  },
};
