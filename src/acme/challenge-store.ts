/**
 * The challenges an order has pending at the CA, answered by every listener
 * of this process: HTTP-01 key authorizations by token (served under
 * `/.well-known/acme-challenge/`, http-challenge-handler.ts) and TLS-ALPN-01
 * certificates by name (the TLS runtime's hook, src/tls/alpn-challenge.ts).
 *
 * With several workers only one orders, but the CA's validation request may
 * land on any of them: the ordering process publishes each change
 * (`onChange`), the others `apply` it (src/server relays them).
 */
import type { AlpnChallengeCertificate, TlsAlpnChallenges } from '../tls/alpn-challenge.js';

export type PendingChallenge =
  { type: 'http-01'; token: string; keyAuthorization: string } | { type: 'tls-alpn-01'; domain: string; certPem: string; keyPem: string };

export type ChallengeChange = { op: 'add' | 'remove'; challenge: PendingChallenge };

export class AcmeChallengeStore implements TlsAlpnChallenges {
  private readonly http = new Map<string, string>();
  private readonly alpn = new Map<string, AlpnChallengeCertificate>();
  private readonly listeners: Array<(change: ChallengeChange) => void> = [];

  add(challenge: PendingChallenge): void {
    this.apply({ op: 'add', challenge });
    for (const l of this.listeners) l({ op: 'add', challenge });
  }

  remove(challenge: PendingChallenge): void {
    this.apply({ op: 'remove', challenge });
    for (const l of this.listeners) l({ op: 'remove', challenge });
  }

  /** A change made by another process (not published again). */
  apply({ op, challenge: c }: ChallengeChange): void {
    if (c.type === 'http-01') {
      if (op === 'add') this.http.set(c.token, c.keyAuthorization);
      else this.http.delete(c.token);
    } else if (op === 'add') this.alpn.set(c.domain.toLowerCase(), { certPem: c.certPem, keyPem: c.keyPem });
    else this.alpn.delete(c.domain.toLowerCase());
  }

  onChange(listener: (change: ChallengeChange) => void): void {
    this.listeners.push(listener);
  }

  keyAuthorization(token: string): string | undefined {
    return this.http.get(token);
  }

  certificateFor(serverName: string): AlpnChallengeCertificate | undefined {
    return this.alpn.get(serverName);
  }

  /** Everything pending now, for a worker that starts while an order runs. */
  pending(): PendingChallenge[] {
    return [
      ...[...this.http].map(([token, keyAuthorization]) => ({ type: 'http-01' as const, token, keyAuthorization })),
      ...[...this.alpn].map(([domain, c]) => ({ type: 'tls-alpn-01' as const, domain, ...c })),
    ];
  }
}
