/**
 * Which frames each packet type may carry (RFC 9000 §12.4 table 3, RFC 9221
 * §4 for DATAGRAM). A frame in a packet type that forbids it is a
 * PROTOCOL_VIOLATION (§12.4).
 */
import { PacketType } from '../packet/packet-header.js';
import { FrameType } from './frame.js';

const I = 1 << PacketType.Initial;
const Z = 1 << PacketType.ZeroRtt;
const H = 1 << PacketType.Handshake;
const O = 1 << PacketType.OneRtt;

/** Allowed-packet-type bit masks indexed by frame type (0x00–0x1e); DATAGRAM handled below. */
const ALLOWED: readonly number[] = (() => {
  const t = new Array<number>(0x1f).fill(Z | O);
  t[FrameType.PADDING] = I | Z | H | O;
  t[FrameType.PING] = I | Z | H | O;
  t[FrameType.ACK] = I | H | O;
  t[FrameType.ACK_ECN] = I | H | O;
  t[FrameType.CRYPTO] = I | H | O;
  t[FrameType.NEW_TOKEN] = O;
  t[FrameType.PATH_RESPONSE] = O;
  t[FrameType.CONNECTION_CLOSE] = I | Z | H | O;
  t[FrameType.CONNECTION_CLOSE_APP] = Z | O;
  t[FrameType.HANDSHAKE_DONE] = O;
  return t;
})();

/** True when a frame of wire type `frameType` may appear in a packet of `packetType`. */
export function frameAllowedIn(frameType: number, packetType: PacketType): boolean {
  const mask = frameType < ALLOWED.length ? ALLOWED[frameType]! : frameType === FrameType.DATAGRAM || frameType === FrameType.DATAGRAM_LEN ? Z | O : 0;
  return (mask & (1 << packetType)) !== 0;
}
