import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TestPki, type IssuedCert } from '../../support/pki.js';
import { QuicTlsAlert, type QuicTlsServerCertificate, type QuicTlsServerNamePolicy, type TlsCipherSuiteName } from '../../../src/quic/tls13/quic-tls.js';
import { createQuicTlsServer } from '../../../src/quic/tls13/server.js';
import { EarlyDataStrikeRegister } from '../../../src/quic/tls13/early-data-strike-register.js';
import { KeySchedule, cipherSuiteByName, finishedVerifyData } from '../../../src/quic/tls13/key-schedule.js';
import { bindersBlockLength, buildClientHello, parseServerHello, patchBinders } from '../../../src/quic/tls13/messages.js';
import { decodeClientSession } from '../../../src/quic/tls13/session-ticket.js';
import { validClientHello } from './client-hello-fixtures.js';
import {
  RecordingHost,
  CLIENT_TRANSPORT_PARAMETERS,
  SERVER_TRANSPORT_PARAMETERS,
  certificateOf,
  runHandshake,
  type ClientSetup,
  type PairResult,
  type ServerSetup,
} from './handshake-harness.js';

let pki: TestPki;
let otherPki: TestPki;
const leaves: Record<string, IssuedCert> = {};
let clientLeaf: IssuedCert;
let strangerClientLeaf: IssuedCert;

beforeAll(() => {
  pki = new TestPki('QUIC TLS Test CA');
  otherPki = new TestPki('Someone Else CA');
  leaves.p256 = pki.issue('p256', ['localhost', 'example.test']);
  leaves.p384 = pki.issue('p384', ['localhost'], 'server', 'p384');
  leaves.rsa = pki.issue('rsa', ['localhost'], 'server', 'rsa');
  leaves.ed25519 = pki.issue('ed25519', ['localhost'], 'server', 'ed25519');
  clientLeaf = pki.issue('client', ['client.test'], 'client');
  strangerClientLeaf = otherPki.issue('stranger', ['stranger.test'], 'client');
  clock = Date.now();
}, 60_000);

const caPem = () => [readFileSync(pki.caCert, 'utf8')];
// The host's clock; it starts at the real time once the certificates exist (their validity starts then).
let clock = 0;
const now = () => clock;

function serverSetup(over: Partial<ServerSetup> = {}, cert: () => QuicTlsServerCertificate = () => certificateOf(leaves.p256!)): ServerSetup {
  return { alpn: ['h3'], selectCertificate: () => cert(), now, ...over };
}
function clientSetup(over: Partial<ClientSetup> = {}): ClientSetup {
  return { serverName: 'localhost', alpn: ['h3'], caPem: caPem(), now, ...over };
}

function expectEstablished(r: PairResult): void {
  expect(r.alert?.error.message).toBeUndefined();
  expect(r.server.handshakeComplete).toBe(true);
  expect(r.client.handshakeComplete).toBe(true);
  // Each secret one side writes with is the one the other reads with.
  for (const level of ['handshake', 'application'] as const) {
    const sw = r.serverHost.secrets.get(`${level}:write`)!;
    const cr = r.clientHost.secrets.get(`${level}:read`)!;
    const cw = r.clientHost.secrets.get(`${level}:write`)!;
    const sr = r.serverHost.secrets.get(`${level}:read`)!;
    expect(sw.secret.equals(cr.secret)).toBe(true);
    expect(cw.secret.equals(sr.secret)).toBe(true);
    expect(sw.secret.equals(cw.secret)).toBe(false);
    expect(sw.suite).toBe(r.serverHost.info!.cipherSuite);
  }
  expect(r.serverHost.peerTransportParameters).toEqual(CLIENT_TRANSPORT_PARAMETERS);
  expect(r.clientHost.peerTransportParameters).toEqual(SERVER_TRANSPORT_PARAMETERS);
}

function alertOf(r: PairResult): { side: string; code: number } | undefined {
  if (!r.alert) return undefined;
  expect(r.alert.error).toBeInstanceOf(QuicTlsAlert);
  return { side: r.alert.side, code: r.alert.error.alert };
}

describe('QUIC TLS 1.3 handshake, server and client in memory', () => {
  it.each<TlsCipherSuiteName>(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'])(
    'completes with %s over X25519',
    (suite) => {
      const r = runHandshake(serverSetup({ cipherSuites: [suite] }), clientSetup());
      expectEstablished(r);
      const info = r.serverHost.info!;
      expect(info).toMatchObject({ alpn: 'h3', serverName: 'localhost', cipherSuite: suite, group: 'x25519', resumed: false, earlyDataAccepted: false });
      expect(r.clientHost.info).toMatchObject({ alpn: 'h3', cipherSuite: suite, group: 'x25519', resumed: false });
      expect(r.clientHost.info!.peerCertificates).toHaveLength(1);
      expect(info.peerCertificates).toHaveLength(0);
      const hashLength = suite === 'TLS_AES_256_GCM_SHA384' ? 48 : 32;
      expect(r.serverHost.secrets.get('application:write')!.secret).toHaveLength(hashLength);
      // NSS key log: the same four lines on both sides, client random in each.
      const labels = r.serverHost.keylogLines.map((l) => l.split(' ')[0]).sort();
      expect(labels).toEqual(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0']);
      expect([...r.clientHost.keylogLines].sort()).toEqual([...r.serverHost.keylogLines].sort());
      const line = r.serverHost.keylogLines.find((l) => l.startsWith('SERVER_TRAFFIC_SECRET_0'))!;
      expect(line.split(' ')[2]).toBe(r.serverHost.secrets.get('application:write')!.secret.toString('hex'));
    },
  );

  it('uses P-256 when both prefer it', () => {
    const r = runHandshake(serverSetup({ groups: ['secp256r1'] }), clientSetup({ groups: ['secp256r1', 'x25519'] }));
    expectEstablished(r);
    expect(r.serverHost.info!.group).toBe('secp256r1');
    expect(r.clientSent.filter((m) => m.level === 'initial')).toHaveLength(1);
  });

  it('sends a HelloRetryRequest when the client shares no acceptable group', () => {
    const r = runHandshake(serverSetup({ groups: ['secp256r1'] }), clientSetup({ groups: ['x25519', 'secp256r1'] }));
    expectEstablished(r);
    expect(r.serverHost.info!.group).toBe('secp256r1');
    // ClientHello, then the second ClientHello after the HelloRetryRequest.
    expect(r.clientSent.filter((m) => m.level === 'initial')).toHaveLength(2);
  });

  it('refuses with handshake_failure when no group is in common', () => {
    const r = runHandshake(serverSetup({ groups: ['secp256r1'] }), clientSetup({ groups: ['x25519'] }));
    expect(alertOf(r)).toEqual({ side: 'server', code: 40 });
  });

  it('refuses with no_application_protocol when ALPN does not overlap', () => {
    const r = runHandshake(serverSetup(), clientSetup({ alpn: ['hq-interop'] }));
    expect(alertOf(r)).toEqual({ side: 'server', code: 120 });
    expect(r.alert!.error.quicErrorCode).toBe(0x178);
  });

  it('refuses an unknown name with unrecognized_name (sniStrict)', () => {
    const names: (string | undefined)[] = [];
    const r = runHandshake(
      serverSetup({
        selectCertificate: (name) => {
          names.push(name);
          return name === 'localhost' ? certificateOf(leaves.p256!) : undefined;
        },
      }),
      clientSetup({ serverName: 'unknown.test', insecure: true }),
    );
    expect(alertOf(r)).toEqual({ side: 'server', code: 112 });
    expect(names).toEqual(['unknown.test']);
  });

  it.each(['p256', 'p384', 'rsa', 'ed25519'])('authenticates the server with a %s certificate', (kind) => {
    const r = runHandshake(
      serverSetup({}, () => certificateOf(leaves[kind]!)),
      clientSetup(),
    );
    expectEstablished(r);
    expect(r.clientHost.info!.peerCertificates[0]!.equals(certificateOf(leaves[kind]!).chain[0]!)).toBe(true);
  });

  it('rejects a server certificate from an untrusted CA (unknown_ca) and one for another name (bad_certificate)', () => {
    const untrusted = runHandshake(serverSetup(), clientSetup({ caPem: [readFileSync(otherPki.caCert, 'utf8')] }));
    expect(alertOf(untrusted)).toEqual({ side: 'client', code: 48 });
    const wrongName = runHandshake(serverSetup(), clientSetup({ serverName: 'other.test' }));
    expect(alertOf(wrongName)).toEqual({ side: 'client', code: 42 });
    const insecure = runHandshake(serverSetup(), clientSetup({ serverName: 'other.test', caPem: [], insecure: true }));
    expectEstablished(insecure);
  });

  it('rejects an expired server certificate when the clock is known', () => {
    const later = clock + 10 * 24 * 3600 * 1000;
    const r = runHandshake(serverSetup(), clientSetup({ now: () => later }));
    expect(alertOf(r)).toEqual({ side: 'client', code: 45 });
  });

  describe('client certificates (mTLS)', () => {
    it('accepts a client certificate from the configured CA', () => {
      const r = runHandshake(serverSetup({ clientAuth: { required: true, caPem: caPem() } }), clientSetup({ clientCertificate: certificateOf(clientLeaf) }));
      expectEstablished(r);
      expect(r.serverHost.info!.peerCertificates).toHaveLength(1);
      expect(r.serverHost.info!.peerCertificates[0]!.equals(certificateOf(clientLeaf).chain[0]!)).toBe(true);
    });

    it('refuses a missing certificate with certificate_required when required', () => {
      const r = runHandshake(serverSetup({ clientAuth: { required: true, caPem: caPem() } }), clientSetup());
      expect(alertOf(r)).toEqual({ side: 'server', code: 116 });
    });

    it('lets a client without a certificate in when optional', () => {
      const r = runHandshake(serverSetup({ clientAuth: { required: false, caPem: caPem() } }), clientSetup());
      expectEstablished(r);
      expect(r.serverHost.info!.peerCertificates).toHaveLength(0);
    });

    it('refuses a certificate from another CA with unknown_ca', () => {
      const r = runHandshake(
        serverSetup({ clientAuth: { required: true, caPem: caPem() } }),
        clientSetup({ clientCertificate: certificateOf(strangerClientLeaf) }),
      );
      expect(alertOf(r)).toEqual({ side: 'server', code: 48 });
    });

    it('refuses a client whose CertificateVerify is signed by another key (decrypt_error)', () => {
      const forged = { chain: certificateOf(clientLeaf).chain, key: certificateOf(leaves.p256!).key };
      const r = runHandshake(serverSetup({ clientAuth: { required: true, caPem: caPem() } }), clientSetup({ clientCertificate: forged }));
      expect(alertOf(r)).toEqual({ side: 'server', code: 51 });
    });
  });

  describe("the server name's TLS options (policy returned with the certificate)", () => {
    const withPolicy = (policy: QuicTlsServerNamePolicy, seen: Array<string | undefined> = []) =>
      serverSetup({
        selectCertificate: (name) => {
          seen.push(name);
          return { ...certificateOf(leaves.p256!), policy };
        },
      });

    it('limits the cipher suites: the policy suite is chosen, a client without it gets handshake_failure', () => {
      const r = runHandshake(withPolicy({ cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256'] }), clientSetup());
      expectEstablished(r);
      expect(r.serverHost.info!.cipherSuite).toBe('TLS_CHACHA20_POLY1305_SHA256');
      const refused = runHandshake(withPolicy({ cipherSuites: ['TLS_AES_256_GCM_SHA384'] }), clientSetup({ cipherSuites: ['TLS_AES_128_GCM_SHA256'] }));
      expect(alertOf(refused)).toEqual({ side: 'server', code: 40 });
    });

    it('limits the groups: P-384 after a HelloRetryRequest (certificate chosen once), P-521 directly; none in common is handshake_failure', () => {
      const seen: Array<string | undefined> = [];
      const r = runHandshake(withPolicy({ groups: ['secp384r1'] }, seen), clientSetup({ groups: ['x25519', 'secp384r1'] }));
      expectEstablished(r);
      expect(r.serverHost.info!.group).toBe('secp384r1');
      expect(seen).toEqual(['localhost']);
      const p521 = runHandshake(withPolicy({ groups: ['secp521r1'] }), clientSetup({ groups: ['secp521r1'] }));
      expectEstablished(p521);
      expect(p521.serverHost.info!.group).toBe('secp521r1');
      const refused = runHandshake(withPolicy({ groups: ['secp384r1'] }), clientSetup({ groups: ['x25519'] }));
      expect(alertOf(refused)).toEqual({ side: 'server', code: 40 });
    });

    it('refuses with protocol_version when the options exclude TLS 1.3', () => {
      const r = runHandshake(withPolicy({ refuseTls13: true }), clientSetup());
      expect(alertOf(r)).toEqual({ side: 'server', code: 70 });
    });

    it('asks for a client certificate without CAs (RequireAnyClientCert): any certificate, but its CertificateVerify must verify', () => {
      const r = runHandshake(withPolicy({ clientAuth: { required: true } }), clientSetup({ clientCertificate: certificateOf(strangerClientLeaf) }));
      expectEstablished(r);
      expect(r.serverHost.info!.peerCertificates).toHaveLength(1);
      const forged = { chain: certificateOf(strangerClientLeaf).chain, key: certificateOf(leaves.p256!).key };
      expect(alertOf(runHandshake(withPolicy({ clientAuth: { required: true } }), clientSetup({ clientCertificate: forged })))).toEqual({
        side: 'server',
        code: 51,
      });
      expect(alertOf(runHandshake(withPolicy({ clientAuth: { required: true } }), clientSetup()))).toEqual({ side: 'server', code: 116 });
    });

    it('does not resume where the name asks for client certificates: every connection shows one', () => {
      const ticketKeys = { current: randomBytes(32) };
      const tickets: Buffer[] = [];
      const policy: QuicTlsServerNamePolicy = { clientAuth: { required: true, caPem: caPem() } };
      const first = runHandshake(
        { ...withPolicy(policy), ticketKeys },
        clientSetup({ clientCertificate: certificateOf(clientLeaf), onSessionTicket: (t) => tickets.push(t) }),
      );
      expectEstablished(first);
      expect(tickets).toHaveLength(1);
      const again = runHandshake({ ...withPolicy(policy), ticketKeys }, clientSetup({ session: tickets[0], clientCertificate: certificateOf(clientLeaf) }));
      expectEstablished(again);
      expect(again.serverHost.info).toMatchObject({ resumed: false });
      expect(again.serverHost.info!.peerCertificates).toHaveLength(1);
    });
  });

  it('completes when the ClientHello arrives one byte per receive()', () => {
    const r = runHandshake(serverSetup(), clientSetup(), { chunk: 1 });
    expectEstablished(r);
  });

  it('rejects a tampered server Finished with decrypt_error', () => {
    // The server's handshake flight ends with its Finished: flip its last byte.
    const tampered = runHandshakeWithTamper((level, data) => {
      if (level !== 'handshake') return data;
      const copy = Buffer.from(data);
      copy[copy.length - 1]! ^= 1;
      return copy;
    });
    expect(tampered).toEqual({ side: 'client', code: 51 });
  });

  describe('session tickets and resumption', () => {
    const ticketKeys = { current: randomBytes(32) };

    function ticketFrom(setup: ServerSetup, client: Partial<ClientSetup> = {}): Buffer {
      const tickets: Buffer[] = [];
      const r = runHandshake(setup, clientSetup({ ...client, onSessionTicket: (t) => tickets.push(t) }));
      expectEstablished(r);
      expect(tickets).toHaveLength(1);
      return tickets[0]!;
    }

    it('resumes on another server instance that shares the ticket keys', () => {
      const session = ticketFrom(serverSetup({ ticketKeys }));
      clock += 60_000;
      const r = runHandshake(serverSetup({ ticketKeys: { current: Buffer.from(ticketKeys.current) } }), clientSetup({ session }));
      expectEstablished(r);
      expect(r.serverHost.info).toMatchObject({ resumed: true, earlyDataAccepted: false, group: 'x25519' });
      expect(r.clientHost.info).toMatchObject({ resumed: true });
      expect(r.clientHost.info!.peerCertificates).toHaveLength(0);
      expect(r.serverHost.secrets.has('early:read')).toBe(false);
    });

    it('resumes with a ticket sealed under a previous key, not with an unknown key', () => {
      const session = ticketFrom(serverSetup({ ticketKeys }));
      const rotated = runHandshake(serverSetup({ ticketKeys: { current: randomBytes(32), previous: [ticketKeys.current] } }), clientSetup({ session }));
      expectEstablished(rotated);
      expect(rotated.serverHost.info!.resumed).toBe(true);
      const unknown = runHandshake(serverSetup({ ticketKeys: { current: randomBytes(32) } }), clientSetup({ session }));
      expectEstablished(unknown);
      expect(unknown.serverHost.info!.resumed).toBe(false);
    });

    it('does not resume an expired ticket', () => {
      const session = ticketFrom(serverSetup({ ticketKeys }));
      const later = clock + 8 * 24 * 3600 * 1000;
      const r = runHandshake(serverSetup({ ticketKeys, now: () => later }), clientSetup({ session, insecure: true }));
      expectEstablished(r);
      expect(r.serverHost.info!.resumed).toBe(false);
    });

    it('accepts 0-RTT only when the server enables it', () => {
      const session = ticketFrom(serverSetup({ ticketKeys, earlyData: true }));
      const on = runHandshake(serverSetup({ ticketKeys, earlyData: true }), clientSetup({ session, earlyData: true }));
      expectEstablished(on);
      expect(on.serverHost.info).toMatchObject({ resumed: true, earlyDataAccepted: true });
      expect(on.clientHost.info!.earlyDataAccepted).toBe(true);
      expect(on.serverHost.secrets.get('early:read')!.secret.equals(on.clientHost.secrets.get('early:write')!.secret)).toBe(true);
      expect(on.serverHost.keylogLines.some((l) => l.startsWith('CLIENT_EARLY_TRAFFIC_SECRET '))).toBe(true);

      const off = runHandshake(serverSetup({ ticketKeys, earlyData: false }), clientSetup({ session, earlyData: true }));
      expectEstablished(off);
      expect(off.serverHost.info).toMatchObject({ resumed: true, earlyDataAccepted: false });
      expect(off.clientHost.info!.earlyDataAccepted).toBe(false);
      expect(off.serverHost.secrets.has('early:read')).toBe(false);
    });

    it('refuses 0-RTT when the QUIC early-data context changed', () => {
      const session = ticketFrom(serverSetup({ ticketKeys, earlyData: true, earlyDataContext: Buffer.from('limits-1') }));
      const r = runHandshake(
        serverSetup({ ticketKeys, earlyData: true, earlyDataContext: Buffer.from('limits-2') }),
        clientSetup({ session, earlyData: true }),
      );
      expectEstablished(r);
      expect(r.serverHost.info).toMatchObject({ resumed: true, earlyDataAccepted: false });
    });

    it('with an anti-replay guard: 0-RTT once per ClientHello (a copy resumes without it), and only on the instance that issued the ticket', () => {
      const strikes = new EarlyDataStrikeRegister();
      const guard = { instance: randomBytes(8), firstUse: (binder: Buffer, at: number) => strikes.firstUse(binder, at) };
      const session = ticketFrom(serverSetup({ ticketKeys, earlyData: true, earlyDataGuard: guard }));
      const r = runHandshake(serverSetup({ ticketKeys, earlyData: true, earlyDataGuard: guard }), clientSetup({ session, earlyData: true }));
      expectEstablished(r);
      expect(r.serverHost.info).toMatchObject({ resumed: true, earlyDataAccepted: true });
      expect(strikes.size).toBe(1);
      // The same ClientHello bytes again, as an attacker replays them.
      const replayHost = new RecordingHost();
      const replayed = createQuicTlsServer({
        ...serverSetup({ ticketKeys, earlyData: true, earlyDataGuard: guard }),
        host: replayHost,
        localTransportParameters: SERVER_TRANSPORT_PARAMETERS,
        peerTransportParameters: () => {},
      });
      for (const m of r.clientSent.filter((x) => x.level === 'initial')) replayed.receive('initial', m.data);
      expect(replayHost.secrets.has('handshake:write')).toBe(true);
      expect(replayHost.secrets.has('early:read')).toBe(false);
      // Another worker (its own instance and register) resumes the ticket in 1-RTT.
      const elsewhere = { instance: randomBytes(8), firstUse: (binder: Buffer, at: number) => new EarlyDataStrikeRegister().firstUse(binder, at) };
      const other = runHandshake(serverSetup({ ticketKeys, earlyData: true, earlyDataGuard: elsewhere }), clientSetup({ session, earlyData: true }));
      expectEstablished(other);
      expect(other.serverHost.info).toMatchObject({ resumed: true, earlyDataAccepted: false });
    });

    it('announces max_early_data_size 0xffffffff in tickets when 0-RTT is on', () => {
      const tickets: Buffer[] = [];
      const r = runHandshake(serverSetup({ ticketKeys, earlyData: true }), clientSetup({ onSessionTicket: (t) => tickets.push(t) }));
      expectEstablished(r);
      const nst = r.serverSent.find((m) => m.level === 'application')?.data;
      expect(nst?.[0]).toBe(4);
      // NewSessionTicket extensions end with early_data(42) { 0xffffffff }.
      expect(nst!.subarray(nst!.length - 8).toString('hex')).toBe('002a0004ffffffff');
    });

    it('resumes across a HelloRetryRequest (binder over message_hash + HRR), without 0-RTT', () => {
      const session = ticketFrom(serverSetup({ ticketKeys, earlyData: true }));
      const r = runHandshake(
        serverSetup({ ticketKeys, earlyData: true, groups: ['secp256r1'] }),
        clientSetup({ session, earlyData: true, groups: ['x25519', 'secp256r1'] }),
      );
      expectEstablished(r);
      expect(r.clientSent.filter((m) => m.level === 'initial')).toHaveLength(2);
      expect(r.serverHost.info).toMatchObject({ resumed: true, earlyDataAccepted: false, group: 'secp256r1' });
      expect(r.clientHost.info).toMatchObject({ resumed: true, earlyDataAccepted: false });
    });

    it('does not resume for another server name', () => {
      const session = ticketFrom(serverSetup({ ticketKeys }));
      const r = runHandshake(serverSetup({ ticketKeys }), clientSetup({ session, serverName: 'example.test' }));
      expectEstablished(r);
      expect(r.serverHost.info!.resumed).toBe(false);
    });

    it('client refuses a ticket whose max_early_data_size is not 0xffffffff (RFC 9001 §4.6.1)', () => {
      const r = runHandshake(serverSetup({ ticketKeys, earlyData: true }), clientSetup({ onSessionTicket: () => {} }), {
        tamper: {
          from: 'server',
          edit: (level, data) => {
            if (level !== 'application') return data;
            const copy = Buffer.from(data);
            copy[copy.length - 1] = 0xfe;
            return copy;
          },
        },
      });
      expect(alertOf(r)).toEqual({ side: 'client', code: 47 });
    });

    it('tries the first four PSK identities only, and selects the one that opens', () => {
      const session = decodeClientSession(ticketFrom(serverSetup({ ticketKeys })))!;
      const suite = cipherSuiteByName('TLS_AES_128_GCM_SHA256');
      const offer = (fakes: number) => {
        const hello = validClientHello({ serverName: 'localhost', cipherSuites: [0x1301] });
        const identities = [
          ...Array.from({ length: fakes }, () => ({ identity: randomBytes(session.ticket.length), obfuscatedTicketAge: 0 })),
          { identity: session.ticket, obfuscatedTicketAge: session.ageAdd },
        ];
        hello.preSharedKey = { identities, binders: identities.map(() => Buffer.alloc(32)), bindersLength: 0 };
        const message = buildClientHello(hello);
        const binders = hello.preSharedKey.binders;
        const truncated = message.subarray(0, message.length - bindersBlockLength(binders));
        const binderKey = new KeySchedule(suite, session.psk).resumptionBinderKey();
        binders[fakes] = finishedVerifyData(suite, binderKey, createHash('sha256').update(truncated).digest());
        patchBinders(message, binders);
        const host = new RecordingHost();
        createQuicTlsServer({ ...serverSetup({ ticketKeys }), host, localTransportParameters: Buffer.alloc(0), peerTransportParameters: () => {} }).receive(
          'initial',
          message,
        );
        return parseServerHello(host.outbox[0]!.data.subarray(4)).selectedIdentity;
      };
      expect(offer(0)).toBe(0);
      expect(offer(3)).toBe(3);
      expect(offer(4)).toBeUndefined();
    });

    it('refuses a ClientHello whose PSK binder was altered (decrypt_error)', () => {
      const session = ticketFrom(serverSetup({ ticketKeys }));
      const r = runHandshakeWithTamper(
        (level, data) => {
          if (level !== 'initial') return data;
          const copy = Buffer.from(data);
          copy[copy.length - 1]! ^= 0x80; // the binder is the last thing in the ClientHello
          return copy;
        },
        'client',
        serverSetup({ ticketKeys }),
        clientSetup({ session }),
      );
      expect(r).toEqual({ side: 'server', code: 51 });
    });
  });

  it('answers a KeyUpdate after the handshake with unexpected_message', () => {
    const r = runHandshake(serverSetup(), clientSetup());
    expectEstablished(r);
    expect(() => r.server.receive('application', Buffer.from('1800000100', 'hex'))).toThrow(expect.objectContaining({ alert: 10 }));
  });
});

/** A handshake where what `from` sends passes through `edit` first; the alert raised, if any. */
function runHandshakeWithTamper(
  edit: (level: string, data: Buffer) => Buffer,
  from: 'server' | 'client' = 'server',
  server: ServerSetup = serverSetup(),
  client: ClientSetup = clientSetup(),
): { side: string; code: number } | undefined {
  return alertOf(runHandshake(server, client, { tamper: { from, edit } }));
}
