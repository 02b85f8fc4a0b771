/**
 * One QUIC connection, sans-I/O (RFC 9000/9001/9002), in the manner of
 * aioquic's QuicConnection: the driver feeds it datagrams and timer
 * expiries with the time `now` (ms) and sends what sendDatagrams returns; it
 * never touches a socket or a clock.
 *
 *   receiveDatagram(data, now) → sendDatagrams(now) → nextTimeout() →
 *   handleTimeout(now) → sendDatagrams(now) … and pollEvent() (and
 *   streams.pollEvent()) for what happened. The driver calls sendDatagrams
 *   after every receive and every timeout, and after the application wrote.
 *
 * Pieces: packet headers and protection (../packet), frames (../frames),
 * transport parameters, the TLS 1.3 engine behind QuicTlsEndpoint
 * (../tls13/quic-tls.ts), loss recovery and congestion control (../recovery).
 * Streams and flow control are ConnectionStreams (../streams): the
 * connection feeds it stream frames and the fate of what it sent, and fills
 * 1-RTT packets with its control frames and STREAM data; the application
 * uses `connection.streams` (open, write, read, pollEvent).
 *
 * Handshake rules implemented: Initial keys from the client's first DCID,
 * three packet-number spaces with ACKs per space, padding of Initial-carrying
 * datagrams to 1200 bytes (§14.1), the server's anti-amplification limit
 * (§8.1), Initial keys discarded when Handshake packets flow and Handshake
 * keys when the handshake is confirmed (RFC 9001 §4.9), HANDSHAKE_DONE,
 * transport-parameter authentication (§7.3), idle timeout (§10.1), closing
 * and draining (§10.2), CRYPTO retransmission on loss and PTO probes.
 *
 * Paths (§8.2, §9): the driver passes each datagram's source address and
 * sends each datagram where `sendDatagrams(now, destinations)` says. The
 * server follows the client's highest-numbered non-probing packet to a new
 * address (migration, or NAT rebinding when only the port changed), sends
 * there within 3× what it received from it until a PATH_CHALLENGE is
 * answered, and only then reports `peerAddress` / 'peerAddressChanged';
 * after 3 PTOs without an answer it goes back to the validated address.
 * Probes from other addresses get their PATH_RESPONSE on that address.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { deriveInitialKeys, QUIC_V1 } from '../initial/initial-keys.js';
import { FrameReader } from '../frames/frame-reader.js';
import { cryptoFrameHeaderLength, frameLength, writeCryptoFrameHeader, writeFrame, writeStreamFrameHeader } from '../frames/frame-writer.js';
import type { Frame } from '../frames/frame.js';
import {
  AEAD_TAG_LENGTH,
  PacketHeader,
  PacketType,
  parsePacketHeader,
  reservedBitsSet,
  setLongHeaderLength,
  writeLongHeader,
  writeShortHeader,
} from '../packet/packet-header.js';
import { packetNumberLength } from '../packet/packet-number.js';
import { DirectionalKeys, OpenedPacket } from '../packet/packet-protection.js';
import { OneRttKeys } from '../packet/one-rtt-keys.js';
import { verifyRetryIntegrity } from '../packet/retry-packet.js';
import { readNegotiatedVersions } from '../packet/version-negotiation.js';
import { QuicError, QuicErrorCode } from '../quic-error.js';
import { LossRecovery, PacketNumberSpace, type RecoveryCounters, type RecoveryEvents } from '../recovery/loss-recovery.js';
import {
  QuicTlsAlert,
  type CryptoLevel,
  type KeyLevel,
  type QuicTlsEndpoint,
  type QuicTlsHandshakeInfo,
  type QuicTlsHost,
  type TlsCipherSuiteName,
} from '../tls13/quic-tls.js';
import {
  decodeTransportParameters,
  defaultTransportParameters,
  encodeTransportParameters,
  verifyConnectionIdParameters,
  type TransportParameters,
} from '../transport-parameters.js';
import { ConnectionStreams, type StreamCounters } from '../streams/connection-streams.js';
import type { StreamControlFrame } from '../streams/stream-frames.js';
import { MAX_CRYPTO_BUFFER, PacketSpace } from './packet-space.js';
import { PeerConnectionIds } from './peer-connection-ids.js';
import { copyAddress, sameAddress, type PeerAddress } from './peer-address.js';
import { LocalConnectionIds } from './local-connection-ids.js';
import { BASE_PLPMTU, MAX_PLPMTU, PathMtuDiscovery } from './path-mtu-discovery.js';
import type { ConnectionIdGenerator } from '../connection-id.js';

export type { PeerAddress } from './peer-address.js';

export type ConnectionRole = 'client' | 'server';

/** What the connection hands the TLS engine factory (spread it into the engine's options). */
export interface TlsBinding {
  host: QuicTlsHost;
  localTransportParameters: Buffer;
  peerTransportParameters(encoded: Buffer): void;
}

export interface QuicConnectionOptions {
  role: ConnectionRole;
  version?: number;
  /** The connection ID we chose (the peer's DCID for us). */
  localCid: Buffer;
  /** Client: the random DCID of its first Initial. Server: the client's SCID from its first Initial. */
  remoteCid: Buffer;
  /** Server: the DCID of the client's first Initial (Initial keys, original_destination_connection_id). */
  originalDcid?: Buffer;
  /** Server, after a stateless Retry: the SCID that Retry carried (the client's DCID since; RFC 9000 §7.3). */
  retrySourceCid?: Buffer;
  /** Our transport parameters beyond the defaults (connection IDs are filled in here). */
  transportParameters?: Partial<TransportParameters>;
  /** Creates the TLS engine; called once, after the connection can take its callbacks. */
  createTls(binding: TlsBinding): QuicTlsEndpoint;
  /** Largest UDP payload we send (default 1200); with pathMtuDiscovery, the ceiling of the search. */
  maxDatagramSize?: number;
  /**
   * DPLPMTUD (RFC 8899, RFC 9000 §14.3): start at 1200 bytes and raise the
   * datagram size by acknowledged probes, up to maxDatagramSize (at most 1452).
   */
  pathMtuDiscovery?: boolean;
  congestionControl?: 'cubic' | 'newreno';
  /** Server: the stateless reset token of localCid (RFC 9000 §10.3). */
  statelessResetToken?: Buffer;
  /** Time of creation (ms): the idle timer starts here. */
  now: number;
  /** The peer's UDP address (server: the source of the client's first Initial); else the first datagram's source. */
  peerAddress?: PeerAddress;
  /** Issues more connection IDs (NEW_CONNECTION_ID, up to the peer's active_connection_id_limit); none without it. Same length as localCid. */
  connectionIdGenerator?: ConnectionIdGenerator;
  /** The stateless reset token of a connection ID we issue (StatelessResets.token). */
  resetToken?: (cid: Buffer) => Buffer;
  /**
   * Server: a token for the client's future connections (RetryTokens), sent
   * once in NEW_TOKEN when the handshake is confirmed (§8.1.3), for the
   * peer's validated address; none without it.
   */
  newToken?: (address: PeerAddress | undefined) => Buffer;
  /**
   * Server: the client's address was validated before this connection
   * existed (a Retry or NEW_TOKEN token in its Initial, §8.1.2/§8.1.3), so
   * the anti-amplification limit does not apply.
   */
  addressValidated?: boolean;
  /** NSS key log lines (without newline) from the TLS engine: CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>, … */
  keylog?: (line: string) => void;
}

export interface CloseInfo {
  /** Transport (0x1c) or application (0x1d) error code. */
  code: number;
  application: boolean;
  reason: string;
  /** The peer closed (true) or we did (false); 'idle' for the idle timeout. */
  initiator: 'local' | 'peer' | 'idle';
}

export type ConnectionEvent =
  | { type: 'handshakeComplete'; info: QuicTlsHandshakeInfo }
  /** Server: TLS accepted the client's 0-RTT; 0-RTT packets are read from now on (what they carry may be a replay until handshakeComplete). */
  | { type: 'earlyDataAccepted' }
  | { type: 'handshakeConfirmed' }
  | { type: 'closed'; close: CloseInfo }
  /** The peer moved to a new address and path validation succeeded there (RFC 9000 §9). */
  | { type: 'peerAddressChanged'; address: PeerAddress }
  /** We issued a connection ID (route packets to it here) or the peer retired one (forget it). */
  | { type: 'connectionIdIssued'; cid: Buffer; resetToken: Buffer | undefined }
  | { type: 'connectionIdRetired'; cid: Buffer };

/** A connection's counters in one object (for the driver's stats, qlog and metrics); the parts are live views. */
export interface QuicConnectionStats {
  packetsReceived: number;
  bytesReceived: number;
  bytesSent: number;
  smoothedRtt: number;
  congestionWindow: number;
  keyUpdates: number;
  activeLocalConnectionIds: number;
  /** Largest datagram we send now (the validated path MTU with pathMtuDiscovery). */
  datagramSize: number;
  recovery: Readonly<RecoveryCounters>;
  streams: Readonly<StreamCounters>;
  paths: Readonly<QuicConnection['pathCounters']>;
}

/** What a sent packet carried, for recovery to hand back as acknowledged or lost. */
interface SentRecord {
  space: PacketNumberSpace;
  packetNumber: number;
  /** CRYPTO ranges, flattened [offset, length, …]. */
  crypto: number[] | undefined;
  /** Largest packet number our ACK in it acknowledged (-1: no ACK). */
  ackLargest: number;
  handshakeDone: boolean;
  /** Stream control frames (MAX_DATA, RESET_STREAM, …) it carried. */
  controls: StreamControlFrame[] | undefined;
  /** STREAM frames it carried, flattened [streamId, offset, length, fin (0/1), …]. */
  streamFrames: number[] | undefined;
  /** Sequence numbers it retired (RETIRE_CONNECTION_ID). */
  retired: number[] | undefined;
  /** It carried our PATH_CHALLENGE (sent again if lost while that validation runs). */
  challenge: boolean;
  /** Sequences of the NEW_CONNECTION_ID frames it carried. */
  newCids: number[] | undefined;
  /** It carried our NEW_TOKEN (sent again if lost). */
  newToken: boolean;
  /** A PMTU probe of this many bytes (0: not a probe). */
  mtuProbe: number;
}

type ConnectionState = 'handshake' | 'established' | 'closing' | 'draining' | 'closed';

const LEVEL_SPACE: Readonly<Record<CryptoLevel, PacketNumberSpace>> = {
  initial: PacketNumberSpace.Initial,
  handshake: PacketNumberSpace.Handshake,
  application: PacketNumberSpace.ApplicationData,
};
const SPACE_LEVEL: readonly CryptoLevel[] = ['initial', 'handshake', 'application'];
const SPACE_PACKET_TYPE: readonly PacketType[] = [PacketType.Initial, PacketType.Handshake, PacketType.OneRtt];
const MIN_INITIAL_DATAGRAM = 1200;
const CRYPTO_HEADER_ROOM = cryptoFrameHeaderLength(MAX_CRYPTO_BUFFER, 16383);
/** Datagrams one sendDatagrams call produces at most (the driver calls again next turn). */
const MAX_DATAGRAMS_PER_CALL = 32;
/** Our max_ack_delay (ms), also what we advertise. */
const LOCAL_MAX_ACK_DELAY = 25;
/** Stream credit we offer unless the caller says otherwise (HTTP/3 needs at least 3 unidirectional streams). */
const DEFAULT_STREAM_PARAMETERS = {
  initialMaxData: 4 * 1024 * 1024,
  initialMaxStreamDataBidiLocal: 1024 * 1024,
  initialMaxStreamDataBidiRemote: 1024 * 1024,
  initialMaxStreamDataUni: 1024 * 1024,
  initialMaxStreamsBidi: 100,
  initialMaxStreamsUni: 16,
};
/** Largest STREAM frame header: type, 8-byte ID, 8-byte offset, 2-byte length. */
const STREAM_HEADER_ROOM = 1 + 8 + 8 + 2;
/** Handshake deadline when neither side sets an idle timeout (ms). */
const DEFAULT_IDLE_TIMEOUT = 30_000;
/** PTO of a path with no RTT sample yet (kInitialRtt 333 ms × 3, RFC 9002 §6.2.2), for the path validation deadline (§8.2.4). */
const NEW_PATH_PTO = 1000;
/** A 1-RTT packet number is skipped every 64 to 512 packets, at random (RFC 9000 §21.4: catches optimistic ACKs). */
const SKIP_MIN_GAP = 64;
const SKIP_GAP_RANGE = 448;

export class QuicConnection {
  readonly role: ConnectionRole;
  readonly version: number;
  readonly localCid: Buffer;
  /** The peer's connection IDs; `remoteCid` is the one we send to. */
  private readonly peerCids: PeerConnectionIds;
  /** The connection IDs we issued (the peer may send to any of them). */
  readonly localCids: LocalConnectionIds;
  readonly recovery: LossRecovery<SentRecord>;
  /** Decoded peer transport parameters, once TLS delivered them. */
  peerParameters: TransportParameters | undefined;
  readonly localParameters: TransportParameters;
  /** The streams of this connection: open, write, read and pollEvent here. */
  readonly streams: ConnectionStreams;

  private state: ConnectionState = 'handshake';
  private readonly spaces: PacketSpace[];
  private oneRtt: OneRttKeys | undefined;
  private readonly appSecrets: { read?: Buffer; write?: Buffer; suite?: TlsCipherSuiteName } = {};
  private readonly tls: QuicTlsEndpoint;
  private readonly events: ConnectionEvent[] = [];
  private readonly header = new PacketHeader();
  private readonly opened = new OpenedPacket();
  private readonly reader = new FrameReader();
  /** What we send at most now: the validated path MTU with pathMtuDiscovery, else the configured size. */
  private maxDatagramSize: number;
  /** DPLPMTUD of the current path (pathMtuDiscovery). */
  readonly pathMtu: PathMtuDiscovery | undefined;
  private readonly originalDcid: Buffer;
  /** The DCID the client's current Initial packets carry: Initial keys come from it (RFC 9001 §5.2). */
  private initialDcid: Buffer;
  /** Client: the token of the Retry it accepted, sent in every later Initial. */
  private retryToken: Buffer = Buffer.alloc(0);
  /** Client: the SCID of the Retry it accepted (checked against retry_source_connection_id). */
  private retrySourceCid: Buffer | undefined;
  private peerInitialScid: Buffer | undefined;
  private handshakeConfirmed = false;
  private handshakeDonePending = false;
  private addressValidated: boolean;
  private bytesReceived = 0;
  private bytesSent = 0;
  private idleTimeout: number;
  private lastActivity: number;
  private closeDeadline = Infinity;
  private closeFrame: Frame | undefined;
  private closeInfo: CloseInfo | undefined;
  private sendCloseNow = false;
  private pathResponse: Buffer | undefined;
  /** Some packet of the datagram being processed decrypted (else it may be a stateless reset). */
  private datagramOpened = false;
  /** Packets that decrypted (for the driver's stats). */
  packetsReceived = 0;
  /** What TLS negotiated (ALPN, suite, the peer's certificates), once the handshake completed. */
  handshakeInfo: QuicTlsHandshakeInfo | undefined;
  /** Server: 0-RTT keys (TLS accepted early data), until the client's first 1-RTT packet (RFC 9001 §4.9.3). */
  private earlyRead: DirectionalKeys | undefined;
  /** Server: TLS accepted this connection's 0-RTT. */
  earlyDataAccepted = false;
  /** 0-RTT packets that decrypted (stats). */
  zeroRttPacketsReceived = 0;

  // Paths (RFC 9000 §8.2, §9). `path` is where datagrams go; `validatedPath` the last address proven to be the peer's.
  private path: PeerAddress | undefined;
  private validatedPath: PeerAddress | undefined;
  private pathValidated = true;
  /** Bytes received from and sent to the current path: its anti-amplification limit until it is validated (§9.3). */
  private pathBytesReceived = 0;
  private pathBytesSent = 0;
  /** A path validation runs (on `path`). */
  private validating = false;
  /** Data of the PATH_CHALLENGEs it sent, newest last (each one fresh, §8.2.1; bounded). */
  private readonly challenges: Buffer[] = [];
  private challengePending = false;
  /** A PATH_RESPONSE is not retransmitted (§13.3): a challenge unanswered for a PTO goes again, with new data. */
  private challengeResendAt = Infinity;
  private challengeDeadline = Infinity;
  /** Where the pending PATH_RESPONSE goes when not to the current path (a probe from another address, §8.2.2). */
  private pathResponseTo: PeerAddress | undefined;
  /** Size of the datagram that carried that probe: the response may be at most three times that (§8.1). */
  private pathResponseBudget = 0;
  /** Source and size of the datagram being processed. */
  private datagramFrom: PeerAddress | undefined;
  private datagramLength = 0;
  /** Path validations that succeeded and failed, and migrations seen (for stats). */
  /** The next 1-RTT packet number at or above which one is skipped. */
  private nextSkip = SKIP_MIN_GAP + randomInt(SKIP_GAP_RANGE);
  private readonly newTokenSource: ((address: PeerAddress | undefined) => Buffer) | undefined;
  /** Server: the NEW_TOKEN to send (until acknowledged). Client: the last one received (for its next connection). */
  private newTokenPending: Buffer | undefined;
  private receivedToken: Buffer | undefined;
  private tokenInFlight: Buffer | undefined;
  readonly pathCounters = { migrations: 0, validated: 0, validationFailures: 0, natRebindings: 0 };

  constructor(options: QuicConnectionOptions) {
    this.role = options.role;
    this.version = options.version ?? QUIC_V1;
    this.localCid = options.localCid;
    this.originalDcid = options.role === 'client' ? options.remoteCid : (options.originalDcid ?? options.localCid);
    this.maxDatagramSize = options.maxDatagramSize ?? 1200;
    if (options.pathMtuDiscovery) {
      this.pathMtu = new PathMtuDiscovery(Math.min(MAX_PLPMTU, Math.max(BASE_PLPMTU, this.maxDatagramSize)));
      this.maxDatagramSize = BASE_PLPMTU;
    }
    this.addressValidated = options.role === 'client' || options.addressValidated === true;
    this.lastActivity = options.now;
    this.newTokenSource = options.role === 'server' ? options.newToken : undefined;
    if (options.peerAddress) this.path = this.validatedPath = copyAddress(options.peerAddress);
    this.recovery = new LossRecovery<SentRecord>({
      isServer: options.role === 'server',
      maxDatagramSize: this.maxDatagramSize,
      congestionControl: options.congestionControl,
    });
    this.spaces = [new PacketSpace(true), new PacketSpace(true), new PacketSpace(false)];
    this.initialDcid = options.role === 'server' && options.retrySourceCid ? options.retrySourceCid : this.originalDcid;
    this.installInitialKeys();

    this.localParameters = {
      ...defaultTransportParameters(),
      maxIdleTimeout: DEFAULT_IDLE_TIMEOUT,
      maxAckDelay: LOCAL_MAX_ACK_DELAY,
      maxUdpPayloadSize: Math.max(1200, options.maxDatagramSize ?? 1200),
      ...DEFAULT_STREAM_PARAMETERS,
      ...options.transportParameters,
      initialSourceConnectionId: this.localCid,
    };
    if (this.role === 'server') {
      this.localParameters.originalDestinationConnectionId = this.originalDcid;
      if (options.retrySourceCid) this.localParameters.retrySourceConnectionId = options.retrySourceCid;
      if (options.statelessResetToken) this.localParameters.statelessResetToken = options.statelessResetToken;
    }
    this.idleTimeout = this.localParameters.maxIdleTimeout || DEFAULT_IDLE_TIMEOUT;
    this.localCids = new LocalConnectionIds(this.localCid, options.connectionIdGenerator, options.resetToken, (issued, retired) =>
      this.events.push(
        issued ? { type: 'connectionIdIssued', cid: issued.cid, resetToken: issued.resetToken } : { type: 'connectionIdRetired', cid: retired! },
      ),
    );
    this.peerCids = new PeerConnectionIds(options.remoteCid, this.localParameters.activeConnectionIdLimit);
    this.streams = new ConnectionStreams({ role: this.role, local: this.localParameters });

    const host: QuicTlsHost = {
      sendCrypto: (level, data) => this.spaces[LEVEL_SPACE[level]]!.queueCrypto(data),
      installSecret: (level, direction, suite, secret) => this.installSecret(level, direction, suite, secret),
      handshakeComplete: (info) => this.onHandshakeComplete(info),
      ...(options.keylog ? { keylog: options.keylog } : {}),
    };
    this.tls = options.createTls({
      host,
      localTransportParameters: encodeTransportParameters(this.localParameters),
      peerTransportParameters: (encoded) => this.onPeerTransportParameters(encoded),
    });
  }

  private installInitialKeys(): void {
    const initial = deriveInitialKeys(this.initialDcid, this.version);
    const [readSecret, writeSecret] = this.role === 'client' ? [initial.serverSecret, initial.clientSecret] : [initial.clientSecret, initial.serverSecret];
    this.spaces[0]!.read = DirectionalKeys.fromSecret('TLS_AES_128_GCM_SHA256', readSecret, this.version);
    this.spaces[0]!.write = DirectionalKeys.fromSecret('TLS_AES_128_GCM_SHA256', writeSecret, this.version);
  }

  // ---------------------------------------------------------------- state

  /** The peer's connection ID we send to (the client adopts the server's SCID from its first packet). */
  get remoteCid(): Buffer {
    return this.peerCids.active;
  }

  /** The peer's address as last validated (changes only after path validation on the new one; §9.3). */
  get peerAddress(): PeerAddress | undefined {
    return this.validatedPath;
  }
  /** Where datagrams go now (a new path under validation, or the validated one). */
  get currentPath(): PeerAddress | undefined {
    return this.path;
  }

  /** Client: the last NEW_TOKEN the server gave (present it in a later connection's Initial). */
  get newToken(): Buffer | undefined {
    return this.receivedToken;
  }

  get isEstablished(): boolean {
    return this.state === 'established';
  }
  get isClosed(): boolean {
    return this.state === 'closed';
  }
  get isHandshakeConfirmed(): boolean {
    return this.handshakeConfirmed;
  }
  /**
   * Some packet of the last datagram given to receiveDatagram decrypted: the
   * driver may then trust that datagram's source address (a datagram with a
   * known DCID but nothing authentic in it must not move the peer's address).
   */
  get lastDatagramAuthenticated(): boolean {
    return this.datagramOpened;
  }
  /** UDP payload bytes received and sent (the driver's stats). */
  get datagramBytes(): { received: number; sent: number } {
    return { received: this.bytesReceived, sent: this.bytesSent };
  }

  /** Counters of this connection and its recovery, streams and paths (a fresh object; call it for stats, not per packet). */
  stats(): QuicConnectionStats {
    return {
      packetsReceived: this.packetsReceived,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      smoothedRtt: this.recovery.rtt.smoothedRtt,
      congestionWindow: this.recovery.congestionWindow,
      keyUpdates: this.keyUpdates,
      activeLocalConnectionIds: this.localCids.size,
      datagramSize: this.maxDatagramSize,
      recovery: this.recovery.counters,
      streams: this.streams.counters,
      paths: this.pathCounters,
    };
  }

  /** Key updates completed on this connection (either side started them). */
  get keyUpdates(): number {
    return this.oneRtt?.updates ?? 0;
  }

  pollEvent(): ConnectionEvent | undefined {
    return this.events.shift();
  }

  /** When handleTimeout must be called (ms; Infinity: nothing armed). */
  nextTimeout(): number {
    if (this.state === 'closed') return Infinity;
    if (this.state === 'closing' || this.state === 'draining') return this.closeDeadline;
    let t = Math.min(this.recovery.lossDetectionDeadline, this.lastActivity + this.effectiveIdleTimeout());
    for (const space of this.spaces) {
      if (!space.discarded && space.received.hasUnacknowledged) t = Math.min(t, Math.max(space.received.ackDeadline, 0));
    }
    if (this.oneRtt) t = Math.min(t, this.oneRtt.previousKeysDiscardAt);
    t = Math.min(t, this.challengeDeadline, this.challengeResendAt);
    if (this.pathMtu) t = Math.min(t, this.pathMtu.nextTimeout());
    // Data held back only by the pacer goes when it allows.
    if (this.pacedUntil > this.lastSendAttempt && this.hasPendingData && this.recovery.sendWindow >= this.maxDatagramSize) t = Math.min(t, this.pacedUntil);
    return t;
  }

  handleTimeout(now: number): void {
    if (this.state === 'closed') return;
    if (this.state === 'closing' || this.state === 'draining') {
      if (now >= this.closeDeadline) this.finishClose();
      return;
    }
    if (now >= this.lastActivity + this.effectiveIdleTimeout()) {
      this.closeInfo = { code: QuicErrorCode.NO_ERROR, application: false, reason: 'idle timeout', initiator: 'idle' };
      this.finishClose();
      return;
    }
    this.oneRtt?.discardExpired(now);
    this.pathMtu?.handleTimeout(now);
    if (now >= this.challengeDeadline) this.onPathValidationFailed();
    else if (now >= this.challengeResendAt) {
      this.challengeResendAt = Infinity;
      this.challengePending = true;
    }
    if (now >= this.recovery.lossDetectionDeadline) this.onRecoveryEvents(this.recovery.onTimeout(now), now, true);
  }

  private effectiveIdleTimeout(): number {
    const peer = this.peerParameters?.maxIdleTimeout ?? 0;
    const base = peer > 0 ? Math.min(peer, this.idleTimeout) : this.idleTimeout;
    // §10.1: never shorter than three PTOs, so a few losses do not end the connection.
    return Math.max(base, 3 * this.recovery.ptoPeriod);
  }

  /** Closes with a transport error (application=false) or an application error code. */
  close(code: number, reason = '', application = true, now?: number): void {
    if (this.state === 'closing' || this.state === 'draining' || this.state === 'closed') return;
    this.closeFrame = { type: 'connection_close', application, errorCode: code, frameType: 0, reason: Buffer.from(reason) };
    this.enterClosing({ code, application, reason, initiator: 'local' }, now);
  }

  private closeWithError(error: QuicError, now: number): void {
    if (this.state === 'closing' || this.state === 'draining' || this.state === 'closed') return;
    this.closeFrame = {
      type: 'connection_close',
      application: false,
      errorCode: error.code,
      frameType: error.frameType,
      reason: Buffer.from(error.reason.slice(0, 200)),
    };
    this.enterClosing({ code: error.code, application: false, reason: error.reason, initiator: 'local' }, now);
  }

  private enterClosing(info: CloseInfo, now: number | undefined): void {
    this.state = 'closing';
    this.closeInfo = info;
    this.sendCloseNow = true;
    // §10.2: the closing period lasts three PTOs.
    this.closeDeadline = (now ?? this.lastActivity) + 3 * this.recovery.ptoPeriod;
  }

  private finishClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.events.push({ type: 'closed', close: this.closeInfo ?? { code: 0, application: false, reason: '', initiator: 'local' } });
  }

  // ---------------------------------------------------------------- TLS host

  private installSecret(level: KeyLevel, direction: 'read' | 'write', suite: TlsCipherSuiteName, secret: Buffer): void {
    if (level === 'early') {
      // The client's 0-RTT write keys stay unused: this connection sends no 0-RTT (the server never does, RFC 9001 §4.6.1).
      if (this.role !== 'server' || direction !== 'read') return;
      this.earlyRead = DirectionalKeys.fromSecret(suite, secret, this.version);
      this.earlyDataAccepted = true;
      this.events.push({ type: 'earlyDataAccepted' });
      return;
    }
    if (level === 'handshake') {
      const keys = DirectionalKeys.fromSecret(suite, secret, this.version);
      if (direction === 'read') this.spaces[PacketNumberSpace.Handshake]!.read = keys;
      else {
        this.spaces[PacketNumberSpace.Handshake]!.write = keys;
        this.recovery.setHandshakeKeysAvailable();
      }
      return;
    }
    this.appSecrets[direction] = secret;
    this.appSecrets.suite = suite;
    if (this.appSecrets.read && this.appSecrets.write) {
      this.oneRtt = new OneRttKeys(suite, this.version, this.appSecrets.read, this.appSecrets.write);
    }
  }

  private onPeerTransportParameters(encoded: Buffer): void {
    const sender = this.role === 'server' ? 'client' : 'server';
    const params = decodeTransportParameters(encoded, sender);
    verifyConnectionIdParameters(params, sender, {
      peerInitialSourceCid: this.peerInitialScid ?? this.remoteCid,
      originalDestinationCid: this.role === 'client' ? this.originalDcid : undefined,
      retrySourceCid: this.retrySourceCid,
    });
    this.peerParameters = params;
    this.recovery.maxAckDelay = params.maxAckDelay;
    this.streams.setPeerParameters(params);
    if (params.statelessResetToken) this.peerCids.setInitialResetToken(params.statelessResetToken);
    this.localCids.setPeerLimit(params.activeConnectionIdLimit);
    this.pathMtu?.setPeerLimit(params.maxUdpPayloadSize);
  }

  private onHandshakeComplete(info: QuicTlsHandshakeInfo): void {
    this.handshakeInfo = info;
    this.state = 'established';
    this.events.push({ type: 'handshakeComplete', info });
    if (this.role === 'server') {
      // RFC 9001 §4.1.2: the server's handshake is confirmed when it completes; HANDSHAKE_DONE tells the client.
      this.handshakeDonePending = true;
      this.confirmHandshake(this.lastActivity);
    }
  }

  private confirmHandshake(now: number): void {
    if (this.handshakeConfirmed) return;
    this.handshakeConfirmed = true;
    this.recovery.setHandshakeConfirmed(now);
    if (this.newTokenSource) this.newTokenPending = this.newTokenSource(this.validatedPath);
    this.discardSpace(PacketNumberSpace.Handshake, now);
    this.events.push({ type: 'handshakeConfirmed' });
  }

  private discardSpace(space: PacketNumberSpace, now: number): void {
    const s = this.spaces[space]!;
    if (s.discarded) return;
    s.discard();
    this.recovery.discardSpace(space, now);
  }

  // ---------------------------------------------------------------- receiving

  /**
   * A UDP datagram from the peer, with its source address when the driver
   * knows it (migration and NAT rebinding are noticed from it, §9). Never
   * throws: protocol errors close the connection.
   */
  receiveDatagram(data: Buffer, now: number, from?: PeerAddress): void {
    if (this.state === 'closed') return;
    if (this.state === 'draining') return;
    if (this.state === 'closing') {
      // §10.2.1: answer with CONNECTION_CLOSE again (the caller's sending paces it).
      this.sendCloseNow = true;
      return;
    }
    this.bytesReceived += data.length;
    if (from && !this.path) this.path = this.validatedPath = copyAddress(from);
    // A datagram from elsewhere counts for that path only if the peer moves there (then it starts the new path's budget).
    if (!from || sameAddress(from, this.path!)) this.pathBytesReceived += data.length;
    this.datagramFrom = from;
    this.datagramLength = data.length;
    this.datagramOpened = false;
    let offset = 0;
    try {
      while (offset < data.length) {
        try {
          parsePacketHeader(data, offset, this.localCid.length, this.header);
        } catch {
          return; // the rest of the datagram is not a packet: drop it (§12.2)
        }
        const end = this.header.end;
        this.receivePacket(data, now);
        offset = end;
      }
      if (!this.datagramOpened && data.length >= 21 && this.peerCids.isStatelessReset(data.subarray(data.length - 16))) {
        // §10.3.1: the peer lost our connection; nothing more can be sent on it.
        this.closeInfo = { code: QuicErrorCode.NO_ERROR, application: false, reason: 'stateless reset', initiator: 'peer' };
        this.state = 'draining';
        this.closeDeadline = now + 3 * this.recovery.ptoPeriod;
      }
    } catch (error) {
      if (error instanceof QuicError) this.closeWithError(error, now);
      else if (error instanceof QuicTlsAlert) this.closeWithError(new QuicError(error.quicErrorCode, error.message, 0x06), now);
      else this.closeWithError(new QuicError(QuicErrorCode.INTERNAL_ERROR, String(error)), now);
    }
  }

  private receivePacket(datagram: Buffer, now: number): void {
    const h = this.header;
    let space: PacketNumberSpace;
    switch (h.type) {
      case PacketType.Initial:
        space = PacketNumberSpace.Initial;
        if (this.role === 'server' && datagram.length < MIN_INITIAL_DATAGRAM) return; // §14.1
        break;
      case PacketType.Handshake:
        space = PacketNumberSpace.Handshake;
        break;
      case PacketType.OneRtt:
        space = PacketNumberSpace.ApplicationData;
        break;
      case PacketType.ZeroRtt:
        // Only a server that accepted early data has the keys (RFC 9001 §4.6.1); without them the packet is dropped.
        if (!this.earlyRead) return;
        space = PacketNumberSpace.ApplicationData;
        break;
      case PacketType.Retry:
        return this.receiveRetry(datagram);
      case PacketType.VersionNegotiation:
        return this.receiveVersionNegotiation();
      default:
        return; // unknown versions are not ours
    }
    if (h.version !== 0 && h.version !== this.version) return;
    const dcid = h.dcid;
    if (
      !dcid.equals(this.localCid) &&
      !this.localCids.has(dcid) &&
      // Until it learns our ID, the client addresses its Initial and 0-RTT packets to the DCID it chose.
      !(this.role === 'server' && (space === PacketNumberSpace.Initial || h.type === PacketType.ZeroRtt) && dcid.equals(this.initialDcid))
    )
      return;
    const s = this.spaces[space]!;
    if (s.discarded) return;
    const opened = this.opened;
    const largest = s.received.largest;
    const zeroRtt = h.type === PacketType.ZeroRtt;
    if (zeroRtt) {
      if (!this.earlyRead!.openPacket(datagram, h.packetStart, h.pnOffset, h.end, largest, opened)) return;
      this.zeroRttPacketsReceived++;
    } else if (space === PacketNumberSpace.ApplicationData) {
      if (!this.oneRtt || !this.oneRtt.openPacket(datagram, h.packetStart, h.pnOffset, h.end, largest, now, opened)) return;
      // §4.9.3: once 1-RTT arrives, 0-RTT packets still on their way are the client's to resend.
      this.earlyRead = undefined;
    } else if (!s.read || !s.read.openPacket(datagram, h.packetStart, h.pnOffset, h.end, largest, opened)) {
      return;
    }
    this.datagramOpened = true;
    this.packetsReceived++;
    if (reservedBitsSet(opened.firstByte)) throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, 'reserved header bits set');
    const pn = opened.packetNumber;
    if (s.received.isDuplicate(pn)) return;
    if (h.isLong && this.peerInitialScid === undefined) {
      this.peerInitialScid = Buffer.from(h.scid);
      if (this.role === 'client') this.peerCids.replaceInitial(this.peerInitialScid);
    }
    this.lastActivity = now;
    if (space === PacketNumberSpace.Handshake && this.role === 'server') {
      // §8.1: a Handshake packet proves the client's address; RFC 9001 §4.9.1: Initial keys go.
      this.addressValidated = true;
      this.discardSpace(PacketNumberSpace.Initial, now);
    }
    const reader = this.reader;
    // The frame table of the packet's own type: 0-RTT carries no ACK, CRYPTO, HANDSHAKE_DONE, NEW_TOKEN… (§12.4).
    reader.reset(opened.payload, zeroRtt ? PacketType.ZeroRtt : SPACE_PACKET_TYPE[space]!);
    let probingOnly = true;
    for (let frame = reader.next(); frame; frame = reader.next()) {
      const type = frame.type;
      if (type !== 'padding' && type !== 'path_challenge' && type !== 'path_response' && type !== 'new_connection_id') probingOnly = false;
      this.receiveFrame(space, frame, now);
      if (this.state === 'draining' || this.state === 'closed') return;
    }
    s.received.onPacketReceived(pn, reader.ackEliciting, now, LOCAL_MAX_ACK_DELAY);
    const from = this.datagramFrom;
    // §9.3: the peer moved when its highest-numbered non-probing packet comes from a new address (only after confirmation, §9).
    if (from && !probingOnly && pn > largest && space === PacketNumberSpace.ApplicationData && !sameAddress(from, this.path!)) {
      if (this.role === 'server' && this.handshakeConfirmed) this.migrateTo(from, now);
    }
  }

  /**
   * The peer's non-probing packet came from `from`: send there from now on,
   * within its anti-amplification limit until a PATH_CHALLENGE there is
   * answered (§9.3). A new IP address resets RTT and congestion state (§9.4);
   * a new port alone is NAT rebinding, which keeps them (§9.3, "MAY").
   */
  private migrateTo(from: PeerAddress, now: number): void {
    const previous = this.path!;
    this.path = copyAddress(from);
    this.pathCounters.migrations++;
    this.pathBytesReceived = this.datagramLength;
    this.pathBytesSent = 0;
    if (this.validatedPath && sameAddress(from, this.validatedPath)) {
      // Back to the address we know: nothing to validate (a late packet of a rebinding we gave up on, or an attacker's replay we outlived).
      this.pathValidated = true;
      this.stopPathValidation();
      return;
    }
    if (from.address === previous.address) this.pathCounters.natRebindings++;
    else this.recovery.onPathChanged();
    if (this.pathMtu && this.pathMtu.current > BASE_PLPMTU) {
      // §14.3: the new path's MTU is unknown; back to what every path carries, and search again there.
      this.pathMtu.reset();
      this.setDatagramSize(BASE_PLPMTU);
    }
    this.pathValidated = false;
    this.validating = true;
    this.challengePending = true;
    this.challengeDeadline = now + 3 * Math.max(this.recovery.ptoPeriod, NEW_PATH_PTO);
  }

  private stopPathValidation(): void {
    this.validating = false;
    this.challenges.length = 0;
    this.challengePending = false;
    this.challengeResendAt = this.challengeDeadline = Infinity;
  }

  private onPathValidated(): void {
    this.stopPathValidation();
    if (this.pathValidated) return;
    this.pathValidated = true;
    this.pathCounters.validated++;
    if (!this.validatedPath || !sameAddress(this.validatedPath, this.path!)) {
      this.validatedPath = this.path;
      this.events.push({ type: 'peerAddressChanged', address: this.path! });
    }
  }

  /** §9.3.2: the new path did not answer in time; go back to the last validated one. */
  private onPathValidationFailed(): void {
    this.pathCounters.validationFailures++;
    this.stopPathValidation();
    const back = this.validatedPath;
    if (!back || this.pathValidated) return;
    if (back.address !== this.path!.address) this.recovery.onPathChanged();
    this.path = back;
    this.pathValidated = true;
  }

  /**
   * Client: a Retry (RFC 9000 §17.2.5) is accepted once, before any Initial
   * from the server, when its integrity tag checks out and its SCID is new.
   * Initial keys then come from that SCID, the token goes in every later
   * Initial, and the ClientHello goes again (packet numbers continue).
   */
  private receiveRetry(datagram: Buffer): void {
    const h = this.header;
    if (this.role !== 'client' || this.retrySourceCid || this.spaces[PacketNumberSpace.Initial]!.received.largest >= 0) return;
    if (!h.dcid.equals(this.localCid) || h.scid.equals(this.initialDcid) || h.tokenLength === 0) return;
    if (!verifyRetryIntegrity(datagram.subarray(h.packetStart, h.end), this.originalDcid, this.version)) return;
    this.retrySourceCid = Buffer.from(h.scid);
    this.retryToken = Buffer.from(h.token);
    this.initialDcid = this.retrySourceCid;
    this.peerCids.replaceInitial(this.retrySourceCid);
    this.installInitialKeys();
    this.spaces[PacketNumberSpace.Initial]!.resendAllCrypto();
  }

  /** Client: Version Negotiation before any server packet ends the attempt unless it lists our version (RFC 9000 §6.2). */
  private receiveVersionNegotiation(): void {
    const h = this.header;
    if (this.role !== 'client' || this.peerInitialScid !== undefined || !h.dcid.equals(this.localCid) || !h.scid.equals(this.initialDcid)) return;
    let versions: number[];
    try {
      versions = readNegotiatedVersions(h);
    } catch {
      return;
    }
    if (versions.includes(this.version)) return;
    this.closeInfo = {
      code: QuicErrorCode.NO_ERROR,
      application: false,
      reason: `no common QUIC version (server offers ${versions.map((v) => '0x' + v.toString(16)).join(', ')})`,
      initiator: 'peer',
    };
    this.finishClose();
  }

  private receiveFrame(space: PacketNumberSpace, frame: Frame, now: number): void {
    switch (frame.type) {
      case 'padding':
      case 'ping':
        return;
      case 'ack':
        return this.receiveAck(space, frame.ranges, frame.ackDelay, now, frame.ecn?.ce ?? -1);
      case 'crypto': {
        const data = this.spaces[space]!.receiveCrypto(frame.offset, frame.data);
        if (data) this.tls.receive(SPACE_LEVEL[space]!, data);
        return;
      }
      case 'connection_close':
        this.closeInfo = { code: frame.errorCode, application: frame.application, reason: frame.reason.toString('utf8'), initiator: 'peer' };
        this.state = 'draining';
        this.closeDeadline = now + 3 * this.recovery.ptoPeriod;
        return;
      case 'handshake_done':
        if (this.role === 'server') throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, 'HANDSHAKE_DONE from a client', 0x1e);
        this.confirmHandshake(now);
        return;
      case 'new_token':
        if (this.role === 'server') throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, 'NEW_TOKEN from a client', 0x07);
        if (frame.token.length === 0) throw new QuicError(QuicErrorCode.FRAME_ENCODING_ERROR, 'empty NEW_TOKEN', 0x07);
        this.receivedToken = Buffer.from(frame.token); // the last one only: bounded
        return;
      case 'new_connection_id':
        if (this.peerCids.active.length === 0)
          throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, 'NEW_CONNECTION_ID from a peer using a zero-length connection ID', 0x18);
        return this.peerCids.onNewConnectionId(frame);
      case 'retire_connection_id':
        return this.localCids.onRetire(frame.sequenceNumber, this.header.dcid);
      case 'path_response':
        if (this.validating && this.challenges.some((c) => c.equals(frame.data))) this.onPathValidated();
        return;
      case 'path_challenge': {
        // One response pending at most (the latest challenge wins): a peer cannot queue them up (§8.2.2 asks for one per challenge, "MAY" drop under load).
        this.pathResponse = Buffer.from(frame.data);
        const from = this.datagramFrom;
        this.pathResponseTo = from && this.path && !sameAddress(from, this.path) ? copyAddress(from) : undefined;
        this.pathResponseBudget = 3 * this.datagramLength;
        return;
      }
      case 'datagram':
        if (this.localParameters.maxDatagramFrameSize === 0) throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, 'DATAGRAM not negotiated', 0x30);
        return;
      case 'stream':
        return this.streams.onStreamFrame(frame.streamId, frame.offset, frame.data, frame.fin);
      case 'reset_stream':
        return this.streams.onResetStream(frame.streamId, frame.errorCode, frame.finalSize);
      case 'stop_sending':
        return this.streams.onStopSending(frame.streamId, frame.errorCode);
      case 'max_data':
        return this.streams.onMaxData(frame.maximum);
      case 'max_stream_data':
        return this.streams.onMaxStreamData(frame.streamId, frame.maximum);
      case 'max_streams':
        return this.streams.onMaxStreams(frame.bidirectional, frame.maximum);
      case 'data_blocked':
        return this.streams.onDataBlocked(frame.limit);
      case 'stream_data_blocked':
        return this.streams.onStreamDataBlocked(frame.streamId, frame.limit);
      case 'streams_blocked':
        return this.streams.onStreamsBlocked(frame.bidirectional, frame.limit);
    }
  }

  private receiveAck(space: PacketNumberSpace, flat: number[], encodedDelay: number, now: number, ce: number): void {
    const exponent = this.peerParameters?.ackDelayExponent ?? 3;
    const ackDelay = space === PacketNumberSpace.ApplicationData ? (encodedDelay * 2 ** exponent) / 1000 : 0;
    this.onRecoveryEvents(this.recovery.onAckReceived(space, flat, ackDelay, now, ce), now, false);
  }

  private onRecoveryEvents(events: RecoveryEvents<SentRecord>, now: number, fromTimeout: boolean): void {
    for (const record of events.acked) {
      if (record.ackLargest >= 0) this.spaces[record.space]!.received.onAckAcknowledged(record.ackLargest);
      if (record.crypto) {
        const s = this.spaces[record.space]!;
        for (let i = 0; i < record.crypto.length; i += 2) s.onCryptoAcked(record.crypto[i]!, record.crypto[i + 1]!);
      }
      if (record.space === PacketNumberSpace.ApplicationData) this.oneRtt?.onPacketAcknowledged(record.packetNumber);
      if (record.controls) for (const c of record.controls) this.streams.onControlFrameAcked(c);
      if (record.newToken) this.tokenInFlight = undefined;
      if (record.mtuProbe && this.pathMtu?.onProbeAcknowledged(record.mtuProbe)) this.setDatagramSize(record.mtuProbe);
      const sf = record.streamFrames;
      if (sf) for (let i = 0; i < sf.length; i += 4) this.streams.onStreamFrameAcked(sf[i]!, sf[i + 1]!, sf[i + 2]!, sf[i + 3] === 1);
    }
    if (events.acked.length > 0) this.streams.updateRtt(this.recovery.rtt.smoothedRtt);
    for (const record of events.lost) {
      const s = this.spaces[record.space]!;
      if (record.crypto) for (let i = 0; i < record.crypto.length; i += 2) s.onCryptoLost(record.crypto[i]!, record.crypto[i + 1]!);
      if (record.handshakeDone && !this.handshakeDonePending) this.handshakeDonePending = true;
      if (record.controls) for (const c of record.controls) this.streams.onControlFrameLost(c);
      if (record.retired) for (const sequence of record.retired) this.peerCids.onRetirementLost(sequence);
      if (record.challenge && this.validating) this.challengePending = true;
      if (record.newCids) for (const sequence of record.newCids) this.localCids.onFrameLost(sequence);
      if (record.newToken && this.tokenInFlight) this.newTokenPending = this.tokenInFlight;
      if (record.mtuProbe) this.pathMtu?.onProbeLost(record.mtuProbe);
      const sf = record.streamFrames;
      if (sf) for (let i = 0; i < sf.length; i += 4) this.streams.onStreamFrameLost(sf[i]!, sf[i + 1]!, sf[i + 2]!, sf[i + 3] === 1);
    }
    if (fromTimeout && events.probePackets > 0) {
      let space: PacketNumberSpace = events.probeSpace;
      // The probe goes in the space recovery asked for, or the next one we still have keys for.
      while (space < 2 && (this.spaces[space]!.discarded || !this.spaces[space]!.write)) space++;
      this.spaces[space]!.probes = events.probePackets;
    }
    void now;
  }

  // ---------------------------------------------------------------- sending

  /**
   * Datagrams to send now, each a fresh Buffer the caller owns. Empty when
   * nothing is due (congestion window, pacing and the amplification limit
   * decide; call again after nextTimeout or the next datagram).
   * `destinations`, when given, receives the address of each datagram at
   * the same index (the current path, or where a probe came from; undefined
   * when the connection was never told an address).
   */
  sendDatagrams(now: number, destinations?: (PeerAddress | undefined)[]): Buffer[] {
    const out: Buffer[] = [];
    if (destinations) destinations.length = 0;
    if (this.state === 'closed' || this.state === 'draining') return out;
    if (this.state === 'closing') {
      if (this.sendCloseNow) {
        this.sendCloseNow = false;
        const d = this.buildCloseDatagram(now);
        if (d) {
          out.push(d);
          destinations?.push(this.path);
        }
      }
      return out;
    }
    if (this.pathResponse && this.pathResponseTo && this.oneRtt && !sameAddress(this.pathResponseTo, this.path!)) {
      const d = this.buildProbeResponse(now);
      if (d) {
        out.push(d);
        destinations?.push(this.pathResponseTo);
      }
      this.pathResponse = this.pathResponseTo = undefined;
    }
    for (let i = 0; i < MAX_DATAGRAMS_PER_CALL; i++) {
      const d = this.buildDatagram(now);
      if (!d) break;
      out.push(d);
      destinations?.push(this.path);
    }
    const probe = this.pathMtu && out.length < MAX_DATAGRAMS_PER_CALL ? this.buildMtuProbe(now) : undefined;
    if (probe) {
      out.push(probe);
      destinations?.push(this.path);
    }
    return out;
  }

  /**
   * A PMTU probe (RFC 9000 §14.4): a 1-RTT packet of PING and PADDING of the
   * next size to try, once the handshake is confirmed and the path validated,
   * when the congestion window has room for it. Not counted in flight: its
   * loss says nothing about congestion.
   */
  private buildMtuProbe(now: number): Buffer | undefined {
    const size = this.pathMtu!.probeDue();
    if (size === 0 || !this.handshakeConfirmed || !this.oneRtt || !this.pathValidated || this.amplificationBudget() < size) return undefined;
    if (this.recovery.sendWindow < size) return undefined;
    const s = this.spaces[PacketNumberSpace.ApplicationData]!;
    const buf = Buffer.allocUnsafe(size);
    const pn = s.nextPacketNumber;
    const pnLength = packetNumberLength(pn, this.recovery.largestAckedPacket(PacketNumberSpace.ApplicationData));
    const pnOffset = writeShortHeader(buf, 0, this.remoteCid, 0, this.oneRtt.keyPhase, pnLength, pn);
    const p = pnOffset + pnLength;
    buf[p] = 0x01; // PING; the rest is PADDING
    const end = size - AEAD_TAG_LENGTH;
    buf.fill(0, p + 1, end);
    const sealed = this.oneRtt.sealPacket(buf, 0, pnOffset, pnLength, end, pn);
    s.nextPacketNumber++;
    const record = this.newRecord(PacketNumberSpace.ApplicationData, pn);
    record.mtuProbe = size;
    this.recovery.onPacketSent(PacketNumberSpace.ApplicationData, pn, now, sealed, true, false, record);
    // Recovery runs no PTO for a packet not in flight: the probe has a deadline of its own.
    this.pathMtu!.onProbeSent(size, now, 3 * this.recovery.ptoPeriod);
    this.bytesSent += sealed;
    this.pathBytesSent += sealed;
    return buf.subarray(0, sealed);
  }

  /** The path carries `size`-byte datagrams (an acknowledged probe) or only the base size again (a new path). */
  private setDatagramSize(size: number): void {
    this.maxDatagramSize = size;
    this.recovery.setMaxDatagramSize(size);
  }

  /**
   * PATH_RESPONSE to a probe from an address that is not the current path
   * (§8.2.2: on the path the challenge came on), padded towards 1200 bytes
   * within three times the probe's size (§8.2.1, §8.1).
   */
  private buildProbeResponse(now: number): Buffer | undefined {
    const s = this.spaces[PacketNumberSpace.ApplicationData]!;
    const size = Math.min(this.maxDatagramSize, MIN_INITIAL_DATAGRAM, this.pathResponseBudget);
    if (size < 64) return undefined;
    const buf = Buffer.allocUnsafe(size);
    const pn = s.nextPacketNumber;
    const pnLength = packetNumberLength(pn, this.recovery.largestAckedPacket(PacketNumberSpace.ApplicationData));
    const pnOffset = writeShortHeader(buf, 0, this.remoteCid, 0, this.oneRtt!.keyPhase, pnLength, pn);
    let p = writeFrame(buf, pnOffset + pnLength, { type: 'path_response', data: this.pathResponse! });
    const target = size - AEAD_TAG_LENGTH;
    buf.fill(0, p, target);
    p = target;
    const end = this.oneRtt!.sealPacket(buf, 0, pnOffset, pnLength, p, pn);
    s.nextPacketNumber++;
    // Counted in flight like any ack-eliciting packet (recovery's PTO and loss logic expect that); one small packet per probe.
    this.recovery.onPacketSent(PacketNumberSpace.ApplicationData, pn, now, end, true, true, this.newRecord(PacketNumberSpace.ApplicationData, pn));
    this.bytesSent += end;
    return buf.subarray(0, end);
  }

  private newRecord(space: PacketNumberSpace, packetNumber: number): SentRecord {
    return {
      space,
      packetNumber,
      crypto: undefined,
      ackLargest: -1,
      handshakeDone: false,
      controls: undefined,
      streamFrames: undefined,
      retired: undefined,
      challenge: false,
      newCids: undefined,
      newToken: false,
      mtuProbe: 0,
    };
  }

  private readonly wants = [false, false, false];
  /** When the pacer lets the next datagram of new data leave (ms), as of the last send attempt. */
  private pacedUntil = 0;
  private lastSendAttempt = 0;

  /** Data waits to be sent (CRYPTO, stream data or control frames). */
  private get hasPendingData(): boolean {
    const [initial, handshake, application] = this.spaces as [PacketSpace, PacketSpace, PacketSpace];
    return (
      (!initial.discarded && initial.hasCryptoToSend) ||
      (!handshake.discarded && handshake.hasCryptoToSend) ||
      application.hasCryptoToSend ||
      this.streams.hasStreamData ||
      this.streams.hasControlFrames
    );
  }

  private amplificationBudget(): number {
    if (this.addressValidated && this.pathValidated) return Infinity;
    return Math.max(0, 3 * this.pathBytesReceived - this.pathBytesSent);
  }

  private buildDatagram(now: number): Buffer | undefined {
    const budget = Math.min(this.maxDatagramSize, this.amplificationBudget());
    if (budget < 64) {
      if (this.role === 'server') this.recovery.setAntiAmplificationLimited(true, now);
      return undefined;
    }
    if (this.role === 'server') this.recovery.setAntiAmplificationLimited(false, now);
    const probing = this.spaces[0]!.probes + this.spaces[1]!.probes + this.spaces[2]!.probes > 0;
    // Pacing (RFC 9002 §7.7): new data waits for the pacer; ACKs and PTO probes do not.
    this.pacedUntil = this.recovery.nextSendTime(now);
    this.lastSendAttempt = now;
    const congestionOpen = probing || (this.recovery.sendWindow >= this.maxDatagramSize && this.pacedUntil <= now);
    // Which spaces have something to send (a reused array: this runs for every datagram).
    const wants = this.wants;
    let last = -1;
    for (let space = 0; space < 3; space++) {
      wants[space] = this.spaceWantsToSend(space as PacketNumberSpace, now, congestionOpen);
      if (wants[space]) last = space;
    }
    if (last < 0) return undefined;
    // §14.1: a client pads every datagram with an Initial packet to 1200 bytes, a server those with an ack-eliciting one.
    const initial = this.spaces[PacketNumberSpace.Initial]!;
    const needsPadding = wants[PacketNumberSpace.Initial]! && (this.role === 'client' || initial.hasCryptoToSend || initial.probes > 0);
    if (needsPadding && budget < MIN_INITIAL_DATAGRAM) return undefined;
    // Every byte up to the returned length is written (headers, frames, explicit padding).
    const buf = Buffer.allocUnsafe(budget);
    let offset = 0;
    for (let space = 0; space <= last; space++) {
      if (wants[space]) offset = this.writePacket(space as PacketNumberSpace, buf, offset, budget, now, congestionOpen, needsPadding && space === last);
    }
    if (needsPadding && offset > 0 && offset < MIN_INITIAL_DATAGRAM) offset = this.writePadding(buf, offset, budget, now);
    if (offset === 0) return undefined;
    this.bytesSent += offset;
    this.pathBytesSent += offset;
    return buf.subarray(0, offset);
  }

  private spaceWantsToSend(space: PacketNumberSpace, now: number, congestionOpen: boolean): boolean {
    const s = this.spaces[space]!;
    if (s.discarded) return false;
    if (space === PacketNumberSpace.ApplicationData ? !this.oneRtt : !s.write) return false;
    if (s.received.hasUnacknowledged && s.received.ackDueNow(now)) return true;
    if (s.probes > 0) return true;
    if (!congestionOpen) return false;
    if (s.hasCryptoToSend) return true;
    if (space === PacketNumberSpace.ApplicationData) {
      // The server sends 1-RTT only after the handshake completes (RFC 9001 §5.7 allows earlier; we keep it simple).
      if (this.role === 'server' && this.state !== 'established') return false;
      return (
        this.handshakeDonePending ||
        this.pathResponse !== undefined ||
        this.challengePending ||
        this.localCids.hasPending ||
        this.newTokenPending !== undefined ||
        this.peerCids.hasRetirements ||
        this.streams.hasControlFrames ||
        this.streams.hasStreamData
      );
    }
    return false;
  }

  /** Fills the datagram to 1200 bytes with a padding-only packet when the packet meant to carry the padding had nothing to send. */
  private writePadding(buf: Buffer, offset: number, budget: number, now: number): number {
    for (let space = 2; space >= 0; space--) {
      const s = this.spaces[space]!;
      if (s.discarded || (space === 2 ? !this.oneRtt : !s.write)) continue;
      return this.writePacket(space as PacketNumberSpace, buf, offset, budget, now, false, true, true);
    }
    return offset;
  }

  /**
   * Writes and seals one packet of `space` at `offset`; returns the offset
   * after it (unchanged when there was nothing to put in it).
   */
  private writePacket(
    space: PacketNumberSpace,
    buf: Buffer,
    offset: number,
    budget: number,
    now: number,
    congestionOpen: boolean,
    padToMinimum: boolean,
    paddingOnly = false,
  ): number {
    const s = this.spaces[space]!;
    const isShort = space === PacketNumberSpace.ApplicationData;
    if (isShort && s.nextPacketNumber >= this.nextSkip) {
      // Never sent: a peer acknowledging it acknowledges what it did not receive (recovery then refuses the ACK).
      this.recovery.skipPacketNumber(space, s.nextPacketNumber++);
      this.nextSkip = s.nextPacketNumber + SKIP_MIN_GAP + randomInt(SKIP_GAP_RANGE);
    }
    const pn = s.nextPacketNumber;
    const pnLength = packetNumberLength(pn, this.recovery.largestAckedPacket(space));
    const pnOffset = isShort
      ? writeShortHeader(buf, offset, this.remoteCid, 0, this.oneRtt!.keyPhase, pnLength, pn)
      : writeLongHeader(buf, offset, SPACE_PACKET_TYPE[space]!, this.version, this.remoteCid, this.localCid, this.retryToken, pnLength, pn);
    const payloadStart = pnOffset + pnLength;
    const limit = budget - AEAD_TAG_LENGTH;
    if (limit - payloadStart < 8) return offset;
    let p = payloadStart;
    const record = this.newRecord(space, pn);
    let ackEliciting = false;

    if (!paddingOnly && s.received.largest >= 0 && (s.received.hasUnacknowledged || s.hasCryptoToSend)) {
      const exponent = this.localParameters.ackDelayExponent;
      if (s.received.ackFrameLength(now, exponent) <= limit - p) {
        record.ackLargest = s.received.largest;
        p = s.received.writeAck(buf, p, now, exponent);
      }
    }
    if (!paddingOnly && congestionOpen) {
      if (isShort && this.handshakeDonePending && limit - p >= 1) {
        p = writeFrame(buf, p, { type: 'handshake_done' });
        record.handshakeDone = true;
        this.handshakeDonePending = false;
        ackEliciting = true;
      }
      while (isShort && this.peerCids.hasRetirements && limit - p >= 9) {
        const sequence = this.peerCids.takeRetirement()!;
        p = writeFrame(buf, p, { type: 'retire_connection_id', sequenceNumber: sequence });
        (record.retired ??= []).push(sequence);
        ackEliciting = true;
      }
      if (isShort && this.pathResponse && limit - p >= 9) {
        p = writeFrame(buf, p, { type: 'path_response', data: this.pathResponse });
        this.pathResponse = this.pathResponseTo = undefined;
        ackEliciting = true;
      }
      if (isShort && this.newTokenPending && limit - p >= this.newTokenPending.length + 12) {
        p = writeFrame(buf, p, { type: 'new_token', token: this.newTokenPending });
        record.newToken = true;
        this.tokenInFlight = this.newTokenPending;
        this.newTokenPending = undefined;
        ackEliciting = true;
      }
      while (isShort && this.localCids.hasPending && limit - p >= 64) {
        const frame = this.localCids.takeFrame()!;
        p = writeFrame(buf, p, frame);
        (record.newCids ??= []).push(frame.sequenceNumber);
        ackEliciting = true;
      }
      if (isShort && this.challengePending && limit - p >= 9) {
        const data = randomBytes(8);
        if (this.challenges.push(data) > 4) this.challenges.shift();
        p = writeFrame(buf, p, { type: 'path_challenge', data });
        this.challengePending = false;
        this.challengeResendAt = now + this.recovery.ptoPeriod;
        record.challenge = true;
        ackEliciting = true;
        // §8.2.1: a datagram with PATH_CHALLENGE is expanded to 1200 bytes when the new path's budget allows.
        padToMinimum = true;
      }
      while (limit - p > CRYPTO_HEADER_ROOM) {
        // Header room for the largest offset/length a CRYPTO stream here can have (64 KiB cap: 4 + 2 bytes).
        const room = limit - p - CRYPTO_HEADER_ROOM;
        const chunk = s.nextCryptoChunk(room);
        if (!chunk) break;
        const cLength = chunk.data.length;
        p = writeCryptoFrameHeader(buf, p, chunk.offset, cLength);
        p += chunk.data.copy(buf, p);
        (record.crypto ??= []).push(chunk.offset, cLength);
        ackEliciting = true;
      }
      if (isShort && this.state === 'established') {
        p = this.writeStreamFrames(buf, p, limit, record);
        if (record.controls || record.streamFrames) ackEliciting = true;
      }
    }
    if (!paddingOnly && s.probes > 0) {
      s.probes--;
      if (!ackEliciting) {
        buf[p++] = 0x01; // PING
        ackEliciting = true;
      }
    }
    if (p === payloadStart && !paddingOnly) return offset;
    // Header protection samples 16 bytes from 4 after the packet number (RFC 9001 §5.4.2).
    const minPayloadEnd = pnOffset + 4;
    if (p < minPayloadEnd) {
      buf.fill(0, p, minPayloadEnd);
      p = minPayloadEnd;
    }
    if (padToMinimum) {
      const target = Math.min(limit, MIN_INITIAL_DATAGRAM - AEAD_TAG_LENGTH);
      if (p < target) {
        buf.fill(0, p, target);
        p = target;
      }
    }
    if (!isShort) setLongHeaderLength(buf, pnOffset, p + AEAD_TAG_LENGTH - pnOffset);
    const end = isShort ? this.oneRtt!.sealPacket(buf, offset, pnOffset, pnLength, p, pn) : s.write!.sealPacket(buf, offset, pnOffset, pnLength, p, pn);
    s.nextPacketNumber++;
    const inFlight = ackEliciting || padToMinimum || paddingOnly;
    this.recovery.onPacketSent(space, pn, now, end - offset, ackEliciting, inFlight, record);
    if (this.role === 'client' && space === PacketNumberSpace.Handshake) {
      // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
      this.discardSpace(PacketNumberSpace.Initial, now);
    }
    return end;
  }

  /** Stream control frames, then STREAM data round robin, into [p, limit); returns the new end. */
  private writeStreamFrames(buf: Buffer, p: number, limit: number, record: SentRecord): number {
    const streams = this.streams;
    while (streams.hasControlFrames && limit - p >= 32) {
      const control = streams.pollControlFrame();
      if (!control) break;
      const frame: Frame = control;
      if (frameLength(frame) > limit - p) {
        streams.onControlFrameLost(control); // no room after all: it goes in the next packet
        break;
      }
      p = writeFrame(buf, p, frame);
      (record.controls ??= []).push(control);
    }
    while (streams.hasStreamData && limit - p > STREAM_HEADER_ROOM) {
      const content = streams.nextStreamFrame(limit - p - STREAM_HEADER_ROOM);
      if (!content) break;
      const length = content.data.length;
      p = writeStreamFrameHeader(buf, p, content.streamId, content.offset, length, content.fin, true);
      p += content.data.copy(buf, p);
      (record.streamFrames ??= []).push(content.streamId, content.offset, length, content.fin ? 1 : 0);
    }
    return p;
  }

  private buildCloseDatagram(now: number): Buffer | undefined {
    const frame = this.closeFrame;
    if (!frame) return undefined;
    const buf = Buffer.alloc(this.maxDatagramSize);
    let offset = 0;
    // Send it in every space we have keys for that the peer may be reading (§10.2.3).
    for (let space = 0; space <= 2; space++) {
      const s = this.spaces[space]!;
      if (s.discarded || (space === 2 ? !this.oneRtt : !s.write)) continue;
      let f = frame;
      if (space !== 2 && frame.type === 'connection_close' && frame.application) {
        // §10.2.3: an application close in Initial/Handshake becomes APPLICATION_ERROR with no reason.
        f = { type: 'connection_close', application: false, errorCode: QuicErrorCode.APPLICATION_ERROR, frameType: 0, reason: Buffer.alloc(0) };
      }
      const pn = s.nextPacketNumber;
      const pnLength = packetNumberLength(pn, this.recovery.largestAckedPacket(space as PacketNumberSpace));
      const isShort = space === 2;
      const pnOffset = isShort
        ? writeShortHeader(buf, offset, this.remoteCid, 0, this.oneRtt!.keyPhase, pnLength, pn)
        : writeLongHeader(buf, offset, SPACE_PACKET_TYPE[space]!, this.version, this.remoteCid, this.localCid, this.retryToken, pnLength, pn);
      let p = pnOffset + pnLength;
      if (p + frameLength(f) + AEAD_TAG_LENGTH + 4 > buf.length) break;
      p = writeFrame(buf, p, f);
      if (p < pnOffset + 4) {
        buf.fill(0, p, pnOffset + 4);
        p = pnOffset + 4;
      }
      if (!isShort) setLongHeaderLength(buf, pnOffset, p + AEAD_TAG_LENGTH - pnOffset);
      offset = isShort ? this.oneRtt!.sealPacket(buf, offset, pnOffset, pnLength, p, pn) : s.write!.sealPacket(buf, offset, pnOffset, pnLength, p, pn);
      s.nextPacketNumber++;
    }
    void now;
    return offset > 0 ? buf.subarray(0, offset) : undefined;
  }

  /** Sends a PING in the highest space we have keys for (keep-alive; also makes the peer acknowledge). */
  ping(): void {
    for (let space = 2; space >= 0; space--) {
      const s = this.spaces[space]!;
      if (!s.discarded && (space === 2 ? this.oneRtt : s.write)) {
        s.probes = Math.max(s.probes, 1);
        return;
      }
    }
  }

  /** Starts a 1-RTT key update (RFC 9001 §6); false when not allowed yet. */
  updateKeys(): boolean {
    if (!this.handshakeConfirmed || !this.oneRtt) return false;
    return this.oneRtt.initiateUpdate();
  }
}
