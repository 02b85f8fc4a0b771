/**
 * The `nginx.ingress.kubernetes.io/*` annotations of one Ingress, read the
 * way ingress-nginx reads them: strings, with a bad value reported and the
 * annotation ignored (ingress-nginx logs it and keeps its default). Every
 * annotation a family reads is marked; after all families have read, what
 * is left is reported as unknown. Nothing is dropped without a report: a
 * report is a partial Problem (the Ingress still serves), which the providers
 * turn into a Kubernetes Event and an entry of /api/errors.
 */
import { Problem, type ConversionContext } from '../conversion-context.js';

export const NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

export class NginxAnnotations {
  private readonly values = new Map<string, string>();
  private readonly read = new Set<string>();

  constructor(
    annotations: Record<string, string> | undefined,
    private readonly ctx: ConversionContext,
  ) {
    for (const [k, v] of Object.entries(annotations ?? {}))
      if (k.startsWith(NGINX_ANNOTATION_PREFIX)) this.values.set(k.slice(NGINX_ANNOTATION_PREFIX.length), v);
  }

  /** The field path of an annotation, as errors name it. */
  static at(key: string): string {
    return `metadata.annotations["${NGINX_ANNOTATION_PREFIX}${key}"]`;
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** The raw value (trimmed), marking the annotation as read. */
  string(key: string): string | undefined {
    this.read.add(key);
    return this.values.get(key)?.trim();
  }

  /** Report a problem with one annotation; the Ingress keeps serving without it. */
  report(key: string, message: string): void {
    this.read.add(key);
    this.ctx.partial.push(new Problem(NginxAnnotations.at(key), message));
  }

  /** `true`/`false` (ingress-nginx's parser also takes `1`/`0` as Go's ParseBool does). */
  bool(key: string): boolean | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (['true', 'True', 'TRUE', '1', 't', 'T'].includes(v)) return true;
    if (['false', 'False', 'FALSE', '0', 'f', 'F'].includes(v)) return false;
    this.report(key, `must be "true" or "false", got "${v}"; ignored`);
    return undefined;
  }

  /** A whole number >= min. */
  int(key: string, min = 0): number | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v) || Number(v) < min) {
      this.report(key, `must be a whole number${min > 0 ? ` >= ${min}` : ''}, got "${v}"; ignored`);
      return undefined;
    }
    return Number(v);
  }

  /** One of `choices` (compared case-insensitively), as written in `choices`. */
  choice<T extends string>(key: string, choices: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    const found = choices.find((c) => c.toLowerCase() === v.toLowerCase());
    if (found === undefined) this.report(key, `must be one of ${choices.join(', ')}, got "${v}"; ignored`);
    return found;
  }

  /** A comma-separated list, blanks dropped. */
  list(key: string): string[] | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }

  /** Annotations present that no family read. */
  unread(): string[] {
    return [...this.values.keys()].filter((k) => !this.read.has(k));
  }
}
