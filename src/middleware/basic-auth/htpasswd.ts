/**
 * Password checks for htpasswd entries: bcrypt ($2y$/$2a$/$2b$, via
 * bcryptjs), Apache's MD5 crypt ($apr1$), and {SHA}. Comparisons are
 * constant-time where the hash format allows.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function to64(value: number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[value & 0x3f];
    value >>>= 6;
  }
  return out;
}

/** The APR1 variant of MD5-crypt (what `htpasswd -m` and `openssl passwd -apr1` produce). */
export function apr1(password: string, salt: string): string {
  const pw = Buffer.from(password);
  const s = Buffer.from(salt.slice(0, 8));
  const magic = Buffer.from('$apr1$');
  const alt = createHash('md5').update(pw).update(s).update(pw).digest();
  const ctx = createHash('md5').update(pw).update(magic).update(s);
  for (let len = pw.length; len > 0; len -= 16) ctx.update(alt.subarray(0, Math.min(16, len)));
  for (let i = pw.length; i; i >>= 1) ctx.update(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let final = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const c = createHash('md5');
    c.update(i & 1 ? pw : final);
    if (i % 3) c.update(s);
    if (i % 7) c.update(pw);
    c.update(i & 1 ? final : pw);
    final = c.digest();
  }
  const f = final;
  const out =
    to64((f[0]! << 16) | (f[6]! << 8) | f[12]!, 4) +
    to64((f[1]! << 16) | (f[7]! << 8) | f[13]!, 4) +
    to64((f[2]! << 16) | (f[8]! << 8) | f[14]!, 4) +
    to64((f[3]! << 16) | (f[9]! << 8) | f[15]!, 4) +
    to64((f[4]! << 16) | (f[10]! << 8) | f[5]!, 4) +
    to64(f[11]!, 2);
  return `$apr1$${salt.slice(0, 8)}$${out}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type HashKind = 'bcrypt' | 'apr1' | 'sha1';

export function hashKind(hash: string): HashKind | undefined {
  if (/^\$2[aby]\$\d\d\$/.test(hash)) return 'bcrypt';
  if (hash.startsWith('$apr1$')) return 'apr1';
  if (hash.startsWith('{SHA}')) return 'sha1';
  return undefined;
}

export function verifyPassword(password: string, hash: string): boolean {
  switch (hashKind(hash)) {
    case 'bcrypt':
      return bcrypt.compareSync(password, hash.replace(/^\$2y\$/, '$2b$'));
    case 'apr1':
      return safeEqual(apr1(password, hash.split('$')[2] ?? ''), hash);
    case 'sha1':
      return safeEqual('{SHA}' + createHash('sha1').update(password).digest('base64'), hash);
    default:
      return false;
  }
}
