/**
 * TLS-ALPN-01 (RFC 8737) on our TLS listeners: a CA validating a name opens a
 * TLS connection offering only the ALPN protocol `acme-tls/1` with that name
 * in SNI, and must be shown a self-signed certificate carrying the key
 * authorization. Pending challenges live with the ACME manager (src/acme/);
 * the TLS runtime asks it through `TlsAlpnChallenges`, so TLS knows nothing of
 * ACME. A challenge connection carries no HTTP: it ends after the handshake.
 */
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';

export const ACME_TLS_ALPN = 'acme-tls/1';

export interface AlpnChallengeCertificate {
  certPem: string;
  keyPem: string;
}

/** Pending TLS-ALPN-01 challenges by name (lower-case, no trailing dot). */
export interface TlsAlpnChallenges {
  certificateFor(serverName: string): AlpnChallengeCertificate | undefined;
}

const servers = new WeakMap<AlpnChallengeCertificate, TlsServer>();

/** Run the handshake of a challenge connection with its certificate and `acme-tls/1`, then close it. */
export function answerAlpnChallenge(raw: Socket, challenge: AlpnChallengeCertificate, handshakeTimeoutMs: number): void {
  let server = servers.get(challenge);
  if (!server) {
    server = createTlsServer({
      cert: challenge.certPem,
      key: challenge.keyPem,
      ALPNProtocols: [ACME_TLS_ALPN],
      minVersion: 'TLSv1.2',
      handshakeTimeout: handshakeTimeoutMs,
    });
    server.on('secureConnection', (socket: TLSSocket) => socket.end());
    // A failed validation handshake is the CA's to report; nothing to do here but let the socket go.
    server.on('tlsClientError', () => undefined);
    servers.set(challenge, server);
  }
  server.emit('connection', raw);
}
