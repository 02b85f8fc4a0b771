/** `addAuthCookiesToResponse`: the auth server's cookies of the listed names replace the backend's of those names. */
import type { HeaderMap } from '../../exchange/exchange.js';

export function cookieName(setCookie: string): string {
  const eq = setCookie.indexOf('=');
  return (eq < 0 ? setCookie : setCookie.slice(0, eq)).trim();
}

export function mergeAuthCookies(response: HeaderMap, authCookies: readonly string[], names: ReadonlySet<string>): void {
  const backend = response['set-cookie'];
  const kept = (backend === undefined ? [] : [backend].flat()).filter((c) => !names.has(cookieName(c)));
  const merged = [...kept, ...authCookies.filter((c) => names.has(cookieName(c)))];
  response['set-cookie'] = merged.length ? merged : undefined;
}
