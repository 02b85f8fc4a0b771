/**
 * digestAuth through a real Portico over h1, h2 (curl --digest, the real
 * client) and h3 (our quiche-based client answering the challenge): MD5 and
 * SHA-256 htdigest entries, wrong passwords, replayed headers, stale nonces
 * refused, headerField/removeHeader, and option errors naming the field.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { curl } from '../../support/curl.js';
import { h3Request } from '../support/h3-request.js';
import { problems, wrap } from '../support/compile.js';
import { recordingService, run } from '../../../src/testing/memory-exchange.js';
import { parseDigestAuthorization } from '../../../src/middleware/digest-auth/digest-header.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const users = [`alice:traefik:${md5('alice:traefik:s3cret')}`, `eve:elsewhere:${md5('eve:elsewhere:pw')}`];
const shaUsers = [`bob:staff:${sha256('bob:staff:hunter2')}`];

/** The client half of RFC 7616 (qop=auth), for clients that are not curl. */
function answer(challenge: string, user: string, password: string, method: string, uri: string, nc = '00000001'): string {
  const p = parseDigestAuthorization(challenge)!;
  const h = p.get('algorithm') === 'SHA-256' ? sha256 : md5;
  const cnonce = randomBytes(8).toString('hex');
  const response = h(`${h(`${user}:${p.get('realm')}:${password}`)}:${p.get('nonce')}:${nc}:${cnonce}:auth:${h(`${method}:${uri}`)}`);
  return `Digest username="${user}", realm="${p.get('realm')}", nonce="${p.get('nonce')}", uri="${uri}", algorithm=${p.get('algorithm')}, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}", opaque="${p.get('opaque')}"`;
}

let p: Harness;
let port: number;

beforeAll(async () => {
  p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true } } } },
    {
      'digest.yaml': `
http:
  routers:
    digest: { rule: PathPrefix(\`/digest\`), service: whoami@internal, middlewares: [digest] }
    sha: { rule: PathPrefix(\`/sha\`), service: whoami@internal, middlewares: [sha] }
  middlewares:
    digest: { digestAuth: { users: ${JSON.stringify(users)}, headerField: X-Auth-User, removeHeader: true } }
    sha: { digestAuth: { users: ${JSON.stringify(shaUsers)}, realm: staff, headerField: X-Auth-User } }
`,
    },
  );
  expect((await p.server.nextApply(1)).errors).toEqual([]);
  port = p.port('websecure');
});

afterAll(async () => {
  await p?.stop();
});

const url = (path: string) => `https://127.0.0.1:${port}${path}`;

describe('digestAuth end to end', () => {
  for (const version of ['--http1.1', '--http2'] as const) {
    test(`curl --digest ${version}: MD5 and SHA-256 users pass, the user is forwarded, Authorization removed; wrong password 401`, async () => {
      for (const [u, pw, path] of [
        ['alice', 's3cret', '/digest/x?y=1'],
        ['bob', 'hunter2', '/sha/x'],
      ]) {
        const r = await curl([version, '--digest', '-u', `${u}:${pw}`, url(path!)]);
        expect(r.status, u).toBe(200);
        expect(r.httpVersion).toBe(version === '--http2' ? '2' : '1.1');
        expect(r.body).toMatch(new RegExp(`X-Auth-User: ${u}`));
        expect(r.body).toMatch(u === 'bob' ? /Authorization: Digest / : /^(?![\s\S]*Authorization:)/);
      }
      const bad = await curl([version, '--digest', '-u', 'alice:wrong', url('/digest')]);
      expect(bad.status).toBe(401);
      // A user of another realm does not authenticate in this one.
      expect((await curl([version, '--digest', '-u', 'eve:pw', url('/digest')])).status).toBe(401);
      const none = await curl([version, url('/digest')]);
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toEqual([
        expect.stringMatching(/^Digest realm="traefik", nonce="[^"]+", opaque="[0-9a-f]+", algorithm=MD5, qop="auth"$/),
      ]);
      expect((await curl([version, url('/sha')])).headers['www-authenticate']).toEqual([
        expect.stringMatching(/^Digest realm="staff", .*algorithm=SHA-256, qop="auth"$/),
      ]);
      expect((await curl([version, '--digest', '-u', 'bob:wrong', url('/sha')])).status).toBe(401);
    });
  }

  test('h3: the challenge answered passes once; the same header replayed is refused', async () => {
    const first = await h3Request(port, '/digest/h3');
    expect(first.status).toBe(401);
    const md5Challenge = first.headers['www-authenticate']![0]!;
    const auth = answer(md5Challenge, 'alice', 's3cret', 'GET', '/digest/h3');
    const ok = await h3Request(port, '/digest/h3', { headers: [['authorization', auth]] });
    expect(ok.status).toBe(200);
    expect(ok.body.toString()).toMatch(/X-Auth-User: alice/);
    expect((await h3Request(port, '/digest/h3', { headers: [['authorization', auth]] })).status).toBe(401);
    // The next count on the same nonce is fine.
    const next = answer(md5Challenge, 'alice', 's3cret', 'GET', '/digest/h3', '00000002');
    expect((await h3Request(port, '/digest/h3', { headers: [['authorization', next]] })).status).toBe(200);
    // A response computed for another URI is refused.
    const other = answer(md5Challenge, 'alice', 's3cret', 'GET', '/digest/other', '00000003');
    expect((await h3Request(port, '/digest/h3', { headers: [['authorization', other]] })).status).toBe(401);
  });
});

describe('digestAuth unit', () => {
  test('a nonce it did not issue is refused; a stale one gets stale=true', async () => {
    const svc = recordingService();
    const h = wrap('digestAuth', { users, realm: 'traefik' }, svc);
    const first = await run(h, { url: '/a' });
    const challenge = first.responseHeaders['www-authenticate'] as string;
    const forged = challenge.replace(/nonce="([^".]+)\.[^"]+"/, 'nonce="$1.AAAAAAAAAAAAAAAAAAAAAA"');
    expect((await run(h, { url: '/a', headers: { authorization: answer(forged, 'alice', 's3cret', 'GET', '/a') } })).statusCode).toBe(401);
    const realNow = Date.now;
    try {
      const good = answer(challenge, 'alice', 's3cret', 'GET', '/a');
      Date.now = () => realNow() + 6 * 60_000;
      const stale = await run(h, { url: '/a', headers: { authorization: good } });
      expect(stale.statusCode).toBe(401);
      expect(stale.responseHeaders['www-authenticate']).toMatch(/, stale=true$/);
    } finally {
      Date.now = realNow;
    }
    expect(svc.seen).toHaveLength(0);
  });

  test('options are checked and errors name the field', () => {
    expect(problems('digestAuth', {})).toEqual(['http.middlewares.m.digestAuth.users: set users or usersFile']);
    expect(problems('digestAuth', { users: ['alice:traefik:nothex'] })).toEqual([
      'http.middlewares.m.digestAuth.users[0]: the hash must be hex MD5 (32 digits, as htdigest writes) or SHA-256 (64 digits)',
    ]);
    expect(problems('digestAuth', { users: ['alice:x'] })[0]).toMatch(/users\[0\]: expected "name:realm:hash"/);
    expect(problems('digestAuth', { users, unknownKey: 1 })[0]).toMatch(/digestAuth.*unknownKey/);
    expect(problems('digestAuth', { users: [...users, ...shaUsers] })).toEqual([
      'http.middlewares.m.digestAuth.users: mixes MD5 and SHA-256 hashes: use one algorithm per middleware (a client chooses it before naming its user)',
    ]);
  });
});
