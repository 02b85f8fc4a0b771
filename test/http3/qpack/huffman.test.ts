import { describe, expect, it } from 'vitest';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from '../../../src/http3/qpack/huffman.js';

function encode(s: string): Buffer {
  const out = Buffer.alloc(huffmanEncodedLength(s));
  expect(huffmanEncode(s, out, 0)).toBe(out.length);
  return out;
}

describe('Huffman (RFC 7541 Appendix B)', () => {
  // RFC 7541 Appendix C.4 and C.6 examples.
  const vectors: [string, string][] = [
    ['www.example.com', 'f1e3c2e5f23a6ba0ab90f4ff'],
    ['no-cache', 'a8eb10649cbf'],
    ['custom-key', '25a849e95ba97d7f'],
    ['custom-value', '25a849e95bb8e8b4bf'],
    ['302', '6402'],
    ['private', 'aec3771a4b'],
    ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07abe941054d444a8200595040b8166e082a62d1bff'],
    ['https://www.example.com', '9d29ad171863c78f0b97c8e9ae82ae43d3'],
  ];

  it('encodes and decodes the RFC 7541 examples', () => {
    for (const [text, hex] of vectors) {
      expect(encode(text).toString('hex')).toBe(hex);
      const b = Buffer.from(hex, 'hex');
      expect(huffmanDecode(b, 0, b.length)).toBe(text);
    }
  });

  it('round-trips every octet and random strings', () => {
    let all = '';
    for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
    const e = encode(all);
    expect(huffmanDecode(e, 0, e.length)).toBe(all);
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 0x100000000;
    for (let n = 0; n < 500; n++) {
      let s = '';
      const len = Math.floor(rand() * 40);
      for (let i = 0; i < len; i++) s += String.fromCharCode(rand() < 0.8 ? 32 + Math.floor(rand() * 95) : Math.floor(rand() * 256));
      const b = encode(s);
      expect(huffmanDecode(b, 0, b.length)).toBe(s);
    }
  });

  it('rejects EOS, over-long padding and padding that is not all ones', () => {
    const eos = Buffer.from([0xff, 0xff, 0xff, 0xfc]); // 30 one-bits = EOS, then 00
    expect(huffmanDecode(eos, 0, eos.length)).toBeUndefined();
    const longPad = Buffer.from([0xa8, 0xeb, 0x10, 0x64, 0x9c, 0xbf, 0xff]); // "no-cache" + 8 bits of padding
    expect(huffmanDecode(longPad, 0, longPad.length)).toBeUndefined();
    const zeroPad = Buffer.from([0x1c]); // '0' is 00000 (5 bits), then padding 100: not all ones
    expect(huffmanDecode(zeroPad, 0, 1)).toBeUndefined();
    expect(huffmanDecode(Buffer.from([0x07]), 0, 1)).toBe('0');
  });
});
