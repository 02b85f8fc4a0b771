import { describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { problems, wrap } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';
import { apr1, verifyPassword } from '../../../src/middleware/basic-auth/htpasswd.js';

// Hashes made here, by the tools people use: openssl for apr1, bcryptjs for bcrypt, SHA-1 for {SHA}.
const aprHash = execFileSync('openssl', ['passwd', '-apr1', 's3cret'], { encoding: 'utf8' }).trim();
const bcryptHash = bcrypt.hashSync('hunter2', 4).replace(/^\$2b\$/, '$2y$');
const bcrypt2a = bcrypt.hashSync('pw2a', 4).replace(/^\$2b\$/, '$2a$');
const shaHash = '{SHA}' + createHash('sha1').update('pa55').digest('base64');
const basic = (user: string, pw: string) => ({ Authorization: 'Basic ' + Buffer.from(`${user}:${pw}`).toString('base64') });

describe('htpasswd hashes', () => {
  test('apr1 agrees with openssl; each format verifies its password and refuses others', () => {
    const salt = aprHash.split('$')[2]!;
    expect(apr1('s3cret', salt)).toBe(aprHash);
    expect(verifyPassword('s3cret', aprHash)).toBe(true);
    expect(verifyPassword('s3creT', aprHash)).toBe(false);
    expect(verifyPassword('hunter2', bcryptHash)).toBe(true);
    expect(verifyPassword('hunter3', bcryptHash)).toBe(false);
    expect(verifyPassword('pw2a', bcrypt2a)).toBe(true);
    expect(verifyPassword('pa55', shaHash)).toBe(true);
    expect(verifyPassword('pa56', shaHash)).toBe(false);
  });
});

describe('basicAuth', () => {
  const users = [`alice:${aprHash}`, `bob:${bcryptHash}`, `carol:${shaHash}`];

  test('valid credentials pass; the user goes in headerField; removeHeader drops Authorization', async () => {
    const svc = recordingService();
    const h = wrap('basicAuth', { users, headerField: 'X-WebAuth-User', removeHeader: true }, svc);
    for (const [u, pw] of [
      ['alice', 's3cret'],
      ['bob', 'hunter2'],
      ['carol', 'pa55'],
    ] as const) {
      const r = await run(h, { headers: basic(u, pw) });
      expect(r.statusCode, u).toBe(200);
    }
    expect(svc.seen.map((s) => s.headers['x-webauth-user'])).toEqual(['alice', 'bob', 'carol']);
    expect(svc.seen.every((s) => s.headers.authorization === undefined)).toBe(true);
  });

  test('Authorization is kept without removeHeader', async () => {
    const svc = recordingService();
    await run(wrap('basicAuth', { users }, svc), { headers: basic('carol', 'pa55') });
    expect(svc.seen[0]!.headers.authorization).toMatch(/^Basic /);
  });

  test('wrong password, unknown user, malformed or missing header: 401 with the realm', async () => {
    const svc = recordingService();
    const h = wrap('basicAuth', { users, realm: 'staff' }, svc);
    for (const headers of [basic('alice', 'nope'), basic('mallory', 's3cret'), { Authorization: 'Basic !!!' }, { Authorization: 'Bearer x' }, {}]) {
      const r = await run(h, { headers });
      expect(r.statusCode).toBe(401);
      expect(r.responseHeaders['www-authenticate']).toBe('Basic realm="staff"');
    }
    expect(svc.seen).toHaveLength(0);
  });

  test('usersFile (comments and blank lines ignored) merges with users', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-auth-'));
    const file = join(dir, 'htpasswd');
    writeFileSync(file, `# team\n\ndave:${shaHash}\n`);
    const h = wrap('basicAuth', { users: [`alice:${aprHash}`], usersFile: file }, recordingService());
    expect((await run(h, { headers: basic('dave', 'pa55') })).statusCode).toBe(200);
    expect((await run(h, { headers: basic('alice', 's3cret') })).statusCode).toBe(200);
  });

  test('validation names the bad line and the missing file', () => {
    expect(problems('basicAuth', {})).toEqual(['http.middlewares.m.basicAuth.users: set users or usersFile']);
    expect(problems('basicAuth', { users: [`alice:${aprHash}`, 'bob:plaintext'] })).toEqual([
      'http.middlewares.m.basicAuth.users[1]: unsupported hash: use bcrypt ($2y$), apr1 ($apr1$) or {SHA}',
    ]);
    expect(problems('basicAuth', { users: ['nocolon'] })).toEqual(['http.middlewares.m.basicAuth.users[0]: expected "name:hash"']);
    expect(problems('basicAuth', { usersFile: '/nonexistent/htpasswd' })[0]).toMatch(/^http\.middlewares\.m\.basicAuth\.usersFile: .*ENOENT/);
  });
});
