/**
 * QUIC transport parameters (RFC 9000 §7.4, §18; max_datagram_frame_size
 * from RFC 9221): what each side declares in the TLS quic_transport_parameters
 * extension (0x39). Decoding enforces §18.2 — value ranges, lengths,
 * duplicates, parameters only a server may send — and throws QuicError
 * TRANSPORT_PARAMETER_ERROR for any breach. Unknown parameters (including
 * the reserved 31 * N + 27 greasing ones) are skipped. The connection checks
 * the connection-ID parameters against what it saw on the wire with
 * verifyConnectionIdParameters (§7.3).
 */
import { QuicError, QuicErrorCode } from './quic-error.js';
import { readVarint, varintLengthFromFirstByte, varintSize, writeVarint } from './varint.js';

export const TransportParameterId = {
  original_destination_connection_id: 0x00,
  max_idle_timeout: 0x01,
  stateless_reset_token: 0x02,
  max_udp_payload_size: 0x03,
  initial_max_data: 0x04,
  initial_max_stream_data_bidi_local: 0x05,
  initial_max_stream_data_bidi_remote: 0x06,
  initial_max_stream_data_uni: 0x07,
  initial_max_streams_bidi: 0x08,
  initial_max_streams_uni: 0x09,
  ack_delay_exponent: 0x0a,
  max_ack_delay: 0x0b,
  disable_active_migration: 0x0c,
  preferred_address: 0x0d,
  active_connection_id_limit: 0x0e,
  initial_source_connection_id: 0x0f,
  retry_source_connection_id: 0x10,
  max_datagram_frame_size: 0x20,
} as const;

export interface PreferredAddress {
  ipv4Address: Buffer; // 4 bytes, all zero: none
  ipv4Port: number;
  ipv6Address: Buffer; // 16 bytes, all zero: none
  ipv6Port: number;
  connectionId: Buffer;
  statelessResetToken: Buffer;
}

export interface TransportParameters {
  /** Server only: the DCID of the client's first Initial. */
  originalDestinationConnectionId?: Buffer;
  /** Milliseconds; 0 = no idle timeout from this side. */
  maxIdleTimeout: number;
  /** Server only: 16 bytes. */
  statelessResetToken?: Buffer;
  maxUdpPayloadSize: number;
  initialMaxData: number;
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  initialMaxStreamsBidi: number;
  initialMaxStreamsUni: number;
  ackDelayExponent: number;
  /** Milliseconds. */
  maxAckDelay: number;
  disableActiveMigration: boolean;
  /** Server only. */
  preferredAddress?: PreferredAddress;
  activeConnectionIdLimit: number;
  initialSourceConnectionId?: Buffer;
  /** Server only, after a Retry. */
  retrySourceConnectionId?: Buffer;
  /** RFC 9221: 0 means DATAGRAM frames are not accepted. */
  maxDatagramFrameSize: number;
}

/** The values a side has when it omits a parameter (§18.2). */
export function defaultTransportParameters(): TransportParameters {
  return {
    maxIdleTimeout: 0,
    maxUdpPayloadSize: 65527,
    initialMaxData: 0,
    initialMaxStreamDataBidiLocal: 0,
    initialMaxStreamDataBidiRemote: 0,
    initialMaxStreamDataUni: 0,
    initialMaxStreamsBidi: 0,
    initialMaxStreamsUni: 0,
    ackDelayExponent: 3,
    maxAckDelay: 25,
    disableActiveMigration: false,
    activeConnectionIdLimit: 2,
    maxDatagramFrameSize: 0,
  };
}

const MAX_STREAMS = 2 ** 60;
const MAX_CID_LENGTH = 20;

function paramError(reason: string): QuicError {
  return new QuicError(QuicErrorCode.TRANSPORT_PARAMETER_ERROR, reason);
}

/** Encodes `params`, leaving out what equals the §18.2 default. */
export function encodeTransportParameters(params: TransportParameters): Buffer {
  const d = defaultTransportParameters();
  const parts: [number, Buffer][] = [];
  const int = (id: number, v: number, dv: number) => {
    if (v !== dv) parts.push([id, varintBuffer(v)]);
  };
  const bytes = (id: number, v: Buffer | undefined) => {
    if (v) parts.push([id, v]);
  };
  const T = TransportParameterId;
  bytes(T.original_destination_connection_id, params.originalDestinationConnectionId);
  int(T.max_idle_timeout, params.maxIdleTimeout, d.maxIdleTimeout);
  bytes(T.stateless_reset_token, params.statelessResetToken);
  int(T.max_udp_payload_size, params.maxUdpPayloadSize, d.maxUdpPayloadSize);
  int(T.initial_max_data, params.initialMaxData, d.initialMaxData);
  int(T.initial_max_stream_data_bidi_local, params.initialMaxStreamDataBidiLocal, d.initialMaxStreamDataBidiLocal);
  int(T.initial_max_stream_data_bidi_remote, params.initialMaxStreamDataBidiRemote, d.initialMaxStreamDataBidiRemote);
  int(T.initial_max_stream_data_uni, params.initialMaxStreamDataUni, d.initialMaxStreamDataUni);
  int(T.initial_max_streams_bidi, params.initialMaxStreamsBidi, d.initialMaxStreamsBidi);
  int(T.initial_max_streams_uni, params.initialMaxStreamsUni, d.initialMaxStreamsUni);
  int(T.ack_delay_exponent, params.ackDelayExponent, d.ackDelayExponent);
  int(T.max_ack_delay, params.maxAckDelay, d.maxAckDelay);
  if (params.disableActiveMigration) parts.push([T.disable_active_migration, Buffer.alloc(0)]);
  if (params.preferredAddress) parts.push([T.preferred_address, encodePreferredAddress(params.preferredAddress)]);
  int(T.active_connection_id_limit, params.activeConnectionIdLimit, d.activeConnectionIdLimit);
  bytes(T.initial_source_connection_id, params.initialSourceConnectionId);
  bytes(T.retry_source_connection_id, params.retrySourceConnectionId);
  int(T.max_datagram_frame_size, params.maxDatagramFrameSize, d.maxDatagramFrameSize);
  let size = 0;
  for (const [id, v] of parts) size += varintSize(id) + varintSize(v.length) + v.length;
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const [id, v] of parts) {
    p = writeVarint(out, p, id);
    p = writeVarint(out, p, v.length);
    p += v.copy(out, p);
  }
  return out;
}

function varintBuffer(v: number): Buffer {
  const b = Buffer.allocUnsafe(varintSize(v));
  writeVarint(b, 0, v);
  return b;
}

function encodePreferredAddress(a: PreferredAddress): Buffer {
  const out = Buffer.alloc(4 + 2 + 16 + 2 + 1 + a.connectionId.length + 16);
  a.ipv4Address.copy(out, 0, 0, 4);
  out.writeUInt16BE(a.ipv4Port, 4);
  a.ipv6Address.copy(out, 6, 0, 16);
  out.writeUInt16BE(a.ipv6Port, 22);
  out[24] = a.connectionId.length;
  a.connectionId.copy(out, 25);
  a.statelessResetToken.copy(out, 25 + a.connectionId.length, 0, 16);
  return out;
}

/**
 * Decodes the peer's parameters. `sender` is who sent them: a client sending
 * a server-only parameter is a TRANSPORT_PARAMETER_ERROR (§18.2). Connection
 * IDs and tokens are copies (the TLS message buffer is not ours to keep).
 */
export function decodeTransportParameters(encoded: Buffer, sender: 'client' | 'server'): TransportParameters {
  const params = defaultTransportParameters();
  const seen = new Set<number>();
  const T = TransportParameterId;
  let p = 0;
  while (p < encoded.length) {
    const id = readVarint(encoded, p);
    if (id < 0) throw paramError('parameter ID truncated');
    p += varintLengthFromFirstByte(encoded[p]!);
    const length = readVarint(encoded, p);
    if (length < 0) throw paramError('parameter length truncated');
    p += varintLengthFromFirstByte(encoded[p]!);
    if (p + length > encoded.length) throw paramError(`parameter 0x${id.toString(16)} runs past the extension`);
    const value = encoded.subarray(p, p + length);
    p += length;
    if (seen.has(id)) throw paramError(`parameter 0x${id.toString(16)} sent twice`);
    seen.add(id);
    if (
      sender === 'client' &&
      (id === T.original_destination_connection_id || id === T.stateless_reset_token || id === T.preferred_address || id === T.retry_source_connection_id)
    ) {
      throw paramError(`a client sent server-only parameter 0x${id.toString(16)}`);
    }
    switch (id) {
      case T.original_destination_connection_id:
        params.originalDestinationConnectionId = cid(value, id);
        break;
      case T.max_idle_timeout:
        params.maxIdleTimeout = integer(value, id);
        break;
      case T.stateless_reset_token:
        if (value.length !== 16) throw paramError(`stateless_reset_token of ${value.length} bytes`);
        params.statelessResetToken = Buffer.from(value);
        break;
      case T.max_udp_payload_size:
        params.maxUdpPayloadSize = integer(value, id);
        if (params.maxUdpPayloadSize < 1200) throw paramError(`max_udp_payload_size ${params.maxUdpPayloadSize} below 1200`);
        break;
      case T.initial_max_data:
        params.initialMaxData = integer(value, id);
        break;
      case T.initial_max_stream_data_bidi_local:
        params.initialMaxStreamDataBidiLocal = integer(value, id);
        break;
      case T.initial_max_stream_data_bidi_remote:
        params.initialMaxStreamDataBidiRemote = integer(value, id);
        break;
      case T.initial_max_stream_data_uni:
        params.initialMaxStreamDataUni = integer(value, id);
        break;
      case T.initial_max_streams_bidi:
        params.initialMaxStreamsBidi = integer(value, id);
        if (params.initialMaxStreamsBidi > MAX_STREAMS) throw paramError('initial_max_streams_bidi above 2^60');
        break;
      case T.initial_max_streams_uni:
        params.initialMaxStreamsUni = integer(value, id);
        if (params.initialMaxStreamsUni > MAX_STREAMS) throw paramError('initial_max_streams_uni above 2^60');
        break;
      case T.ack_delay_exponent:
        params.ackDelayExponent = integer(value, id);
        if (params.ackDelayExponent > 20) throw paramError(`ack_delay_exponent ${params.ackDelayExponent} above 20`);
        break;
      case T.max_ack_delay:
        params.maxAckDelay = integer(value, id);
        if (params.maxAckDelay >= 2 ** 14) throw paramError(`max_ack_delay ${params.maxAckDelay} not below 2^14`);
        break;
      case T.disable_active_migration:
        if (value.length !== 0) throw paramError('disable_active_migration with a value');
        params.disableActiveMigration = true;
        break;
      case T.preferred_address:
        params.preferredAddress = preferredAddress(value);
        break;
      case T.active_connection_id_limit:
        params.activeConnectionIdLimit = integer(value, id);
        if (params.activeConnectionIdLimit < 2) throw paramError(`active_connection_id_limit ${params.activeConnectionIdLimit} below 2`);
        break;
      case T.initial_source_connection_id:
        params.initialSourceConnectionId = cid(value, id);
        break;
      case T.retry_source_connection_id:
        params.retrySourceConnectionId = cid(value, id);
        break;
      case T.max_datagram_frame_size:
        params.maxDatagramFrameSize = integer(value, id);
        break;
      default:
      // Unknown and reserved parameters are ignored (§7.4.2).
    }
  }
  return params;
}

function integer(value: Buffer, id: number): number {
  if (value.length === 0 || varintLengthFromFirstByte(value[0]!) !== value.length) {
    throw paramError(`parameter 0x${id.toString(16)} is not one varint`);
  }
  return readVarint(value, 0);
}

function cid(value: Buffer, id: number): Buffer {
  if (value.length > MAX_CID_LENGTH) throw paramError(`parameter 0x${id.toString(16)}: connection ID of ${value.length} bytes`);
  return Buffer.from(value);
}

function preferredAddress(value: Buffer): PreferredAddress {
  if (value.length < 25) throw paramError('preferred_address truncated');
  const cidLength = value[24]!;
  if (cidLength < 1 || cidLength > MAX_CID_LENGTH) throw paramError(`preferred_address connection ID of ${cidLength} bytes`);
  if (value.length !== 25 + cidLength + 16) throw paramError('preferred_address has the wrong length');
  return {
    ipv4Address: Buffer.from(value.subarray(0, 4)),
    ipv4Port: value.readUInt16BE(4),
    ipv6Address: Buffer.from(value.subarray(6, 22)),
    ipv6Port: value.readUInt16BE(22),
    connectionId: Buffer.from(value.subarray(25, 25 + cidLength)),
    statelessResetToken: Buffer.from(value.subarray(25 + cidLength)),
  };
}

/** What the connection saw on the wire, to authenticate against the peer's parameters (§7.3). */
export interface ObservedConnectionIds {
  /** The SCID of the peer's first packet. */
  peerInitialSourceCid: Buffer;
  /** Client only: the DCID of our first Initial. */
  originalDestinationCid?: Buffer;
  /** Client only: the SCID of the Retry we accepted, if any. */
  retrySourceCid?: Buffer;
}

/**
 * §7.3: the peer's initial_source_connection_id must match its first SCID; a
 * server's original_destination_connection_id must match our first DCID, and
 * retry_source_connection_id must be present exactly when there was a Retry.
 * Throws TRANSPORT_PARAMETER_ERROR otherwise (PROTOCOL_VIOLATION is allowed
 * too; one code keeps it simple).
 */
export function verifyConnectionIdParameters(params: TransportParameters, sender: 'client' | 'server', seen: ObservedConnectionIds): void {
  if (!params.initialSourceConnectionId) throw paramError('initial_source_connection_id missing');
  if (!params.initialSourceConnectionId.equals(seen.peerInitialSourceCid)) throw paramError('initial_source_connection_id does not match');
  if (sender === 'client') return;
  if (!params.originalDestinationConnectionId) throw paramError('original_destination_connection_id missing');
  if (seen.originalDestinationCid && !params.originalDestinationConnectionId.equals(seen.originalDestinationCid)) {
    throw paramError('original_destination_connection_id does not match');
  }
  if (seen.retrySourceCid) {
    if (!params.retrySourceConnectionId?.equals(seen.retrySourceCid)) throw paramError('retry_source_connection_id missing or wrong');
  } else if (params.retrySourceConnectionId) {
    throw paramError('retry_source_connection_id without a Retry');
  }
}
