/** `basicAuth`: HTTP Basic authentication against htpasswd entries (inline `users` or a `usersFile`). */
import { createHash } from 'node:crypto';
import type { MiddlewareType } from '../middleware-type.js';
import { credentialLines, credentialListProblems, credentialListSchema, type CredentialListOptions } from '../credential-list.js';
import { hashKind, verifyPassword } from './htpasswd.js';

function parseUsers(lines: string[]): { users: Map<string, string>; problems: Array<[string, string]> } {
  const users = new Map<string, string>();
  const problems: Array<[string, string]> = [];
  lines.forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const colon = t.indexOf(':');
    if (colon <= 0) return void problems.push([`users[${i}]`, 'expected "name:hash"']);
    const hash = t.slice(colon + 1);
    if (!hashKind(hash)) problems.push([`users[${i}]`, 'unsupported hash: use bcrypt ($2y$), apr1 ($apr1$) or {SHA}']);
    else users.set(t.slice(0, colon), hash);
  });
  return { users, problems };
}

export const basicAuth: MiddlewareType<CredentialListOptions> = {
  type: 'basicAuth',
  optionsSchema: credentialListSchema,
  validate: (opts) => credentialListProblems(opts, (lines) => parseUsers(lines).problems),
  build: (o) => {
    const { users } = parseUsers(credentialLines(o));
    const challenge = `Basic realm="${(o.realm ?? 'portico').replace(/"/g, '')}"`;
    // bcrypt costs milliseconds: remember recent successes so keep-alive clients don't pay it per request.
    // Keyed by a digest, so the map never holds credentials in the clear.
    const verified = new Map<string, string>();
    return (next) => (ex) => {
      const header = ex.requestHeaders.authorization;
      const value = Array.isArray(header) ? header[0] : header;
      if (value && /^basic /i.test(value)) {
        const decoded = Buffer.from(value.slice(6).trim(), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const user = decoded.slice(0, colon);
        const hash = colon > 0 ? users.get(user) : undefined;
        const digest = hash ? createHash('sha256').update(value).digest('base64') : '';
        if (hash && (verified.get(digest) === hash || verifyPassword(decoded.slice(colon + 1), hash))) {
          if (verified.size > 1000) verified.clear();
          verified.set(digest, hash);
          if (o.headerField) ex.requestHeaders[o.headerField.toLowerCase()] = user;
          if (o.removeHeader) delete ex.requestHeaders.authorization;
          return next(ex);
        }
      }
      ex.respond(401, { 'www-authenticate': challenge, 'content-type': 'text/plain; charset=utf-8' }, '401 Unauthorized\n');
    };
  },
};
