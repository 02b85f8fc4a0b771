/**
 * Example plugin: answer 503 with a maintenance page, except for clients
 * that send a bypass header value (so operators can still test).
 */
import { defineMiddleware } from '../../sdk/index.js';

interface Options {
  body?: string;
  retryAfterSeconds?: number;
  bypassHeader?: string;
  bypassValue?: string;
}

export default defineMiddleware<Options>({
  type: 'maintenancePage',
  validate: (options) => {
    const o = (options ?? {}) as Record<string, unknown>;
    const problems: Array<[string, string]> = [];
    for (const k of Object.keys(o)) if (!['body', 'retryAfterSeconds', 'bypassHeader', 'bypassValue'].includes(k)) problems.push([k, 'unknown field']);
    if (o.retryAfterSeconds !== undefined && !(Number.isInteger(o.retryAfterSeconds) && (o.retryAfterSeconds as number) >= 0)) problems.push(['retryAfterSeconds', 'must be a non-negative integer']);
    if ((o.bypassHeader === undefined) !== (o.bypassValue === undefined)) problems.push(['bypassValue', 'bypassHeader and bypassValue go together']);
    return problems;
  },
  build: ({ body = 'Down for maintenance. Back soon.\n', retryAfterSeconds = 120, bypassHeader, bypassValue }) => {
    const header = bypassHeader?.toLowerCase();
    const page = Buffer.from(body);
    return (next) => (ex) => {
      if (header && ex.requestHeaders[header] === bypassValue) return next(ex);
      ex.respond(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': String(retryAfterSeconds), 'cache-control': 'no-store' }, page);
    };
  },
});
