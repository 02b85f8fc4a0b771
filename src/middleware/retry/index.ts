/**
 * `retry` (Traefik's semantics): a request whose backend attempt failed at
 * the network level — connection refused, reset or closed before the backend
 * answered — is sent again, up to `attempts` attempts in all, after an
 * exponential backoff from `initialInterval` (retry-backoff.ts), while
 * nothing has been written to the client. Each attempt runs the rest of the
 * pipeline afresh: the request as it was when it reached this middleware
 * (method, URL, headers), the body from the start (replayable-body.ts), and
 * the load balancer picks again, so a dead server behind it is never seen.
 *
 * Not retried, as in Traefik: any answer from the backend, 500 included; a
 * response-header timeout (the backend may be working on it); anything after
 * the response head left. A connection reset may come after the backend got
 * the request, so for methods that are not idempotent (RFC 9110 §9.2.2: POST,
 * PATCH, and Traefik's LOCK) only a refused connection, which the backend
 * never saw, is retried unless `retryNonIdempotentMethod`. A body is replayed
 * from what earlier attempts read, kept up to `maxRequestBodyBytes` (Traefik's
 * 2 MiB by default); an attempt that consumed more is not repeated.
 */
import type { Exchange, HeaderMap, RetryableUpstreamFailure, UpstreamRetry } from '../../exchange/exchange.js';
import type { MiddlewareType, OptionProblem } from '../middleware-type.js';
import { parseDurationMs } from '../../config/duration.js';
import { ReplayableBody } from './replayable-body.js';
import { retryDelayMs } from './retry-backoff.js';

interface Options {
  attempts: number;
  initialInterval?: string | number;
  timeout?: string | number;
  maxRequestBodyBytes?: number;
  retryNonIdempotentMethod?: boolean;
  status?: unknown;
  disableRetryOnNetworkError?: unknown;
}

/** Traefik's default for maxRequestBodyBytes. */
const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;
const NON_IDEMPOTENT = new Set(['POST', 'PATCH', 'LOCK', 'CONNECT']);
const duration = { type: ['string', 'number'] };

/** The request as the attempts after this middleware must each see it. */
interface RequestSnapshot {
  method: string;
  url: string;
  authority: string;
  headers: HeaderMap;
}

function copyHeaders(headers: HeaderMap): HeaderMap {
  const out: HeaderMap = {};
  for (const name in headers) {
    const value = headers[name];
    out[name] = Array.isArray(value) ? value.slice() : value;
  }
  return out;
}

function restore(ex: Exchange, request: RequestSnapshot): void {
  ex.method = request.method;
  ex.url = request.url;
  ex.authority = request.authority;
  ex.requestHeaders = copyHeaders(request.headers);
}

/** Wait before the next attempt; a client that leaves meanwhile ends the wait at once. */
function pause(ex: Exchange, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    // Between attempts this middleware is what stands for the upstream request.
    ex.setUpstreamAbort(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function durationProblem(field: string, value: string | number | undefined): OptionProblem[] {
  if (value === undefined) return [];
  try {
    parseDurationMs(value, field);
    return [];
  } catch (err) {
    return [[field, (err as Error).message]];
  }
}

export const retry: MiddlewareType<Options> = {
  type: 'retry',
  optionsSchema: {
    required: ['attempts'],
    properties: {
      attempts: { type: 'integer', minimum: 1 },
      initialInterval: duration,
      timeout: duration,
      maxRequestBodyBytes: { type: 'integer', minimum: -1 },
      retryNonIdempotentMethod: { type: 'boolean' },
      // Traefik 3.7's retries on response statuses: refused with a reason below, not silently ignored.
      status: {},
      disableRetryOnNetworkError: {},
    },
  },
  validate: (o) => {
    const problems: OptionProblem[] = [...durationProblem('initialInterval', o.initialInterval), ...durationProblem('timeout', o.timeout)];
    for (const field of ['status', 'disableRetryOnNetworkError'] as const)
      if (o[field] !== undefined) problems.push([field, 'not supported: Portico retries network failures only, never a response the backend sent']);
    return problems;
  },
  build: (o) => {
    const attempts = o.attempts;
    const initialMs = o.initialInterval === undefined ? 0 : parseDurationMs(o.initialInterval);
    const timeoutMs = o.timeout === undefined ? 0 : parseDurationMs(o.timeout);
    const maxBodyBytes = o.maxRequestBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const anyMethod = o.retryNonIdempotentMethod === true;

    return (next) => async (ex) => {
      // A WebSocket tunnel is a connection, not a request to repeat.
      if (attempts < 2 || ex.tunnel !== undefined) return next(ex);
      const started = Date.now();
      const idempotent = anyMethod || !NON_IDEMPOTENT.has(ex.method);
      const body = ex.hasBody === false ? undefined : new ReplayableBody(ex.body, maxBodyBytes);
      const request: RequestSnapshot = { method: ex.method, url: ex.url, authority: ex.authority, headers: copyHeaders(ex.requestHeaders) };
      const mark = ex.markResponseHandlers();
      const outer = ex.upstreamRetry;
      let attempt = 1;
      let inFlight = false;
      let taken = false;
      const offer: UpstreamRetry = {
        failedServers: new Set(),
        offer: (failure: RetryableUpstreamFailure) => {
          // Only the attempt this middleware is waiting for, and only while another may follow.
          if (!inFlight || taken || attempt >= attempts || ex.clientGone) return false;
          if (timeoutMs > 0 && Date.now() - started >= timeoutMs) return false;
          if (failure === 'reset' && !idempotent) return false;
          if (body !== undefined && !body.replayable) return false;
          taken = true;
          return true;
        },
      };
      try {
        for (;;) {
          if (body !== undefined) ex.replaceBody(body.attempt(attempt === attempts));
          ex.upstreamRetry = offer;
          taken = false;
          inFlight = true;
          try {
            await next(ex);
          } finally {
            inFlight = false;
          }
          if (!taken) return;
          ex.retryAttempts++;
          const wait = retryDelayMs(initialMs, attempts, attempt);
          if (wait > 0) await pause(ex, wait);
          if (ex.clientGone) return;
          attempt++;
          restore(ex, request);
          ex.rewindResponseHandlers(mark);
        }
      } finally {
        ex.upstreamRetry = outer;
      }
    };
  },
};
