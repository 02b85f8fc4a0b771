/** The parameters of an `Authorization: Digest …` header (RFC 7616 §3.4), or undefined when it is not one. */
export function parseDigestAuthorization(value: string): Map<string, string> | undefined {
  const m = /^digest\s+/i.exec(value);
  if (!m) return undefined;
  const params = new Map<string, string>();
  // name=token or name="quoted string" (backslash escapes), comma separated.
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/y;
  re.lastIndex = m[0].length;
  while (re.lastIndex < value.length) {
    const p = re.exec(value);
    if (!p) return undefined;
    params.set(p[1]!.toLowerCase(), p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!);
  }
  return params;
}
