/**
 * `digestAuth`: HTTP Digest authentication (RFC 7616, qop=auth) against
 * htdigest entries (`user:realm:HA1`, inline `users` or a `usersFile`).
 * MD5 entries are what `htdigest` and Traefik's docs produce; SHA-256 entries
 * (64 hex digits) get a SHA-256 challenge instead. One instance uses one
 * algorithm: the client picks among offered challenges before naming its
 * user, so a mixed list could not be verified for everyone.
 *
 * Nonces are stateless (a timestamp and its HMAC under a per-instance key), so
 * any worker of this configuration version can check them; a nonce older than
 * NONCE_LIFETIME_MS is answered with `stale=true` and the client retries without
 * asking its user again. Nonce counts are remembered per nonce so a captured
 * Authorization header cannot be replayed.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareType } from '../middleware-type.js';
import { credentialLines, credentialListProblems, credentialListSchema, type CredentialListOptions } from '../credential-list.js';
import { parseDigestUsers, type DigestAlgorithm } from './digest-users.js';
import { parseDigestAuthorization } from './digest-header.js';

const NONCE_LIFETIME_MS = 5 * 60_000;
/** Beyond this many live nonces, expired ones are dropped from the replay table. */
const NONCE_TABLE_LIMIT = 10_000;
const HASH_OF: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const digestAuth: MiddlewareType<CredentialListOptions> = {
  type: 'digestAuth',
  optionsSchema: credentialListSchema,
  validate: (opts) =>
    credentialListProblems(opts, (lines) => {
      const { users, problems } = parseDigestUsers(lines);
      if (problems.length) return problems;
      if (new Set([...users.values()].map((u) => u.algorithm)).size > 1)
        return [['users', 'mixes MD5 and SHA-256 hashes: use one algorithm per middleware (a client chooses it before naming its user)']];
      return [];
    }),
  build: (o) => {
    const { users } = parseDigestUsers(credentialLines(o));
    // Traefik's default realm: htdigest files written for Traefik carry it inside their hashes.
    const realm = (o.realm ?? 'traefik').replace(/"/g, '');
    const algorithm: DigestAlgorithm = [...users.values()][0]?.algorithm ?? 'MD5';
    const key = randomBytes(32);
    const opaque = randomBytes(16).toString('hex');
    const lastCount = new Map<string, { count: number; issued: number }>();

    const sign = (issued: string) => createHmac('sha256', key).update(issued).digest('base64url').slice(0, 22);
    const newNonce = () => {
      const issued = Date.now().toString(16);
      return `${issued}.${sign(issued)}`;
    };
    /** The nonce's issue time when we issued it, else undefined. */
    const nonceIssued = (nonce: string): number | undefined => {
      const [issued, mac] = nonce.split('.');
      if (!issued || !mac || !safeEqual(sign(issued), mac)) return undefined;
      return parseInt(issued, 16);
    };
    const challenges = (stale: boolean) => {
      const nonce = newNonce();
      return `Digest realm="${realm}", nonce="${nonce}", opaque="${opaque}", algorithm=${algorithm}, qop="auth"${stale ? ', stale=true' : ''}`;
    };
    const remember = (nonce: string, count: number, issued: number): boolean => {
      const seen = lastCount.get(nonce);
      if (seen && count <= seen.count) return false;
      if (lastCount.size >= NONCE_TABLE_LIMIT) {
        const now = Date.now();
        for (const [n, s] of lastCount) if (now - s.issued > NONCE_LIFETIME_MS) lastCount.delete(n);
        // Still full of live nonces: forget the oldest half rather than grow without bound.
        if (lastCount.size >= NONCE_TABLE_LIMIT) for (const n of [...lastCount.keys()].slice(0, NONCE_TABLE_LIMIT / 2)) lastCount.delete(n);
      }
      lastCount.set(nonce, { count, issued });
      return true;
    };

    /** 'ok' with the user, 'stale' for an expired nonce of ours with a correct response, else 'denied'. */
    const check = (header: string, method: string, requestUris: string[]): { result: 'ok'; user: string } | { result: 'stale' | 'denied' } => {
      const p = parseDigestAuthorization(header);
      if (!p) return { result: 'denied' };
      const username = p.get('username');
      const algorithm = (p.get('algorithm') ?? 'MD5').toUpperCase() as DigestAlgorithm;
      const nonce = p.get('nonce');
      const uri = p.get('uri');
      const response = p.get('response')?.toLowerCase();
      const nc = p.get('nc');
      const cnonce = p.get('cnonce');
      if (!username || !nonce || !uri || !response || !nc || !cnonce || p.get('qop') !== 'auth') return { result: 'denied' };
      if (p.get('realm') !== realm || (p.get('opaque') !== undefined && p.get('opaque') !== opaque) || p.get('userhash') === 'true')
        return { result: 'denied' };
      if (!HASH_OF[algorithm] || !/^[0-9a-fA-F]{8}$/.test(nc) || !requestUris.includes(uri)) return { result: 'denied' };
      const user = users.get(`${username}:${realm}`);
      if (!user || user.algorithm !== algorithm) return { result: 'denied' };
      const issued = nonceIssued(nonce);
      if (issued === undefined) return { result: 'denied' };
      const h = (s: string) => createHash(HASH_OF[algorithm]).update(s).digest('hex');
      const expected = h(`${user.ha1}:${nonce}:${nc}:${cnonce}:auth:${h(`${method}:${uri}`)}`);
      if (!safeEqual(expected, response)) return { result: 'denied' };
      if (Date.now() - issued > NONCE_LIFETIME_MS) return { result: 'stale' };
      if (!remember(nonce, parseInt(nc, 16), issued)) return { result: 'denied' };
      return { result: 'ok', user: username };
    };

    return (next) => (ex) => {
      const header = ex.requestHeaders.authorization;
      const value = Array.isArray(header) ? header[0] : header;
      const target = ex.facts.query ? `${ex.facts.path}?${ex.facts.query}` : ex.facts.path;
      const verdict = value ? check(value, ex.facts.method, [ex.url, target]) : { result: 'denied' as const };
      if (verdict.result === 'ok') {
        if (o.headerField) ex.requestHeaders[o.headerField.toLowerCase()] = verdict.user;
        if (o.removeHeader) delete ex.requestHeaders.authorization;
        return next(ex);
      }
      ex.respond(401, { 'www-authenticate': challenges(verdict.result === 'stale'), 'content-type': 'text/plain; charset=utf-8' }, '401 Unauthorized\n');
    };
  },
};
