/**
 * Which fields and headers an access log line carries (Traefik's
 * `accessLog.fields`): every field kept unless `defaultMode: drop`, each
 * overridable by name; request headers dropped unless kept (`keep`) or
 * replaced by `REDACTED` (`redact`), by default or by name; the query string
 * kept unless `queryParameters.defaultMode: drop`. Decided once, at start.
 */
import type { AccessLogConfig } from '../../config/static-config.js';

export type HeaderMode = 'keep' | 'drop' | 'redact';

/** `user-agent` → `User-Agent`, as Go's http.Header names them (and Traefik's `request_User-Agent` field). */
export function canonicalHeaderName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

export class AccessLogFields {
  private readonly keepByDefault: boolean;
  private readonly fieldModes = new Map<string, boolean>();
  private readonly headerDefault: HeaderMode;
  private readonly headerModes = new Map<string, HeaderMode>();
  readonly keepQuery: boolean;
  /** True when no header can appear: the line builder then skips the headers entirely. */
  readonly noHeaders: boolean;

  constructor(fields: AccessLogConfig['fields']) {
    this.keepByDefault = (fields?.defaultMode ?? 'keep') === 'keep';
    for (const [name, mode] of Object.entries(fields?.names ?? {})) this.fieldModes.set(name.toLowerCase(), mode === 'keep');
    this.headerDefault = fields?.headers?.defaultMode ?? 'drop';
    for (const [name, mode] of Object.entries(fields?.headers?.names ?? {})) this.headerModes.set(name.toLowerCase(), mode);
    this.keepQuery = (fields?.queryParameters?.defaultMode ?? 'keep') === 'keep';
    this.noHeaders = this.headerDefault === 'drop' && ![...this.headerModes.values()].some((m) => m !== 'drop');
  }

  /** Whether the field (`ServiceURL`, `request_User-Agent`, …) is written. */
  keeps(field: string): boolean {
    return this.fieldModes.get(field.toLowerCase()) ?? this.keepByDefault;
  }

  /** What happens to a header, by its lower-case name. */
  header(name: string): HeaderMode {
    return this.headerModes.get(name) ?? this.headerDefault;
  }
}
