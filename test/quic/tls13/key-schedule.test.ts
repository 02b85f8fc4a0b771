/**
 * RFC 8448 §3 "Simple 1-RTT Handshake": given the trace's (EC)DHE shared
 * secret and transcript hashes, the key schedule derives the trace's secrets,
 * keys and client Finished.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hkdfExpandLabel } from '../../../src/quic/initial/initial-keys.js';
import { KeySchedule, cipherSuiteByName, deriveSecret, emptyHash, finishedVerifyData } from '../../../src/quic/tls13/key-schedule.js';
import { Transcript } from '../../../src/quic/tls13/transcript.js';

const hex = (s: string) => Buffer.from(s, 'hex');
const suite = cipherSuiteByName('TLS_AES_128_GCM_SHA256');

const RFC8448 = {
  sharedSecret: '8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d',
  helloHash: '860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8',
  serverFinishedHash: '9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13',
  clientFinishedHash: '209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d',
  earlySecret: '33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a',
  derivedForHandshake: '6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba',
  clientHandshakeTraffic: 'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21',
  serverHandshakeTraffic: 'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38',
  serverHandshakeKey: '3fce516009c21727d0f2e4e86ee403bc',
  serverHandshakeIv: '5d313eb2671276ee13000b30',
  clientHandshakeKey: 'dbfaa693d1762c5b666af5d950258d01',
  clientHandshakeIv: '5bd3c71b836e0b76bb73265f',
  clientApplicationTraffic: '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5',
  serverApplicationTraffic: 'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643',
  serverApplicationKey: '9f02283b6c9c07efc26bb9f2ac92e356',
  serverApplicationIv: 'cf782b88dd83549aadf1e984',
  resumptionMaster: '7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c',
  clientFinishedVerifyData: 'a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61',
};

describe('TLS 1.3 key schedule against RFC 8448 §3', () => {
  it('derives the early secret and the "derived" secret of a full handshake', () => {
    const ks = new KeySchedule(suite);
    expect(ks.earlySecret.toString('hex')).toBe(RFC8448.earlySecret);
    expect(deriveSecret(suite, ks.earlySecret, 'derived', emptyHash('sha256')).toString('hex')).toBe(RFC8448.derivedForHandshake);
  });

  it('derives the handshake traffic secrets and their record keys', () => {
    const ks = new KeySchedule(suite);
    const hs = ks.handshake(hex(RFC8448.sharedSecret), hex(RFC8448.helloHash));
    expect(hs.client.toString('hex')).toBe(RFC8448.clientHandshakeTraffic);
    expect(hs.server.toString('hex')).toBe(RFC8448.serverHandshakeTraffic);
    expect(hkdfExpandLabel(hs.server, 'key', 16).toString('hex')).toBe(RFC8448.serverHandshakeKey);
    expect(hkdfExpandLabel(hs.server, 'iv', 12).toString('hex')).toBe(RFC8448.serverHandshakeIv);
    expect(hkdfExpandLabel(hs.client, 'key', 16).toString('hex')).toBe(RFC8448.clientHandshakeKey);
    expect(hkdfExpandLabel(hs.client, 'iv', 12).toString('hex')).toBe(RFC8448.clientHandshakeIv);
  });

  it('derives the application traffic secrets, the resumption master secret and the client Finished', () => {
    const ks = new KeySchedule(suite);
    const hs = ks.handshake(hex(RFC8448.sharedSecret), hex(RFC8448.helloHash));
    const app = ks.application(hex(RFC8448.serverFinishedHash));
    expect(app.client.toString('hex')).toBe(RFC8448.clientApplicationTraffic);
    expect(app.server.toString('hex')).toBe(RFC8448.serverApplicationTraffic);
    expect(hkdfExpandLabel(app.server, 'key', 16).toString('hex')).toBe(RFC8448.serverApplicationKey);
    expect(hkdfExpandLabel(app.server, 'iv', 12).toString('hex')).toBe(RFC8448.serverApplicationIv);
    expect(finishedVerifyData(suite, hs.client, hex(RFC8448.serverFinishedHash)).toString('hex')).toBe(RFC8448.clientFinishedVerifyData);
    expect(ks.resumptionMasterSecret(hex(RFC8448.clientFinishedHash)).toString('hex')).toBe(RFC8448.resumptionMaster);
  });

  it('SHA-384 suites run the same schedule with 48-byte secrets', () => {
    const s384 = cipherSuiteByName('TLS_AES_256_GCM_SHA384');
    const ks = new KeySchedule(s384);
    expect(ks.earlySecret).toHaveLength(48);
    const hs = ks.handshake(hex(RFC8448.sharedSecret), createHash('sha384').update('x').digest());
    expect(hs.client).toHaveLength(48);
    expect(hs.client.equals(hs.server)).toBe(false);
  });
});

describe('Transcript', () => {
  it('hashes messages added before the hash is known, and replaces ClientHello1 by message_hash after a retry', () => {
    const ch1 = Buffer.from('0100000401020304', 'hex');
    const hrr = Buffer.from('0200000100', 'hex');
    const t = new Transcript();
    t.add(ch1);
    t.start('sha256');
    expect(t.digest()).toEqual(createHash('sha256').update(ch1).digest());
    t.replaceWithMessageHash();
    t.add(hrr);
    const h1 = createHash('sha256').update(ch1).digest();
    const expected = createHash('sha256')
      .update(Buffer.of(254, 0, 0, 32))
      .update(h1)
      .update(hrr)
      .digest();
    expect(t.digest()).toEqual(expected);
    expect(t.digestWith(ch1)).toEqual(
      createHash('sha256')
        .update(Buffer.of(254, 0, 0, 32))
        .update(h1)
        .update(hrr)
        .update(ch1)
        .digest(),
    );
  });
});
