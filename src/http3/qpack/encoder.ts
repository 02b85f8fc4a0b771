/**
 * QPACK encoder for what we send (RFC 9204 §4.5). It uses the static table
 * and literals only — never the dynamic table — so our field sections never
 * block the peer, we keep no per-connection compression state, and the
 * encoder stream we open stays empty. Huffman coding is used when shorter.
 *
 * Also exports encoder-stream instruction writers (§4.3), which clients
 * (our load generator, tests) use to drive a peer's dynamic table.
 */
import { QpackWriter } from './primitives.js';
import { STATIC_EXACT_INDEX, STATIC_NAME_INDEX } from './static-table.js';

export type EncodableField = readonly [name: string, value: string];

/** Fields whose values must never be put in a compression table by any hop (N bit, RFC 9204 §4.5.4). */
const NEVER_INDEXED = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** Encodes a field section without dynamic table references (Required Insert Count 0, Base 0). */
export function encodeFieldSection(fields: Iterable<EncodableField>, huffman = true): Buffer {
  const w = new QpackWriter(128);
  w.byte(0);
  w.byte(0);
  for (const [name, value] of fields) encodeFieldLine(w, name, value, huffman);
  return Buffer.from(w.finish());
}

/** Appends one field line using the static table where possible. */
export function encodeFieldLine(w: QpackWriter, name: string, value: string, huffman = true): void {
  const sensitive = NEVER_INDEXED.has(name);
  const exact = sensitive ? undefined : STATIC_EXACT_INDEX.get(`${name}\0${value}`);
  if (exact !== undefined) {
    w.int(0xc0, 6, exact); // indexed, static
    return;
  }
  const nameIndex = STATIC_NAME_INDEX.get(name);
  if (nameIndex !== undefined) {
    w.int(0x50 | (sensitive ? 0x20 : 0), 4, nameIndex); // 01NT: literal with static name reference
  } else {
    w.string(0x20 | (sensitive ? 0x10 : 0), 3, name, huffman); // 001NH: literal with literal name
  }
  w.string(0, 7, value, huffman);
}

/** Encoder-stream instruction: Set Dynamic Table Capacity. */
export function encodeSetCapacity(capacity: number): Buffer {
  const w = new QpackWriter(8);
  w.int(0x20, 5, capacity);
  return Buffer.from(w.finish());
}

/** Encoder-stream instruction: Insert With Name Reference (static or relative dynamic index). */
export function encodeInsertWithNameRef(isStatic: boolean, index: number, value: string, huffman = true): Buffer {
  const w = new QpackWriter(32 + value.length);
  w.int(isStatic ? 0xc0 : 0x80, 6, index);
  w.string(0, 7, value, huffman);
  return Buffer.from(w.finish());
}

/** Encoder-stream instruction: Insert With Literal Name. */
export function encodeInsertWithLiteralName(name: string, value: string, huffman = true): Buffer {
  const w = new QpackWriter(32 + name.length + value.length);
  w.string(0x40, 5, name, huffman);
  w.string(0, 7, value, huffman);
  return Buffer.from(w.finish());
}

/** Encoder-stream instruction: Duplicate (relative index). */
export function encodeDuplicate(relativeIndex: number): Buffer {
  const w = new QpackWriter(8);
  w.int(0x00, 5, relativeIndex);
  return Buffer.from(w.finish());
}
