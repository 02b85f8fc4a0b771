/**
 * Look up query parameters the way Go's url.ParseQuery (which Traefik's
 * Query matchers use) sees them — pairs split on `&`, key and value
 * unescaped with `+` as space, pairs with `;` or a bad escape ignored — but
 * by scanning the raw query in place: nothing is allocated unless a pair
 * actually needs unescaping.
 */

function unescapeQueryComponent(s: string): string | undefined {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** True when raw[start, end) unescapes to exactly `want`. */
function componentEquals(raw: string, start: number, end: number, want: string): boolean {
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 || c === 0x2b) {
      plain = false;
      break;
    }
  }
  if (plain) return end - start === want.length && raw.startsWith(want, start);
  return unescapeQueryComponent(raw.slice(start, end)) === want;
}

/**
 * Call `test` with each value of `key` in the raw query (in order) until it
 * returns true. Returns whether any call did.
 */
export function someQueryValue(query: string, key: string, test: (value: string) => boolean): boolean {
  let start = 0;
  const n = query.length;
  while (start <= n) {
    let end = query.indexOf('&', start);
    if (end < 0) end = n;
    if (end > start) {
      let eq = query.indexOf('=', start);
      if (eq < 0 || eq > end) eq = end;
      const semicolon = query.indexOf(';', start);
      if ((semicolon < 0 || semicolon >= end) && componentEquals(query, start, eq, key)) {
        const value = eq === end ? '' : unescapeQueryComponent(query.slice(eq + 1, end));
        if (value !== undefined && test(value)) return true;
      }
    }
    start = end + 1;
  }
  return false;
}

/** Whether `key` has exactly `value` among its values (Traefik v3 Query). */
export function hasQueryValue(query: string, key: string, value: string): boolean {
  let start = 0;
  const n = query.length;
  while (start <= n) {
    let end = query.indexOf('&', start);
    if (end < 0) end = n;
    if (end > start) {
      let eq = query.indexOf('=', start);
      if (eq < 0 || eq > end) eq = end;
      const semicolon = query.indexOf(';', start);
      if ((semicolon < 0 || semicolon >= end) && componentEquals(query, start, eq, key)) {
        if (eq === end ? value === '' : componentEquals(query, eq + 1, end, value)) {
          // A bad escape elsewhere in the pair drops the whole pair in Go; componentEquals already treats it as no match.
          return true;
        }
      }
    }
    start = end + 1;
  }
  return false;
}
