/**
 * The problems found while compiling one configuration version, each placed
 * where the user can find it: the provider, the file (or Kubernetes object)
 * the object came from, its line there when the provider knows it (the file
 * provider does), and the field path (`http.routers.api@file.rule`).
 */
import type { ConfigError, ObjectLines } from '../dynamic/model.js';
import type { MergedConfig } from '../dynamic/merge.js';

/** The configuration objects errors are reported against. */
export type ConfigObjectKind =
  'http.routers' | 'http.services' | 'http.middlewares' | 'tls.options' | 'tcp.routers' | 'tcp.services' | 'tcp.middlewares' | 'udp.routers' | 'udp.services';

export class ConfigErrors {
  readonly list: ConfigError[];

  constructor(
    private readonly origins: MergedConfig['origins'] = new Map(),
    earlier: readonly ConfigError[] = [],
  ) {
    this.list = [...earlier];
  }

  /** A problem with one named object; `field` is relative to it ('' for the object itself). */
  report(kind: ConfigObjectKind, name: string, field: string, message: string): void {
    const origin = this.origins.get(`${kind}.${name}`);
    const line = origin?.lines ? lineOfField(origin.lines, field) : undefined;
    this.list.push({
      provider: origin?.provider ?? name.split('@')[1] ?? 'internal',
      source: origin?.source ?? name,
      path: `${kind}.${name}${field ? '.' + field : ''}`,
      message,
      ...(line !== undefined ? { line } : {}),
    });
  }

  /** A problem that belongs to no single named object (certificates, conflicting TLS options per host). */
  add(error: ConfigError): void {
    this.list.push(error);
  }
}

/** The line of `field` (`weighted.services[0].name`): the deepest recorded path leading to it, else the object's own line. */
function lineOfField(lines: ObjectLines, field: string): number | undefined {
  const parts = field
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean);
  for (let n = parts.length; n >= 0; n--) {
    const line = lines[parts.slice(0, n).join('.')];
    if (line !== undefined) return line;
  }
  return undefined;
}
