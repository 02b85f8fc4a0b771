import { describe, expect, it } from 'vitest';
import { QuicError, QuicErrorCode } from '../../src/quic/quic-error.js';
import {
  decodeTransportParameters,
  defaultTransportParameters,
  encodeTransportParameters,
  verifyConnectionIdParameters,
  type TransportParameters,
} from '../../src/quic/transport-parameters.js';
import { fuzz } from './fuzz.js';

const b = (hex: string) => Buffer.from(hex, 'hex');

function serverParams(): TransportParameters {
  return {
    ...defaultTransportParameters(),
    originalDestinationConnectionId: b('8394c8f03e515708'),
    maxIdleTimeout: 30000,
    statelessResetToken: Buffer.alloc(16, 0xee),
    maxUdpPayloadSize: 1452,
    initialMaxData: 2 ** 24,
    initialMaxStreamDataBidiLocal: 1 << 20,
    initialMaxStreamDataBidiRemote: 1 << 19,
    initialMaxStreamDataUni: 1 << 18,
    initialMaxStreamsBidi: 100,
    initialMaxStreamsUni: 3,
    ackDelayExponent: 8,
    maxAckDelay: 20,
    disableActiveMigration: true,
    preferredAddress: {
      ipv4Address: b('7f000001'),
      ipv4Port: 4433,
      ipv6Address: Buffer.alloc(16),
      ipv6Port: 0,
      connectionId: b('0102030405060708'),
      statelessResetToken: Buffer.alloc(16, 1),
    },
    activeConnectionIdLimit: 8,
    initialSourceConnectionId: b('f067a5502a4262b5'),
    retrySourceConnectionId: b('aabbccdd'),
    maxDatagramFrameSize: 65535,
  };
}

function expectParamError(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(QuicError);
    expect((error as QuicError).code).toBe(QuicErrorCode.TRANSPORT_PARAMETER_ERROR);
    expect((error as QuicError).message).toMatch(message);
    return;
  }
  throw new Error('expected TRANSPORT_PARAMETER_ERROR');
}

describe('QUIC transport parameters (RFC 9000 §18)', () => {
  it('round-trips every parameter, and omits defaults', () => {
    const p = serverParams();
    expect(decodeTransportParameters(encodeTransportParameters(p), 'server')).toEqual(p);
    expect(encodeTransportParameters(defaultTransportParameters()).length).toBe(0);
    expect(decodeTransportParameters(Buffer.alloc(0), 'client')).toEqual(defaultTransportParameters());
  });

  it('decodes the client parameters of the RFC 9001 A.2 ClientHello', () => {
    const p = decodeTransportParameters(b('0408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ffff'), 'client');
    // 2^62 - 1 rounds to 2^62 as a double: fine for a limit.
    expect(p.initialMaxData).toBe(2 ** 62);
    expect(p.initialMaxStreamDataBidiLocal).toBe(0xffff);
    expect(p.initialMaxStreamsBidi).toBe(16);
    expect(p.maxIdleTimeout).toBe(30000);
    expect(p.initialSourceConnectionId!.toString('hex')).toBe('8394c8f03e515708');
  });

  it('skips unknown and reserved (31N+27) parameters', () => {
    const encoded = Buffer.concat([b('1b00'), b('4039' + '02' + 'abcd'), encodeTransportParameters({ ...defaultTransportParameters(), initialMaxData: 5 })]);
    expect(decodeTransportParameters(encoded, 'client').initialMaxData).toBe(5);
  });

  it('enforces §7.4 and §18.2 with TRANSPORT_PARAMETER_ERROR', () => {
    const cases: [string, 'client' | 'server', RegExp][] = [
      ['040105040105', 'client', /twice/],
      ['1b001b00', 'client', /twice/],
      ['000401020304', 'client', /server-only/],
      ['021000000000000000000000000000000000', 'client', /server-only/],
      ['1000', 'client', /server-only/],
      ['020401020304', 'server', /stateless_reset_token/],
      ['0302449f', 'server', /below 1200/],
      ['0a0115', 'server', /above 20/],
      ['0b0480004000', 'client', /not below 2\^14/],
      ['0e0101', 'client', /below 2/],
      ['0c0100', 'client', /with a value/],
      ['0801', 'client', /runs past/],
      ['04', 'client', /truncated/],
      ['0403400100', 'client', /not one varint/],
      ['0f15' + '00'.repeat(21), 'client', /21 bytes/],
      ['0d0400000000', 'server', /truncated/],
      ['0808e000000000000000', 'client', /above 2\^60/],
    ];
    for (const [hex, sender, message] of cases) expectParamError(() => decodeTransportParameters(b(hex), sender), message);
    // preferred_address with a zero-length connection ID
    const pa = encodeTransportParameters({ ...serverParams(), preferredAddress: { ...serverParams().preferredAddress!, connectionId: Buffer.alloc(0) } });
    expectParamError(() => decodeTransportParameters(pa, 'server'), /preferred_address connection ID of 0/);
  });

  it('checks the connection-ID parameters against what the wire showed (§7.3)', () => {
    const p = serverParams();
    const seen = { peerInitialSourceCid: b('f067a5502a4262b5'), originalDestinationCid: b('8394c8f03e515708'), retrySourceCid: b('aabbccdd') };
    verifyConnectionIdParameters(p, 'server', seen);
    expectParamError(() => verifyConnectionIdParameters(p, 'server', { ...seen, retrySourceCid: undefined }), /without a Retry/);
    expectParamError(() => verifyConnectionIdParameters(p, 'server', { ...seen, peerInitialSourceCid: b('00') }), /initial_source/);
    expectParamError(() => verifyConnectionIdParameters(p, 'server', { ...seen, originalDestinationCid: b('00') }), /original_destination/);
    expectParamError(() => verifyConnectionIdParameters({ ...p, originalDestinationConnectionId: undefined }, 'server', seen), /missing/);
    verifyConnectionIdParameters({ ...defaultTransportParameters(), initialSourceConnectionId: b('01') }, 'client', { peerInitialSourceCid: b('01') });
  });

  it('fuzz: only QuicError escapes', () => {
    const seeds = [encodeTransportParameters(serverParams())];
    let n = 0;
    const refused = fuzz(seeds, 10000, (input) => decodeTransportParameters(input, n++ % 2 ? 'client' : 'server'), 3);
    expect(refused).toBeGreaterThan(500);
  });
});
