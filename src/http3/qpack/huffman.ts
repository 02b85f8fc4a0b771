/**
 * HPACK/QPACK Huffman coding (RFC 7541 §5.2, Appendix B). Decoding walks a
 * 4-bit-at-a-time state table built once from the code list, so each input
 * byte costs two table lookups and no allocation.
 */
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from './huffman-table.js';

const EOS = 256;

// Decode table: for state s and nibble n, entry (s*16+n) packs
//   bits 0..8   next state
//   bit  9      a symbol was emitted
//   bit  10     failure (EOS decoded)
//   bits 16..23 emitted symbol
// A state is an internal node of the code tree; ACCEPTS[s] says whether the
// stream may end there (valid padding: fewer than 8 bits, all ones).
const { TABLE, ACCEPTS } = buildDecodeTable();

function buildDecodeTable(): { TABLE: Uint32Array; ACCEPTS: Uint8Array } {
  // Build the binary tree: children[node*2+bit], leaves encoded as -(symbol+1).
  const children: number[] = [0, 0];
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    const len = HUFFMAN_LENGTHS[sym]!;
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) & 1;
      const slot = node * 2 + bit;
      if (i === 0) {
        children[slot] = -(sym + 1);
      } else {
        if (children[slot] === 0) {
          children[slot] = nodes++;
          children.push(0, 0);
        }
        node = children[slot]!;
      }
    }
  }
  // Depth and all-ones property of each internal node, for the padding rule.
  const depth = new Int32Array(nodes);
  const ones = new Uint8Array(nodes);
  ones[0] = 1;
  for (let n = 0; n < nodes; n++) {
    for (let bit = 0; bit < 2; bit++) {
      const c = children[n * 2 + bit]!;
      if (c > 0) {
        depth[c] = depth[n]! + 1;
        ones[c] = ones[n]! & bit;
      }
    }
  }
  const table = new Uint32Array(nodes * 16);
  const accepts = new Uint8Array(nodes);
  for (let s = 0; s < nodes; s++) {
    accepts[s] = s === 0 || (ones[s] === 1 && depth[s]! < 8) ? 1 : 0;
    for (let nib = 0; nib < 16; nib++) {
      let node = s;
      let entry = 0;
      for (let i = 3; i >= 0; i--) {
        const c = children[node * 2 + ((nib >> i) & 1)]!;
        if (c < 0) {
          const sym = -c - 1;
          if (sym === EOS) {
            entry = 1 << 10;
            break;
          }
          entry |= (1 << 9) | (sym << 16);
          node = 0;
        } else {
          node = c;
        }
      }
      table[s * 16 + nib] = entry & (1 << 10) ? entry : entry | node;
    }
  }
  return { TABLE: table, ACCEPTS: accepts };
}

/**
 * Decodes Huffman-coded `src[start, end)` into a latin1 string (one char per
 * octet). Returns undefined for invalid input (EOS inside, bad padding), so
 * the caller can raise the error code that fits its stream.
 */
export function huffmanDecode(src: Uint8Array, start: number, end: number): string | undefined {
  const out = Buffer.allocUnsafe(Math.ceil(((end - start) * 8) / 5));
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const b = src[i]!;
    let e = TABLE[state * 16 + (b >> 4)]!;
    if (e & (1 << 10)) return undefined;
    if (e & (1 << 9)) out[n++] = e >>> 16;
    state = e & 0x1ff;
    e = TABLE[state * 16 + (b & 0x0f)]!;
    if (e & (1 << 10)) return undefined;
    if (e & (1 << 9)) out[n++] = e >>> 16;
    state = e & 0x1ff;
  }
  if (!ACCEPTS[state]) return undefined;
  return out.toString('latin1', 0, n);
}

/** Length in bytes of the Huffman coding of latin1 string `s`. */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += HUFFMAN_LENGTHS[s.charCodeAt(i) & 0xff]!;
  return (bits + 7) >> 3;
}

/** Writes the Huffman coding of latin1 string `s` at `offset`; returns the offset after it. */
export function huffmanEncode(s: string, out: Uint8Array, offset: number): number {
  let acc = 0; // pending bits, at most 7 + 30 < 53 so plain number arithmetic stays exact
  let nbits = 0;
  let p = offset;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    const len = HUFFMAN_LENGTHS[sym]!;
    acc = acc * 2 ** len + HUFFMAN_CODES[sym]!;
    nbits += len;
    while (nbits >= 8) {
      nbits -= 8;
      const byte = Math.floor(acc / 2 ** nbits);
      out[p++] = byte;
      acc -= byte * 2 ** nbits;
    }
  }
  if (nbits > 0) out[p++] = (acc << (8 - nbits)) | (0xff >> nbits);
  return p;
}
