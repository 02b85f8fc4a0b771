/** Split and join the origin-form URL (`/path?query`) that middlewares rewrite. */
export function splitUrl(url: string): [path: string, query: string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}

export function ensureLeadingSlash(path: string): string {
  return path.startsWith('/') ? path : '/' + path;
}
