/**
 * htdigest entries (`user:realm:HA1`) for digestAuth. HA1 is H(user:realm:password)
 * in hex: 32 digits for MD5 (what `htdigest` writes), 64 for SHA-256 (RFC 7616).
 */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

export interface DigestUser {
  ha1: string;
  algorithm: DigestAlgorithm;
}

/** Users keyed by `user:realm`, as the challenge's realm and the client's username select them. */
export interface DigestUsers {
  users: Map<string, DigestUser>;
  problems: Array<[string, string]>;
}

export function parseDigestUsers(lines: string[]): DigestUsers {
  const users = new Map<string, DigestUser>();
  const problems: Array<[string, string]> = [];
  lines.forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const parts = t.split(':');
    if (parts.length !== 3 || !parts[0] || !parts[2]) return void problems.push([`users[${i}]`, 'expected "name:realm:hash" (htdigest format)']);
    const ha1 = parts[2].toLowerCase();
    const algorithm: DigestAlgorithm | undefined = /^[0-9a-f]{32}$/.test(ha1) ? 'MD5' : /^[0-9a-f]{64}$/.test(ha1) ? 'SHA-256' : undefined;
    if (!algorithm) return void problems.push([`users[${i}]`, 'the hash must be hex MD5 (32 digits, as htdigest writes) or SHA-256 (64 digits)']);
    users.set(`${parts[0]}:${parts[1]}`, { ha1, algorithm });
  });
  return { users, problems };
}
