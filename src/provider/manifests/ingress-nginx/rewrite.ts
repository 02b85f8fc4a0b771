/**
 * `rewrite-target`: ingress-nginx writes `rewrite "(?i)<path>" <target> break;`
 * in the location of each path, so the path is a regular expression whose
 * capture groups the target names as `$1`, `$2`…; the query string is kept.
 * → one `replacePathRegex` per path. `use-regex` alone changes matching
 * only (nginx-paths.ts).
 */
import type { Middleware } from '../../../dynamic/model.js';
import type { NginxAnnotations } from './nginx-annotations.js';

export const REWRITE_ANNOTATIONS = ['rewrite-target', 'use-regex'];

/** The target, checked once per Ingress; undefined when unset or unusable (reported). */
export function rewriteTarget(ann: NginxAnnotations): string | undefined {
  const target = ann.string('rewrite-target');
  if (target === undefined) return undefined;
  const variable = /\$([A-Za-z_]\w*)/.exec(target);
  if (variable) {
    ann.report('rewrite-target', `nginx variables such as $${variable[1]} are not supported (only capture groups $1…$9); ignored`);
    return undefined;
  }
  if (!target.startsWith('/') && !/^\$\d/.test(target)) {
    ann.report('rewrite-target', `must be a path starting with "/" or a capture group, got "${target}"; ignored`);
    return undefined;
  }
  return target;
}

/** The rewrite of one path (a path already known to be a regular expression Portico runs: nginx-ingress.ts checks). */
export function pathRewrite(target: string, path: string): Middleware {
  // `$1` followed by a letter is still group 1 in nginx; in a Go template it would name group "1x".
  return { replacePathRegex: { regex: `(?i)^${path}`, replacement: target.replace(/\$(\d)/g, '$${$1}') } };
}
