/** Which 3xx: 301/302 keep browsers' historic GET rewriting harmless for GET/HEAD; 308/307 keep any other method and its body. */
export function redirectStatus(method: string, permanent: boolean): number {
  const safe = method === 'GET' || method === 'HEAD';
  if (permanent) return safe ? 301 : 308;
  return safe ? 302 : 307;
}
