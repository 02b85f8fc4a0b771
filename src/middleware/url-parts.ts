/** Split and join the origin-form URL (`/path?query`) that middlewares rewrite. */
export function splitUrl(url: string): [path: string, query: string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}

/** Origin-form needs a leading slash; an empty path is `/`. */
export function ensureLeadingSlash(path: string): string {
  return path.startsWith('/') ? path : '/' + path;
}

/** Add a request header value the way Go's Header.Add does: a second value makes a list. */
export function addHeaderValue(headers: Record<string, string | string[] | undefined>, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else if (Array.isArray(existing)) headers[name] = [...existing, value];
  else headers[name] = [existing, value];
}
