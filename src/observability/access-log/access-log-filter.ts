/**
 * Which exchanges the access log keeps (Traefik's `accessLog.filters`): a line
 * is written when any filter given matches — its status is in one of
 * `statusCodes` (`404`, `500-599`), it was retried (`retryAttempts`), or it
 * took longer than `minDuration`. No filters, or empty ones, keep everything.
 */
import type { AccessLogConfig } from '../../config/static-config.js';
import { parseDurationMs } from '../../config/duration.js';

export type AccessLogFilter = (status: number, retryAttempts: number, durationMs: number) => boolean;

export function accessLogFilter(filters: AccessLogConfig['filters']): AccessLogFilter | undefined {
  const ranges = (filters?.statusCodes ?? []).map((text) => {
    const [from, to = from] = text.split('-').map((n) => Number(n.trim()));
    return [from!, to!] as const;
  });
  const retried = filters?.retryAttempts === true;
  const minMs = filters?.minDuration !== undefined ? parseDurationMs(filters.minDuration, 'accessLog.filters.minDuration') : 0;
  if (ranges.length === 0 && !retried && minMs === 0) return undefined;
  return (status, retryAttempts, durationMs) => {
    for (const [from, to] of ranges) if (status >= from && status <= to) return true;
    if (retried && retryAttempts > 0) return true;
    return minMs > 0 && durationMs > minMs;
  };
}
