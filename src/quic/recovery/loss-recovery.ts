/**
 * Loss detection and recovery for one QUIC connection, RFC 9002 §6 and
 * Appendix A, sans-I/O: the connection reports what it sent and the ACK
 * frames it received, with the time `now` in milliseconds, and asks when to
 * wake up (`lossDetectionDeadline`); it calls `onTimeout(now)` then. Each
 * call returns the records of packets acknowledged and lost, and whether to
 * send PTO probes. What a packet carried is the connection's own record type
 * `T`: recovery never looks inside it.
 *
 * The one check a peer can turn into an attack: an ACK for a packet number we
 * never sent (above the largest sent, or one we skipped on purpose) is a
 * PROTOCOL_VIOLATION (RFC 9000 §13.1), refused before any state changes — an
 * "optimistic ACK" would otherwise grow the congestion window for packets the
 * path never carried (CVE-2025-4820/4821 in quiche).
 */
import { QuicError, QuicErrorCode } from '../quic-error.js';
import { type CongestionController, isCongestionLimited } from './congestion-controller.js';
import { Cubic } from './cubic.js';
import { NewReno } from './new-reno.js';
import { Pacer } from './pacer.js';
import { RttEstimator } from './rtt-estimator.js';
import { SentPacketHistory } from './sent-packet-history.js';

export const PacketNumberSpace = { Initial: 0, Handshake: 1, ApplicationData: 2 } as const;
export type PacketNumberSpace = (typeof PacketNumberSpace)[keyof typeof PacketNumberSpace];

/** RFC 9002 §6.1.1 kPacketThreshold. */
export const PACKET_THRESHOLD = 3;
/** RFC 9002 §7.6.1 kPersistentCongestionThreshold. */
export const PERSISTENT_CONGESTION_THRESHOLD = 3;
/** RFC 9000 §18.2: max_ack_delay when the peer sends none. */
export const DEFAULT_MAX_ACK_DELAY_MS = 25;

/** ACK frame type (RFC 9000 §19.3), for the errors. */
const ACK_FRAME_TYPE = 0x02;

/**
 * ACK ranges, largest first, either flattened exactly as the frame reader's
 * `AckFrame.ranges` gives them — [largest0, smallest0, largest1, smallest1, …],
 * passed through without a copy — or as [smallest, largest] pairs (tests,
 * simulations). Inclusive bounds.
 */
export type AckRanges = readonly number[] | ReadonlyArray<readonly [smallest: number, largest: number]>;

/** What one call produced. The same object is reused: read it before the next call. */
export interface RecoveryEvents<T> {
  /** Records of the packets this ACK newly acknowledged, in packet-number order. */
  readonly acked: T[];
  /** Records of packets declared lost, in packet-number order: resend what they carried. */
  readonly lost: T[];
  /** The space `lost` belongs to (-1 when nothing was lost). */
  lostSpace: PacketNumberSpace | -1;
  /**
   * After a PTO: send this many ack-eliciting packets in `probeSpace` (new
   * data, else old data again, else a PING), even if the congestion window is
   * full (§7.5). 0 = no probe.
   */
  probePackets: number;
  probeSpace: PacketNumberSpace;
}

/** What recovery has seen on this connection, for stats, qlog and metrics. */
export interface RecoveryCounters {
  packetsSent: number;
  packetsLost: number;
  bytesLost: number;
  /** PTOs that asked for probes. */
  probeTimeouts: number;
  congestionEvents: number;
  persistentCongestions: number;
  /** ACK frames refused as FRAME_ENCODING_ERROR or PROTOCOL_VIOLATION. */
  acksRefused: number;
}

export interface LossRecoveryOptions {
  isServer: boolean;
  /** Bytes; 1200 until the path MTU is discovered. */
  maxDatagramSize?: number;
  /** 'cubic' (default), 'newreno', or a controller of your own. */
  congestionControl?: 'cubic' | 'newreno' | CongestionController;
  /** The RTT assumed before the first sample (ms, default 333; §6.2.2 allows a remembered value). */
  initialRtt?: number;
  /** Most packets tracked per packet-number space (in flight or not yet settled). */
  maxPacketsPerSpace?: number;
}

const SPACES = 3;

export class LossRecovery<T> {
  readonly rtt: RttEstimator;
  readonly congestion: CongestionController;
  readonly pacer: Pacer;
  /** Bytes of in-flight packets not yet acknowledged, lost or discarded. */
  bytesInFlight = 0;
  /** Consecutive PTOs without an ACK (§6.2.1): the PTO period doubles with each. */
  ptoCount = 0;
  /** When the connection must call onTimeout (ms); Infinity when nothing is armed. */
  lossDetectionDeadline = Infinity;
  /** The peer's max_ack_delay (ms), from its transport parameters. */
  maxAckDelay = DEFAULT_MAX_ACK_DELAY_MS;
  readonly counters: RecoveryCounters = {
    packetsSent: 0,
    packetsLost: 0,
    bytesLost: 0,
    probeTimeouts: 0,
    congestionEvents: 0,
    persistentCongestions: 0,
    acksRefused: 0,
  };

  private readonly isServer: boolean;
  private readonly histories: SentPacketHistory<T>[] = [];
  private readonly largestAcked = [-1, -1, -1];
  private readonly lossTime = [Infinity, Infinity, Infinity];
  private readonly lastAckElicitingTime = [0, 0, 0];
  private readonly ackElicitingInFlight = [0, 0, 0];
  private readonly ecnCeCount = [0, 0, 0];
  private readonly discarded = [false, false, false];
  private handshakeConfirmed = false;
  private handshakeKeys = false;
  private handshakeAckReceived = false;
  private amplificationLimited = false;
  private readonly events: RecoveryEvents<T> = { acked: [], lost: [], lostSpace: -1, probePackets: 0, probeSpace: 0 };
  private readonly scratchRanges: number[] = [];
  /** Set by ptoTime(): the space whose PTO comes first. */
  private ptoSpace: PacketNumberSpace = PacketNumberSpace.Initial;

  constructor(options: LossRecoveryOptions) {
    this.isServer = options.isServer;
    const mds = options.maxDatagramSize ?? 1200;
    const cc = options.congestionControl ?? 'cubic';
    this.congestion = cc === 'cubic' ? new Cubic(mds) : cc === 'newreno' ? new NewReno(mds) : cc;
    this.rtt = new RttEstimator(options.initialRtt);
    this.pacer = new Pacer(mds);
    for (let s = 0; s < SPACES; s++) this.histories.push(new SentPacketHistory<T>(options.maxPacketsPerSpace));
  }

  // ---- what the connection tells recovery ----

  /**
   * A packet left (§A.5). `inFlight`: it counts against the congestion window
   * (anything but an ACK-only/CONNECTION_CLOSE packet). Packet numbers must
   * increase within a space.
   */
  onPacketSent(space: PacketNumberSpace, pn: number, now: number, bytes: number, ackEliciting: boolean, inFlight: boolean, record: T): void {
    if (this.discarded[space]) throw new RangeError(`packet sent in packet-number space ${space} after its keys were discarded`);
    this.histories[space].add(pn, now, bytes, ackEliciting, inFlight, record);
    this.counters.packetsSent++;
    if (!inFlight) return;
    if (ackEliciting) {
      this.lastAckElicitingTime[space] = now;
      this.ackElicitingInFlight[space]++;
    }
    this.bytesInFlight += bytes;
    const cc = this.congestion;
    this.pacer.onPacketSent(now, bytes, cc.congestionWindow, this.rtt.smoothedRtt, cc.inSlowStart);
    this.setLossDetectionTimer(now);
  }

  /** A packet number left unused on purpose (RFC 9000 §21.4); acknowledging it is a PROTOCOL_VIOLATION. */
  skipPacketNumber(space: PacketNumberSpace, pn: number): void {
    this.histories[space].skip(pn);
  }

  /**
   * An ACK frame arrived (§A.7). `ranges`: `AckFrame.ranges` as the frame
   * reader gives them. `ackDelay` in ms: the frame's ACK Delay × 2^ack_delay_exponent / 1000;
   * `ecnCeCount` the frame's ECN-CE count when it has ECN counts (an increase
   * is a congestion signal, §7.1). Throws QuicError FRAME_ENCODING_ERROR for
   * malformed ranges and PROTOCOL_VIOLATION for unsent packet numbers.
   */
  onAckReceived(space: PacketNumberSpace, ackRanges: AckRanges, ackDelay: number, now: number, ecnCeCount = -1): RecoveryEvents<T> {
    const events = this.resetEvents();
    const history = this.histories[space];
    let ranges: readonly number[];
    try {
      ranges = this.flatten(ackRanges);
      this.validateRanges(history, ranges);
    } catch (e) {
      this.counters.acksRefused++;
      throw e;
    }
    if (this.discarded[space]) return events;
    if (space === PacketNumberSpace.Handshake) this.handshakeAckReceived = true;

    const largest = ranges[0];
    if (largest > this.largestAcked[space]) this.largestAcked[space] = largest;
    const cc = this.congestion;
    const cwndLimited = isCongestionLimited(cc, this.bytesInFlight);

    let ackedBytes = 0;
    let newestAckedPn = -1;
    let newestAckedTime = 0;
    let latestAckedTime = -Infinity;
    let ackElicitingAcked = false;
    for (let r = ranges.length - 2; r >= 0; r -= 2) {
      const high = ranges[r];
      for (let i = history.lowerBound(ranges[r + 1]); i < history.length; i++) {
        const pn = history.packetNumber(i);
        if (pn > high) break;
        if (!history.isOutstanding(i)) continue;
        const timeSent = history.timeSent(i);
        if (history.isInFlight(i)) {
          const size = history.sentBytes(i);
          this.bytesInFlight -= size;
          if (!cc.isInRecovery(timeSent)) ackedBytes += size;
          if (history.isAckEliciting(i)) this.ackElicitingInFlight[space]--;
        }
        if (history.isAckEliciting(i)) ackElicitingAcked = true;
        newestAckedPn = pn;
        newestAckedTime = timeSent;
        if (timeSent > latestAckedTime) latestAckedTime = timeSent;
        events.acked.push(history.markAcked(i));
      }
    }
    if (newestAckedPn < 0) return events;

    if (newestAckedPn === largest && ackElicitingAcked) {
      // §5.3: Initial ACKs are not delayed on purpose, so their ack delay is ignored.
      const delay = space === PacketNumberSpace.Initial ? 0 : ackDelay;
      this.rtt.update(now - newestAckedTime, delay, now, this.handshakeConfirmed, this.maxAckDelay);
    }
    if (ecnCeCount > this.ecnCeCount[space]) {
      this.ecnCeCount[space] = ecnCeCount;
      this.congestionEvent(newestAckedTime, now);
    }
    const persistentCongestion = this.detectLostPackets(space, now);
    // A congestion event in this call opened a recovery period that covers everything acknowledged here (§B.5 runs
    // OnPacketsLost first). After persistent congestion, too: these packets were sent before it was found.
    if (ackedBytes > 0 && !persistentCongestion && !cc.isInRecovery(latestAckedTime)) cc.onAcked(ackedBytes, now, this.rtt, cwndLimited);
    if (this.peerCompletedAddressValidation) this.ptoCount = 0;
    history.reclaim();
    this.setLossDetectionTimer(now);
    return events;
  }

  /**
   * The loss detection deadline passed (§A.9): packets are declared lost by
   * time, or PTO probes are asked for. Calls before the deadline do nothing.
   */
  onTimeout(now: number): RecoveryEvents<T> {
    const events = this.resetEvents();
    if (now < this.lossDetectionDeadline) return events;
    let lossSpace = -1;
    let earliestLoss = Infinity;
    for (let s = 0; s < SPACES; s++) {
      if (this.lossTime[s] < earliestLoss) {
        earliestLoss = this.lossTime[s];
        lossSpace = s;
      }
    }
    if (lossSpace >= 0) {
      this.detectLostPackets(lossSpace as PacketNumberSpace, now);
      this.histories[lossSpace].reclaim();
      this.setLossDetectionTimer(now);
      return events;
    }
    if (this.ackElicitingInFlight[0] + this.ackElicitingInFlight[1] + this.ackElicitingInFlight[2] === 0) {
      // Anti-deadlock (client): the server may be blocked by its amplification limit until it hears from us.
      events.probeSpace = this.handshakeKeys ? PacketNumberSpace.Handshake : PacketNumberSpace.Initial;
      events.probePackets = 1;
    } else {
      this.ptoTime(now);
      events.probeSpace = this.ptoSpace;
      events.probePackets = 2;
    }
    this.ptoCount++;
    this.counters.probeTimeouts++;
    this.setLossDetectionTimer(now);
    return events;
  }

  /**
   * The keys of Initial or Handshake were discarded (§A.11): its packets
   * leave bytes in flight without being acknowledged or lost, and its timers
   * stop. Their records are dropped and the space's memory released.
   */
  discardSpace(space: PacketNumberSpace, now: number): void {
    if (space === PacketNumberSpace.ApplicationData) throw new RangeError('the application data space is never discarded');
    if (this.discarded[space]) return;
    const history = this.histories[space];
    for (let i = 0; i < history.length; i++) {
      if (history.isOutstanding(i) && history.isInFlight(i)) this.bytesInFlight -= history.sentBytes(i);
    }
    history.release();
    this.discarded[space] = true;
    if (space === PacketNumberSpace.Initial) this.handshakeKeys = true;
    this.ackElicitingInFlight[space] = 0;
    this.lastAckElicitingTime[space] = 0;
    this.lossTime[space] = Infinity;
    this.ptoCount = 0;
    this.setLossDetectionTimer(now);
  }

  /** Handshake keys are installed (a client's anti-deadlock probe then goes in Handshake packets). */
  setHandshakeKeysAvailable(): void {
    this.handshakeKeys = true;
  }

  /** The handshake is confirmed (RFC 9001 §4.1.2): application-data PTOs start, max_ack_delay caps ACK delays. */
  setHandshakeConfirmed(now: number): void {
    if (this.handshakeConfirmed) return;
    this.handshakeConfirmed = true;
    this.setLossDetectionTimer(now);
  }

  /**
   * Server only: whether the anti-amplification limit (RFC 9000 §8.1) stops it
   * sending. A blocked server arms no PTO (it could not send the probe); when a
   * datagram unblocks it, the timer is armed again and may already be due —
   * call onTimeout if `lossDetectionDeadline <= now`.
   */
  setAntiAmplificationLimited(limited: boolean, now: number): void {
    if (limited === this.amplificationLimited) return;
    this.amplificationLimited = limited;
    this.setLossDetectionTimer(now);
  }

  /**
   * The connection moved to a new path whose capacity and delay are unknown
   * (RFC 9000 §9.4; not for a mere port change of a NAT rebinding): RTT and
   * congestion state start over. Packets already sent stay tracked.
   */
  onPathChanged(): void {
    this.rtt.reset();
    this.congestion.reset();
  }

  /** The path MTU changed. */
  setMaxDatagramSize(size: number): void {
    this.congestion.setMaxDatagramSize(size);
    this.pacer.setMaxDatagramSize(size);
  }

  // ---- what the connection asks ----

  get congestionWindow(): number {
    return this.congestion.congestionWindow;
  }

  /** Bytes the congestion window still allows (0 when full). PTO probes ignore it. */
  get sendWindow(): number {
    const room = this.congestion.congestionWindow - this.bytesInFlight;
    return room > 0 ? room : 0;
  }

  /** When the pacer lets the next full-sized datagram leave (ms, `now` when at once). */
  nextSendTime(now: number): number {
    const cc = this.congestion;
    return this.pacer.nextSendTime(now, cc.congestionWindow, this.rtt.smoothedRtt, cc.inSlowStart);
  }

  /** Largest packet number the peer acknowledged in `space` (-1 = none): packet-number encoding needs it (RFC 9000 §17.1). */
  largestAckedPacket(space: PacketNumberSpace): number {
    return this.largestAcked[space];
  }

  /** Largest packet number sent or skipped in `space` (-1 = none). */
  largestSentPacket(space: PacketNumberSpace): number {
    return this.histories[space].largestSent;
  }

  /** Whether `space` can record another packet without forgetting one in flight (the connection caps packets in flight). */
  hasRoom(space: PacketNumberSpace): boolean {
    return this.histories[space].hasRoom;
  }

  /** The PTO period without backoff, for the application space (idle timeout and closing period are multiples of it). */
  get ptoPeriod(): number {
    return this.rtt.ptoBase + this.maxAckDelay;
  }

  // ---- RFC 9002 Appendix A ----

  private get peerCompletedAddressValidation(): boolean {
    // A server assumes the client validated its address; a client knows once the server acknowledged a Handshake packet.
    return this.isServer || this.handshakeAckReceived || this.handshakeConfirmed;
  }

  private resetEvents(): RecoveryEvents<T> {
    const e = this.events;
    // pop() keeps the arrays' backing stores; `length = 0` drops them and the next push allocates again (4× slower per ACK)
    while (e.acked.length > 0) e.acked.pop();
    while (e.lost.length > 0) e.lost.pop();
    e.lostSpace = -1;
    e.probePackets = 0;
    e.probeSpace = PacketNumberSpace.Initial;
    return e;
  }

  /** The flat layout of `ranges`: the array itself when already flat, else the pairs copied into a reused scratch array. */
  private flatten(ranges: AckRanges): readonly number[] {
    if (ranges.length === 0 || !Array.isArray(ranges[0])) return ranges as readonly number[];
    const pairs = ranges as ReadonlyArray<readonly [number, number]>;
    const flat = this.scratchRanges;
    while (flat.length > 0) flat.pop();
    for (let r = 0; r < pairs.length; r++) {
      const pair = pairs[r];
      if (!Array.isArray(pair) || pair.length !== 2) throw new QuicError(QuicErrorCode.FRAME_ENCODING_ERROR, `ACK range ${r} is not a pair`, ACK_FRAME_TYPE);
      flat.push(pair[1], pair[0]);
    }
    return flat;
  }

  /** FRAME_ENCODING_ERROR for ranges no ACK frame can encode; PROTOCOL_VIOLATION for packet numbers never sent. No state is touched first. */
  private validateRanges(history: SentPacketHistory<T>, ranges: readonly number[]): void {
    if (ranges.length === 0 || ranges.length % 2 !== 0) {
      throw new QuicError(QuicErrorCode.FRAME_ENCODING_ERROR, `ACK frame with ${ranges.length / 2} ranges`, ACK_FRAME_TYPE);
    }
    let below = Infinity;
    for (let r = 0; r < ranges.length; r += 2) {
      const largest = ranges[r];
      const smallest = ranges[r + 1];
      if (!Number.isSafeInteger(smallest) || !Number.isSafeInteger(largest) || smallest < 0 || smallest > largest || largest >= below - 1) {
        throw new QuicError(
          QuicErrorCode.FRAME_ENCODING_ERROR,
          `ACK range ${r / 2} [${smallest}, ${largest}] is not a descending, separated range of packet numbers`,
          ACK_FRAME_TYPE,
        );
      }
      below = smallest;
    }
    if (ranges[0] > history.largestSent) {
      throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, `ACK of packet ${ranges[0]}, never sent (largest sent ${history.largestSent})`, ACK_FRAME_TYPE);
    }
    if (!history.hasSkipped) return;
    for (let r = 0; r < ranges.length; r += 2) {
      const skipped = history.skippedWithin(ranges[r + 1], ranges[r]);
      if (skipped >= 0) throw new QuicError(QuicErrorCode.PROTOCOL_VIOLATION, `ACK of packet ${skipped}, which was never sent`, ACK_FRAME_TYPE);
    }
  }

  /**
   * §A.10 plus the CC reaction of §B.8: declare lost what is PACKET_THRESHOLD
   * behind the largest acknowledged or older than the loss delay, arm the
   * loss timer for the rest, and check for persistent congestion: two
   * ack-eliciting packets lost, sent more than the persistent congestion
   * duration apart after the first RTT sample, with nothing acknowledged in
   * between (in this space; Initial and Handshake are short-lived).
   * Returns whether persistent congestion was established.
   */
  private detectLostPackets(space: PacketNumberSpace, now: number): boolean {
    this.lossTime[space] = Infinity;
    const largestAcked = this.largestAcked[space];
    if (largestAcked < 0) return false;
    const history = this.histories[space];
    const events = this.events;
    const rtt = this.rtt;
    const lossDelay = rtt.lossDelay;
    const persistentDuration = (rtt.ptoBase + this.maxAckDelay) * PERSISTENT_CONGESTION_THRESHOLD;
    const firstSample = rtt.hasRttSample ? rtt.firstSampleTime : Infinity;
    let lastLossTime = -Infinity;
    let runStart = -1;
    let persistent = false;
    for (let i = 0; i < history.length; i++) {
      const pn = history.packetNumber(i);
      if (pn > largestAcked) break;
      if (!history.isOutstanding(i)) {
        if (history.isAcked(i)) runStart = -1;
        continue;
      }
      const timeSent = history.timeSent(i);
      // Compared as time_sent + loss_delay against now, the very sum the loss timer is armed with: the RFC's
      // time_sent <= now − loss_delay can round the other way, and the timer then fires forever at the same time.
      const lostAt = timeSent + lossDelay;
      if (lostAt > now && pn + PACKET_THRESHOLD > largestAcked) {
        if (lostAt < this.lossTime[space]) this.lossTime[space] = lostAt;
        runStart = -1;
        continue;
      }
      this.counters.packetsLost++;
      if (history.isInFlight(i)) {
        const size = history.sentBytes(i);
        this.bytesInFlight -= size;
        this.counters.bytesLost += size;
        if (timeSent > lastLossTime) lastLossTime = timeSent;
        if (history.isAckEliciting(i)) {
          this.ackElicitingInFlight[space]--;
          if (timeSent > firstSample) {
            if (runStart < 0) runStart = timeSent;
            else if (timeSent - runStart > persistentDuration) persistent = true;
          }
        }
      }
      events.lost.push(history.markLost(i));
    }
    if (events.lost.length > 0) events.lostSpace = space;
    if (lastLossTime === -Infinity) return false;
    this.congestionEvent(lastLossTime, now);
    if (!persistent) return false;
    this.counters.persistentCongestions++;
    this.congestion.onPersistentCongestion(now);
    rtt.onPersistentCongestion();
    return true;
  }

  /** Loss or ECN-CE of a packet sent at `timeSent`; counted when it opens a recovery period. */
  private congestionEvent(timeSent: number, now: number): void {
    if (this.congestion.isInRecovery(timeSent)) return;
    this.counters.congestionEvents++;
    this.congestion.onCongestionEvent(timeSent, now);
  }

  /** §A.8 GetPtoTimeAndSpace: returns the time and leaves the space in this.ptoSpace. */
  private ptoTime(now: number): number {
    let duration = this.rtt.ptoBase * 2 ** this.ptoCount;
    const inFlight = this.ackElicitingInFlight;
    if (inFlight[0] + inFlight[1] + inFlight[2] === 0) {
      this.ptoSpace = this.handshakeKeys ? PacketNumberSpace.Handshake : PacketNumberSpace.Initial;
      return now + duration;
    }
    let time = Infinity;
    this.ptoSpace = PacketNumberSpace.Initial;
    for (let s = 0; s < SPACES; s++) {
      if (inFlight[s] === 0) continue;
      if (s === PacketNumberSpace.ApplicationData) {
        if (!this.handshakeConfirmed) return time;
        duration += this.maxAckDelay * 2 ** this.ptoCount;
      }
      const t = this.lastAckElicitingTime[s] + duration;
      if (t < time) {
        time = t;
        this.ptoSpace = s as PacketNumberSpace;
      }
    }
    return time;
  }

  /** §A.8 SetLossDetectionTimer. */
  private setLossDetectionTimer(now: number): void {
    const lt = this.lossTime;
    const earliestLoss = Math.min(lt[0], lt[1], lt[2]);
    if (earliestLoss !== Infinity) {
      this.lossDetectionDeadline = earliestLoss;
      return;
    }
    if (this.isServer && this.amplificationLimited) {
      this.lossDetectionDeadline = Infinity;
      return;
    }
    const inFlight = this.ackElicitingInFlight;
    if (inFlight[0] + inFlight[1] + inFlight[2] === 0 && this.peerCompletedAddressValidation) {
      this.lossDetectionDeadline = Infinity;
      return;
    }
    this.lossDetectionDeadline = this.ptoTime(now);
  }
}
