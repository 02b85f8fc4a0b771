/**
 * Read a PROXY protocol header (HAProxy's spec, versions 1 and 2) from the
 * first bytes of a connection, sans-I/O: bytes in, a verdict out. A load
 * balancer in front (AWS NLB, HAProxy) sends it before anything else, so the
 * proxy learns the client's address instead of the balancer's.
 *
 * Why our own and not a package: the work is in telling "not yet enough
 * bytes" from "not a header" from "a broken header" on a partial read, with a
 * hard size bound, which the npm parsers (whole-buffer decoders) leave to the
 * caller; the formats themselves are a few dozen lines each.
 */
import { isIpAddress, normalizeClientAddress } from './ip-range.js';

/** v2's 12-byte signature; v1 starts with "PROXY ". */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** The spec's bound for a v1 line, CRLF included. */
export const V1_MAX_BYTES = 107;
/** 16 bytes of fixed header plus a 16-bit length: the largest v2 header there can be. */
export const V2_MAX_BYTES = 16 + 0xffff;

export interface ProxyAddress {
  address: string;
  port: number;
}

/** A TLV of a v2 header (type and raw value), e.g. 0x01 ALPN, 0x02 authority, 0xEA AWS VPC endpoint. */
export interface ProxyTlv {
  type: number;
  value: Buffer;
}

export type ProxyHeaderVerdict =
  /** The bytes so far could still be the start of a header. */
  | { kind: 'incomplete' }
  /** The connection does not start with a PROXY header. */
  | { kind: 'absent' }
  /** It starts like one but breaks the format: the connection must be closed. */
  | { kind: 'invalid'; reason: string }
  /**
   * A whole header of `length` bytes. `source`/`destination` are absent for v1 UNKNOWN, v2 LOCAL
   * (health checks from the balancer itself) and address families without ports (UNIX, UNSPEC):
   * the connection's own addresses stand then, as the spec says.
   */
  | { kind: 'header'; version: 1 | 2; length: number; source?: ProxyAddress; destination?: ProxyAddress; tlvs: ProxyTlv[] };

export function readProxyHeader(data: Uint8Array): ProxyHeaderVerdict {
  if (data.length === 0) return { kind: 'incomplete' };
  if (data[0] === V1_PREFIX[0]) {
    const prefix = startsLike(data, V1_PREFIX);
    return prefix === 'yes' ? readV1(data) : prefix === 'partial' ? { kind: 'incomplete' } : { kind: 'absent' };
  }
  if (data[0] === V2_SIGNATURE[0]) {
    const prefix = startsLike(data, V2_SIGNATURE);
    return prefix === 'yes' ? readV2(data) : prefix === 'partial' ? { kind: 'incomplete' } : { kind: 'absent' };
  }
  return { kind: 'absent' };
}

/** Does `data` start with `prefix` ('yes'), with a part of it that may go on ('partial'), or not ('no')? */
function startsLike(data: Uint8Array, prefix: Buffer): 'yes' | 'partial' | 'no' {
  const n = Math.min(data.length, prefix.length);
  for (let i = 0; i < n; i++) if (data[i] !== prefix[i]) return 'no';
  return n === prefix.length ? 'yes' : 'partial';
}

function readV1(data: Uint8Array): ProxyHeaderVerdict {
  let end = -1;
  const limit = Math.min(data.length, V1_MAX_BYTES);
  for (let i = V1_PREFIX.length; i < limit - 1; i++)
    if (data[i] === 0x0d && data[i + 1] === 0x0a) {
      end = i;
      break;
    }
  if (end < 0) return data.length >= V1_MAX_BYTES ? { kind: 'invalid', reason: 'v1 header longer than 107 bytes' } : { kind: 'incomplete' };
  const line = Buffer.from(data.buffer, data.byteOffset, end).toString('latin1');
  const length = end + 2;
  const fields = line.slice(V1_PREFIX.length).split(' ');
  if (fields[0] === 'UNKNOWN') return { kind: 'header', version: 1, length, tlvs: [] };
  if (fields.length !== 5 || (fields[0] !== 'TCP4' && fields[0] !== 'TCP6'))
    return { kind: 'invalid', reason: `v1 header "${printable(line)}" is not "PROXY TCP4|TCP6 src dst sport dport"` };
  const v6 = fields[0] === 'TCP6';
  const source = v1Address(fields[1]!, fields[3]!, v6);
  const destination = v1Address(fields[2]!, fields[4]!, v6);
  if (!source || !destination) return { kind: 'invalid', reason: `v1 header "${printable(line)}" has a malformed address or port` };
  return { kind: 'header', version: 1, length, source, destination, tlvs: [] };
}

function v1Address(address: string, port: string, v6: boolean): ProxyAddress | undefined {
  // Ports are 1-5 digits without a sign or leading zero (the spec's grammar); 0 is allowed.
  if (!/^(0|[1-9]\d{0,4})$/.test(port) || Number(port) > 65535) return undefined;
  if (v6 !== address.includes(':') || address.includes('%') || !isIpAddress(address)) return undefined;
  return { address: normalizeClientAddress(address), port: Number(port) };
}

function readV2(data: Uint8Array): ProxyHeaderVerdict {
  if (data.length < 16) return { kind: 'incomplete' };
  const versionCommand = data[12]!;
  if (versionCommand >> 4 !== 2) return { kind: 'invalid', reason: `v2 header with version ${versionCommand >> 4}` };
  const command = versionCommand & 0x0f;
  if (command > 1) return { kind: 'invalid', reason: `v2 header with unknown command ${command}` };
  const familyProtocol = data[13]!;
  const bodyLength = (data[14]! << 8) | data[15]!;
  const length = 16 + bodyLength;
  if (data.length < length) return { kind: 'incomplete' };
  const body = Buffer.from(data.buffer, data.byteOffset + 16, bodyLength);
  const family = familyProtocol >> 4;
  if (family > 3 || (familyProtocol & 0x0f) > 2)
    return { kind: 'invalid', reason: `v2 header with unknown address family/protocol 0x${familyProtocol.toString(16)}` };
  // Address block sizes of AF_UNSPEC, AF_INET, AF_INET6, AF_UNIX.
  const addressBytes = [0, 12, 36, 216][family]!;
  if (bodyLength < addressBytes) return { kind: 'invalid', reason: `v2 header too short (${bodyLength} bytes) for its address family` };
  const tlvs = readTlvs(body.subarray(addressBytes));
  if (!tlvs) return { kind: 'invalid', reason: 'v2 header with a TLV that overruns it' };
  // LOCAL: the balancer speaks for itself (health checks); addresses, if any, are to be ignored.
  if (command === 0 || family === 0 || family === 3) return { kind: 'header', version: 2, length, tlvs };
  let source: ProxyAddress;
  let destination: ProxyAddress;
  if (family === 1) {
    source = { address: `${body[0]}.${body[1]}.${body[2]}.${body[3]}`, port: body.readUInt16BE(8) };
    destination = { address: `${body[4]}.${body[5]}.${body[6]}.${body[7]}`, port: body.readUInt16BE(10) };
  } else {
    source = { address: v6Text(body, 0), port: body.readUInt16BE(32) };
    destination = { address: v6Text(body, 16), port: body.readUInt16BE(34) };
  }
  return { kind: 'header', version: 2, length, source, destination, tlvs };
}

function v6Text(b: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(at + 2 * i).toString(16));
  return normalizeClientAddress(groups.join(':'));
}

function readTlvs(b: Buffer): ProxyTlv[] | undefined {
  const out: ProxyTlv[] = [];
  let at = 0;
  while (at < b.length) {
    if (at + 3 > b.length) return undefined;
    const length = b.readUInt16BE(at + 1);
    if (at + 3 + length > b.length) return undefined;
    out.push({ type: b[at]!, value: b.subarray(at + 3, at + 3 + length) });
    at += 3 + length;
  }
  return out;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 107);
}

/** The PROXY header Portico sends to a TCP backend (`proxyProtocol.version` of a TCP service). */
export function encodeProxyHeader(version: 1 | 2, source: ProxyAddress, destination: ProxyAddress): Buffer {
  const v6 = source.address.includes(':') || destination.address.includes(':');
  if (version === 1)
    return Buffer.from(`PROXY ${v6 ? 'TCP6' : 'TCP4'} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`, 'latin1');
  const body = Buffer.alloc(v6 ? 36 : 12);
  const addr = v6 ? 16 : 4;
  writeAddress(body, 0, source.address, v6);
  writeAddress(body, addr, destination.address, v6);
  body.writeUInt16BE(source.port, 2 * addr);
  body.writeUInt16BE(destination.port, 2 * addr + 2);
  return Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, v6 ? 0x21 : 0x11, 0, body.length]), body]);
}

function writeAddress(b: Buffer, at: number, address: string, v6: boolean): void {
  if (!v6) {
    address.split('.').forEach((o, i) => (b[at + i] = Number(o)));
    return;
  }
  // An IPv4 client on an IPv6 header: its mapped form.
  const text = address.includes(':') ? address : `::ffff:${address}`;
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string) => (s ? s.split(':') : []).flatMap((g) => (g.includes('.') ? ipv4Groups(g) : [parseInt(g, 16)]));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...Array(8 - front.length - back.length).fill(0), ...back];
  all.forEach((g, i) => b.writeUInt16BE(g & 0xffff, at + 2 * i));
}

function ipv4Groups(v4: string): number[] {
  const o = v4.split('.').map(Number);
  return [(o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!];
}
