/**
 * Limits: `proxy-body-size` (nginx's client_max_body_size; larger bodies get
 * 413) → `buffering` with maxRequestBodyBytes; `limit-rps` / `limit-rpm`
 * (with `limit-burst-multiplier`, default 5) → `rateLimit` per client
 * address; `limit-connections` → `inFlightReq` per client address.
 * Portico answers 429 where ingress-nginx answers 503 (its limit_req_status
 * default).
 */
import type { Middleware } from '../../../dynamic/model.js';
import type { NginxAnnotations } from './nginx-annotations.js';

export const LIMIT_ANNOTATIONS = ['proxy-body-size', 'limit-rps', 'limit-rpm', 'limit-burst-multiplier', 'limit-connections'];

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** nginx's size syntax: `8m`, `512k`, `1g`, `1024`; `0` means no limit. */
export function nginxSize(text: string): number | undefined {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : undefined;
}

export function bodySizeLimit(ann: NginxAnnotations): Middleware | undefined {
  const v = ann.string('proxy-body-size');
  if (v === undefined) return undefined;
  const bytes = nginxSize(v);
  if (bytes === undefined) {
    ann.report('proxy-body-size', `must be a size such as 8m, 512k or 0 (no limit), got "${v}"; ignored`);
    return undefined;
  }
  return bytes === 0 ? undefined : { buffering: { maxRequestBodyBytes: bytes } };
}

export function rateLimits(ann: NginxAnnotations): Middleware[] {
  const out: Middleware[] = [];
  const multiplier = ann.int('limit-burst-multiplier', 1) ?? 5;
  const rps = ann.int('limit-rps', 1);
  if (rps !== undefined) out.push({ rateLimit: { average: rps, period: '1s', burst: rps * multiplier } });
  const rpm = ann.int('limit-rpm', 1);
  if (rpm !== undefined) out.push({ rateLimit: { average: rpm, period: '1m', burst: rpm * multiplier } });
  const connections = ann.int('limit-connections', 1);
  if (connections !== undefined) out.push({ inFlightReq: { amount: connections } });
  return out;
}
