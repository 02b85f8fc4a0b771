/**
 * Traefik's `replacement` strings are Go regexp templates (`$1`, `${1}`,
 * `$name`, `${name}`, `$$`). Translate one, once at build time, into the
 * replacement syntax of String.prototype.replace.
 */
export function goReplacementToJs(template: string): string {
  return template.replace(/\$(\$|\{(\w+)\}|(\w+))/g, (_m, _all: string, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare;
    if (name === undefined) return '$$';
    return /^\d+$/.test(name) ? `$${name}` : `$<${name}>`;
  });
}

/** The same expression matching everywhere: Go's ReplaceAllString replaces every match. */
export function globalCopy(re: RegExp): RegExp {
  return re.global ? re : new RegExp(re.source, re.flags + 'g');
}
