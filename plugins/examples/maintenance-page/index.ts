/**
 * Example plugin: answer 503 with a maintenance page, except for clients
 * that send a bypass header value (so operators can still test), and
 * except for paths that must stay up (health checks).
 */
import { checkFields, defineMiddleware } from '../../sdk/index.js';

interface Options {
  body?: string;
  contentType?: string;
  retryAfterSeconds?: number;
  bypassHeader?: string;
  bypassValue?: string;
  /** Path prefixes served normally, e.g. ["/healthz"]. */
  allowPaths?: string[];
}

export default defineMiddleware<Options>({
  type: 'maintenancePage',
  validate: (options) => {
    const problems = checkFields(options, {
      body: { kind: 'string' },
      contentType: { kind: 'string' },
      retryAfterSeconds: { kind: 'integer', min: 0 },
      bypassHeader: { kind: 'string', pattern: /^[A-Za-z0-9-]+$/ },
      bypassValue: { kind: 'string' },
      allowPaths: { kind: 'string[]' },
    });
    const o = (options ?? {}) as Options;
    if ((o.bypassHeader === undefined) !== (o.bypassValue === undefined))
      problems.push([o.bypassHeader === undefined ? 'bypassHeader' : 'bypassValue', 'bypassHeader and bypassValue go together; set both or neither']);
    o.allowPaths?.forEach((p, i) => {
      if (typeof p === 'string' && !p.startsWith('/')) problems.push([`allowPaths[${i}]`, 'must start with "/"']);
    });
    return problems;
  },
  build: ({ body = 'Down for maintenance. Back soon.\n', contentType = 'text/plain; charset=utf-8', retryAfterSeconds = 120, bypassHeader, bypassValue, allowPaths = [] }) => {
    const header = bypassHeader?.toLowerCase();
    const page = Buffer.from(body);
    const retryAfter = String(retryAfterSeconds);
    return (next) => (ex) => {
      if (header && ex.requestHeaders[header] === bypassValue) return next(ex);
      for (const p of allowPaths) if (ex.facts.path.startsWith(p)) return next(ex);
      ex.respond(503, { 'content-type': contentType, 'retry-after': retryAfter, 'cache-control': 'no-store' }, page);
    };
  },
});
