/** The PROXY protocol reader on its own: v1 and v2 headers whole, split at every byte, broken, and absent. */
import { describe, expect, test } from 'vitest';
import { readProxyHeader } from '../../src/net/proxy-protocol-header.js';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
function v2(command: number, family: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0x20 | command;
  head[1] = family;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIG, head, body]);
}
const tlv = (type: number, value: string) => {
  const b = Buffer.alloc(3);
  b[0] = type;
  b.writeUInt16BE(Buffer.byteLength(value), 1);
  return Buffer.concat([b, Buffer.from(value)]);
};
const inet4 = Buffer.from([203, 0, 113, 7, 10, 0, 0, 1, 0xc3, 0x50, 0x01, 0xbb]); // 203.0.113.7:50000 → 10.0.0.1:443

describe('readProxyHeader', () => {
  test('v1 TCP4 and TCP6, with what follows left alone', () => {
    const data = Buffer.from('PROXY TCP4 198.51.100.22 10.0.0.1 35646 443\r\nGET / HTTP/1.1\r\n');
    expect(readProxyHeader(data)).toEqual({
      kind: 'header',
      version: 1,
      length: 45,
      source: { address: '198.51.100.22', port: 35646 },
      destination: { address: '10.0.0.1', port: 443 },
      tlvs: [],
    });
    const six = readProxyHeader(Buffer.from('PROXY TCP6 2001:DB8:0:0::1 ::1 1 2\r\n'));
    expect(six).toMatchObject({ kind: 'header', source: { address: '2001:db8::1', port: 1 }, destination: { address: '::1', port: 2 } });
  });

  test('v1 UNKNOWN keeps the connection addresses', () => {
    expect(readProxyHeader(Buffer.from('PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n'))).toEqual({ kind: 'header', version: 1, length: 35, tlvs: [] });
    expect(readProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toMatchObject({ kind: 'header', length: 15 });
  });

  test('v2 PROXY over IPv4 and IPv6 with TLVs, LOCAL without addresses', () => {
    const withTlvs = v2(1, 0x11, Buffer.concat([inet4, tlv(0x02, 'app.test'), tlv(0xea, 'vpce-1234')]));
    const r = readProxyHeader(Buffer.concat([withTlvs, Buffer.from([0x16, 0x03, 0x01])]));
    expect(r).toMatchObject({
      kind: 'header',
      version: 2,
      length: withTlvs.length,
      source: { address: '203.0.113.7', port: 50000 },
      destination: { address: '10.0.0.1', port: 443 },
    });
    expect(r.kind === 'header' && r.tlvs.map((t) => [t.type, t.value.toString()])).toEqual([
      [0x02, 'app.test'],
      [0xea, 'vpce-1234'],
    ]);
    const inet6 = Buffer.alloc(36);
    Buffer.from('20010db8000000000000000000000005', 'hex').copy(inet6, 0);
    inet6[31] = 1; // ::1
    inet6.writeUInt16BE(4000, 32);
    inet6.writeUInt16BE(8443, 34);
    expect(readProxyHeader(v2(1, 0x21, inet6))).toMatchObject({ source: { address: '2001:db8::5', port: 4000 }, destination: { address: '::1', port: 8443 } });
    // LOCAL: a health check from the balancer itself; its address block is ignored.
    expect(readProxyHeader(v2(0, 0x11, inet4))).toEqual({ kind: 'header', version: 2, length: 28, tlvs: [] });
    expect(readProxyHeader(v2(0, 0x00, Buffer.alloc(0)))).toEqual({ kind: 'header', version: 2, length: 16, tlvs: [] });
  });

  test('a header split anywhere is incomplete until its last byte', () => {
    for (const whole of [Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), v2(1, 0x11, Buffer.concat([inet4, tlv(1, 'h2')]))]) {
      for (let n = 1; n < whole.length; n++) expect(readProxyHeader(whole.subarray(0, n)).kind).toBe('incomplete');
      expect(readProxyHeader(whole).kind).toBe('header');
    }
  });

  test('anything else is absent, as soon as one byte says so', () => {
    for (const s of ['GET / HTTP/1.1\r\n', 'POST /', 'PRI * HTTP/2.0', 'PROX\n', '\x16\x03\x01\x02\x00'])
      expect(readProxyHeader(Buffer.from(s, 'latin1')).kind).toBe('absent');
    expect(readProxyHeader(Buffer.from('P')).kind).toBe('incomplete');
    expect(readProxyHeader(Buffer.from('\r\n\r\n\x00\r\nX', 'latin1')).kind).toBe('absent');
  });

  test('broken headers are invalid, never a crash', () => {
    const bad = [
      'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n',
      'PROXY TCP4 1.2.3.456 5.6.7.8 1 2\r\n',
      'PROXY TCP4 ::1 ::1 1 2\r\n',
      'PROXY TCP6 1.2.3.4 ::1 1 2\r\n',
      'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n',
      'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n',
      'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n',
      'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n',
      `PROXY TCP4 ${'1'.repeat(120)}`,
    ];
    for (const s of bad) expect(readProxyHeader(Buffer.from(s, 'latin1')), s).toMatchObject({ kind: 'invalid' });
    expect(readProxyHeader(v2(2, 0x11, inet4))).toMatchObject({ kind: 'invalid' }); // unknown command
    expect(readProxyHeader(Buffer.concat([SIG, Buffer.from([0x31, 0x11, 0, 12]), inet4]))).toMatchObject({ kind: 'invalid' }); // version 3
    expect(readProxyHeader(v2(1, 0x21, inet4))).toMatchObject({ kind: 'invalid' }); // IPv6 family, IPv4-sized block
    expect(readProxyHeader(v2(1, 0x11, Buffer.concat([inet4, Buffer.from([1, 0, 9, 0x68])])))).toMatchObject({ kind: 'invalid' }); // TLV overrun
    expect(readProxyHeader(v2(1, 0x41, inet4))).toMatchObject({ kind: 'invalid' }); // family 4
    // Random bytes after the v2 signature: whatever the verdict, it is one of the four.
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.concat([SIG, Buffer.from(Array.from({ length: 4 + (i % 40) }, (_, k) => (i * 31 + k * 17) & 0xff))]);
      expect(['incomplete', 'invalid', 'header']).toContain(readProxyHeader(junk).kind);
    }
  });
});
