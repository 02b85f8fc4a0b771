/**
 * All the streams of one QUIC connection (RFC 9000 §2–4), sans-I/O: the
 * connection feeds it the stream-related frames it decoded and the fate
 * (acknowledged, lost) of the frames it sent; the application opens, writes,
 * reads, resets and stops streams; out come control frames, STREAM frame
 * contents in round-robin order, and events. Every rule a peer can break
 * throws QuicError, which the connection turns into CONNECTION_CLOSE.
 *
 * Memory: what the peer sends is held only within the flow-control windows
 * we advertised (per stream and for the connection), with a cap on
 * out-of-order fragments per stream and per connection; stream state exists
 * only for streams within the stream limits we advertised.
 */
import { QuicError, QuicErrorCode } from '../quic-error.js';
import type { TransportParameters } from '../transport-parameters.js';
import { ReceiveFlowWindow, SendFlowCredit } from './flow-control.js';
import { FrameType, type Frame, type StreamFrame } from '../frames/frame.js';
import { streamFrameHeaderLength } from '../frames/frame-writer.js';
import { ReceiveStream, type ReceiveStreamState } from './receive-stream.js';
import type { SendChunk } from './send-buffer.js';
import { SendStream } from './send-stream.js';
import { isUnidirectional, streamIdOf, streamIndex, streamInitiator, streamTypeOf, type StreamDirection, type StreamInitiator } from './stream-id.js';
import { LocalStreamLimit, MAX_STREAM_COUNT, PeerStreamLimit } from './stream-limits.js';
import type { StreamControlFrame, StreamEvent } from './stream-frames.js';
import { StreamScheduler } from './stream-scheduler.js';

/**
 * The stream-related transport parameters (RFC 9000 §18.2), ours or the
 * peer's: a whole TransportParameters object will do.
 */
export type StreamTransportParameters = Pick<
  TransportParameters,
  | 'initialMaxData'
  | 'initialMaxStreamDataBidiLocal'
  | 'initialMaxStreamDataBidiRemote'
  | 'initialMaxStreamDataUni'
  | 'initialMaxStreamsBidi'
  | 'initialMaxStreamsUni'
>;

export interface ConnectionStreamsOptions {
  role: StreamInitiator;
  /** What we advertise in our transport parameters. */
  local: StreamTransportParameters;
  /** Auto-tuning stops growing the connection window here (default: the larger of 16 MiB and initialMaxData). */
  maxConnectionWindow?: number;
  /** Auto-tuning stops growing a stream window here (default: the larger of 6 MiB and the initial stream window). */
  maxStreamWindow?: number;
  /** `write` returns false, and 'writable' follows, at this many unacknowledged bytes per stream (default 256 KiB). */
  sendHighWaterMark?: number;
  /** Out-of-order fragments held per stream (default 1024). */
  maxFragmentsPerStream?: number;
  /** Out-of-order fragments held over all streams (default 8192). */
  maxFragmentsPerConnection?: number;
}

/** What happened to a connection's streams, for metrics and logs (every limit has a counter). */
export interface StreamCounters {
  peerStreamsOpened: number;
  localStreamsOpened: number;
  streamsClosed: number;
  /** RESET_STREAM frames that ended a receive half. */
  resetsReceived: number;
  /** RESET_STREAM frames sent (retransmissions included). */
  resetsSent: number;
  stopSendingReceived: number;
  stopSendingSent: number;
  /** DATA_BLOCKED and STREAM_DATA_BLOCKED sent: the peer's credit held our sending back. */
  blockedFramesSent: number;
  /** STREAMS_BLOCKED sent: the peer's stream limit held the application back. */
  streamsBlockedSent: number;
  /** Receive windows (a stream's or the connection's) doubled by auto-tuning. */
  windowGrowths: number;
}

/** One stream's two halves (one is absent on a unidirectional stream) and its connection-level bookkeeping. */
class StreamEntry {
  /** Bytes of this stream counted as consumed at the connection level (read, or given up). */
  creditedToConnection = 0;
  fragments = 0;
  readableSignalled = false;
  constructor(
    readonly id: number,
    readonly send: SendStream | undefined,
    readonly recv: ReceiveStream | undefined,
  ) {}
}

function pickStreamParameters(p: StreamTransportParameters): StreamTransportParameters {
  return {
    initialMaxData: p.initialMaxData,
    initialMaxStreamDataBidiLocal: p.initialMaxStreamDataBidiLocal,
    initialMaxStreamDataBidiRemote: p.initialMaxStreamDataBidiRemote,
    initialMaxStreamDataUni: p.initialMaxStreamDataUni,
    initialMaxStreamsBidi: p.initialMaxStreamsBidi,
    initialMaxStreamsUni: p.initialMaxStreamsUni,
  };
}

const NO_PEER_PARAMETERS: StreamTransportParameters = {
  initialMaxData: 0,
  initialMaxStreamDataBidiLocal: 0,
  initialMaxStreamDataBidiRemote: 0,
  initialMaxStreamDataUni: 0,
  initialMaxStreamsBidi: 0,
  initialMaxStreamsUni: 0,
};

export class ConnectionStreams {
  readonly role: StreamInitiator;
  private readonly local: StreamTransportParameters;
  private peer: StreamTransportParameters = NO_PEER_PARAMETERS;
  private readonly streams = new Map<number, StreamEntry>();
  private readonly receiveWindow: ReceiveFlowWindow;
  private readonly sendCredit = new SendFlowCredit(0);
  /** Sum over streams of the highest offset received (what counts against our MAX_DATA). */
  private receivedTotal = 0;
  private fragmentsTotal = 0;
  private readonly peerBidi: PeerStreamLimit;
  private readonly peerUni: PeerStreamLimit;
  private readonly localBidi = new LocalStreamLimit();
  private readonly localUni = new LocalStreamLimit();
  private readonly scheduler = new StreamScheduler();
  /** Streams with data held back only by connection credit: back into the scheduler on MAX_DATA. */
  private readonly waitingForConnectionCredit = new Set<number>();
  /** Streams that may have a control frame due (RESET_STREAM, STOP_SENDING, MAX_STREAM_DATA, STREAM_DATA_BLOCKED). */
  private readonly controlDue = new Set<number>();
  private readonly events: StreamEvent[] = [];
  readonly counters: StreamCounters = {
    peerStreamsOpened: 0,
    localStreamsOpened: 0,
    streamsClosed: 0,
    resetsReceived: 0,
    resetsSent: 0,
    stopSendingReceived: 0,
    stopSendingSent: 0,
    blockedFramesSent: 0,
    streamsBlockedSent: 0,
    windowGrowths: 0,
  };
  private eventsRead = 0;
  private smoothedRtt = 0;
  /** The latest time the application read at (ms), for auto-tuning samples; -1 before the first read. */
  private lastReadAt = -1;
  private readonly maxStreamWindow: number;
  private readonly sendHighWaterMark: number;
  private readonly maxFragmentsPerStream: number;
  private readonly maxFragmentsPerConnection: number;

  constructor(options: ConnectionStreamsOptions) {
    this.role = options.role;
    this.local = pickStreamParameters(options.local);
    this.receiveWindow = new ReceiveFlowWindow(
      options.local.initialMaxData,
      Math.max(options.maxConnectionWindow ?? 16 * 1024 * 1024, options.local.initialMaxData),
    );
    this.maxStreamWindow = options.maxStreamWindow ?? 6 * 1024 * 1024;
    this.sendHighWaterMark = options.sendHighWaterMark ?? 256 * 1024;
    this.maxFragmentsPerStream = options.maxFragmentsPerStream ?? 1024;
    this.maxFragmentsPerConnection = options.maxFragmentsPerConnection ?? 8192;
    if (options.local.initialMaxStreamsBidi > MAX_STREAM_COUNT || options.local.initialMaxStreamsUni > MAX_STREAM_COUNT) {
      throw new RangeError('initialMaxStreams above 2^60');
    }
    this.peerBidi = new PeerStreamLimit(options.local.initialMaxStreamsBidi);
    this.peerUni = new PeerStreamLimit(options.local.initialMaxStreamsUni);
  }

  // ---- Inputs from the connection ------------------------------------------------

  /** The smoothed RTT in milliseconds (from recovery), for window auto-tuning. */
  updateRtt(smoothedRttMs: number): void {
    this.smoothedRtt = smoothedRttMs;
  }

  /**
   * The peer's transport parameters (RFC 9000 §7.4): its credit for the
   * connection, its streams and the streams we open. May come after streams
   * were opened (0-RTT, or parameters remembered for it): credit only grows.
   */
  setPeerParameters(peer: StreamTransportParameters): void {
    this.peer = pickStreamParameters(peer);
    if (this.sendCredit.raise(peer.initialMaxData)) this.resumeConnectionWaiters();
    const bidiGrew = this.localBidi.raise(peer.initialMaxStreamsBidi, 0);
    const uniGrew = this.localUni.raise(peer.initialMaxStreamsUni, 0);
    for (const entry of this.streams.values()) {
      if (entry.send === undefined) continue;
      if (entry.send.credit.raise(this.sendLimitFor(entry.id))) this.scheduleIfSendable(entry);
    }
    if (bidiGrew) this.events.push({ type: 'streams-available', direction: 'bidi' });
    if (uniGrew) this.events.push({ type: 'streams-available', direction: 'uni' });
  }

  /**
   * Any decoded frame: the stream-related ones are handled (true), others
   * left to the caller (false). CRYPTO frames are not ours: they go to the
   * CryptoStream of their packet-number space.
   */
  onFrame(frame: Frame): boolean {
    switch (frame.type) {
      case 'stream':
        this.onStreamFrame(frame.streamId, frame.offset, frame.data, frame.fin);
        return true;
      case 'reset_stream':
        this.onResetStream(frame.streamId, frame.errorCode, frame.finalSize);
        return true;
      case 'stop_sending':
        this.onStopSending(frame.streamId, frame.errorCode);
        return true;
      case 'max_data':
        this.onMaxData(frame.maximum);
        return true;
      case 'max_stream_data':
        this.onMaxStreamData(frame.streamId, frame.maximum);
        return true;
      case 'max_streams':
        this.onMaxStreams(frame.bidirectional, frame.maximum);
        return true;
      case 'data_blocked':
        this.onDataBlocked(frame.limit);
        return true;
      case 'stream_data_blocked':
        this.onStreamDataBlocked(frame.streamId, frame.limit);
        return true;
      case 'streams_blocked':
        this.onStreamsBlocked(frame.bidirectional, frame.limit);
        return true;
      default:
        return false;
    }
  }

  /** A STREAM frame. */
  onStreamFrame(streamId: number, offset: number, data: Uint8Array, fin: boolean): void {
    const entry = this.receivingStream(streamId, FrameType.STREAM);
    if (entry === undefined) return;
    const recv = entry.recv!;
    this.checkConnectionLimit(recv, offset + data.length, FrameType.STREAM);
    this.receivedTotal += recv.onStreamFrame(offset, data, fin);
    this.countFragments(entry, FrameType.STREAM);
    this.settleConnectionCredit(entry);
    if (recv.hasReadable || recv.state === 'data-recvd') this.signalReadable(entry);
    this.closeIfDone(entry);
  }

  /** A RESET_STREAM frame: the peer abandoned the stream's sending half. */
  onResetStream(streamId: number, errorCode: number, finalSize: number): void {
    const entry = this.receivingStream(streamId, FrameType.RESET_STREAM);
    if (entry === undefined) return;
    const recv = entry.recv!;
    this.checkConnectionLimit(recv, finalSize, FrameType.RESET_STREAM);
    const wasDelivering = recv.state === 'recv' || recv.state === 'size-known';
    this.receivedTotal += recv.onResetStream(errorCode, finalSize);
    this.countFragments(entry, FrameType.RESET_STREAM);
    this.settleConnectionCredit(entry);
    if (wasDelivering && (recv.state as ReceiveStreamState) === 'reset-recvd') {
      this.counters.resetsReceived++;
      if (!recv.readingStopped) this.events.push({ type: 'reset', streamId, errorCode });
      recv.resetDelivered();
    }
    this.closeIfDone(entry);
  }

  /** A STOP_SENDING frame: answer with RESET_STREAM (§3.5). */
  onStopSending(streamId: number, errorCode: number): void {
    const entry = this.sendingStream(streamId, FrameType.STOP_SENDING);
    if (entry === undefined) return;
    const send = entry.send!;
    const first = send.stopSendingCode === undefined && !send.isResetting;
    send.onStopSending(errorCode);
    this.scheduler.remove(streamId);
    this.waitingForConnectionCredit.delete(streamId);
    this.controlDue.add(streamId);
    if (first) {
      this.counters.stopSendingReceived++;
      this.events.push({ type: 'stop-sending', streamId, errorCode });
    }
    this.closeIfDone(entry);
  }

  onMaxData(maximum: number): void {
    if (this.sendCredit.raise(maximum)) this.resumeConnectionWaiters();
  }

  onMaxStreamData(streamId: number, maximum: number): void {
    const entry = this.sendingStream(streamId, FrameType.MAX_STREAM_DATA);
    if (entry === undefined) return;
    if (entry.send!.credit.raise(maximum)) this.scheduleIfSendable(entry);
  }

  onMaxStreams(bidirectional: boolean, maximum: number): void {
    const limit = bidirectional ? this.localBidi : this.localUni;
    const wasBlocked = !limit.canOpen;
    const frameType = bidirectional ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI;
    if (limit.raise(maximum, frameType) && wasBlocked) this.events.push({ type: 'streams-available', direction: bidirectional ? 'bidi' : 'uni' });
  }

  /** DATA_BLOCKED: the peer waits for connection credit. Credit follows reading, so there is nothing to do but let it be seen. */
  onDataBlocked(_limit: number): void {}

  onStreamDataBlocked(streamId: number, _limit: number): void {
    this.receivingStream(streamId, FrameType.STREAM_DATA_BLOCKED);
  }

  /** STREAMS_BLOCKED: grant what closed streams allow now instead of waiting for the batch. */
  onStreamsBlocked(bidirectional: boolean, limit: number): void {
    const frameType = bidirectional ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI;
    if (limit > MAX_STREAM_COUNT) throw new QuicError(QuicErrorCode.FRAME_ENCODING_ERROR, `STREAMS_BLOCKED ${limit} above 2^60`, frameType);
    (bidirectional ? this.peerBidi : this.peerUni).onStreamsBlocked();
  }

  /** A control frame we sent was acknowledged. */
  onControlFrameAcked(frame: StreamControlFrame): void {
    if (frame.type !== 'reset_stream') return;
    const entry = this.streams.get(frame.streamId);
    if (entry?.send === undefined) return;
    entry.send.onResetAcked();
    this.closeIfDone(entry);
  }

  /** A control frame we sent was declared lost: queue it again if it still matters (RFC 9000 §13.3). */
  onControlFrameLost(frame: StreamControlFrame): void {
    switch (frame.type) {
      case 'max_data':
        this.receiveWindow.announced.onLost(frame.maximum);
        return;
      case 'data_blocked':
        this.sendCredit.onBlockedLost(frame.limit);
        return;
      case 'max_streams':
        (frame.bidirectional ? this.peerBidi : this.peerUni).announced.onLost(frame.maximum);
        return;
      case 'streams_blocked':
        (frame.bidirectional ? this.localBidi : this.localUni).onBlockedLost(frame.limit);
        return;
      default:
        break; // per-stream frames: below, once their stream is known
    }
    const entry = this.streams.get(frame.streamId);
    if (entry === undefined) return;
    switch (frame.type) {
      case 'max_stream_data':
        if (entry.recv?.wantsCredit) entry.recv.flow.announced.onLost(frame.maximum);
        break;
      case 'stream_data_blocked':
        entry.send?.credit.onBlockedLost(frame.limit);
        break;
      case 'reset_stream':
        entry.send?.onResetLost();
        break;
      case 'stop_sending':
        entry.recv?.onStopSendingLost();
        break;
    }
    this.controlDue.add(frame.streamId);
  }

  /** A STREAM frame we sent, [offset, offset + length) and maybe FIN, was acknowledged. */
  onStreamFrameAcked(streamId: number, offset: number, length: number, fin: boolean): void {
    const entry = this.streams.get(streamId);
    if (entry?.send === undefined) return;
    entry.send.onAcked(offset, length, fin);
    if (entry.send.takeWritable()) this.events.push({ type: 'writable', streamId });
    this.closeIfDone(entry);
  }

  /** A STREAM frame we sent was declared lost: its unacknowledged bytes go out again. */
  onStreamFrameLost(streamId: number, offset: number, length: number, fin: boolean): void {
    const entry = this.streams.get(streamId);
    if (entry?.send === undefined) return;
    entry.send.onLost(offset, length, fin);
    this.scheduleIfSendable(entry);
  }

  // ---- The application's side ----------------------------------------------------

  /** Opens a stream of ours; undefined at the peer's limit (STREAMS_BLOCKED goes out, 'streams-available' follows). */
  openStream(direction: StreamDirection): number | undefined {
    const limit = direction === 'bidi' ? this.localBidi : this.localUni;
    const index = limit.open();
    if (index === undefined) return undefined;
    const id = streamIdOf(streamTypeOf(this.role, direction), index);
    this.createEntry(id);
    this.counters.localStreamsOpened++;
    return id;
  }

  /** Queues data on a stream's sending half. False: at or above the high-water mark, wait for 'writable'. */
  write(streamId: number, data: Buffer): boolean {
    const entry = this.appStream(streamId, 'send');
    const below = entry.send!.write(data);
    this.scheduleIfSendable(entry);
    return below;
  }

  /** No more data on this stream: FIN follows the last byte. */
  end(streamId: number): void {
    const entry = this.appStream(streamId, 'send');
    entry.send!.end();
    this.scheduleIfSendable(entry);
  }

  /** Unacknowledged bytes on the stream's sending half (0 for an unknown or closed stream). */
  bufferedAmount(streamId: number): number {
    return this.streams.get(streamId)?.send?.bufferedBytes ?? 0;
  }

  /** Abandons sending: RESET_STREAM with `errorCode`. */
  resetStream(streamId: number, errorCode: number): void {
    const entry = this.appStream(streamId, 'send');
    entry.send!.reset(errorCode);
    this.scheduler.remove(streamId);
    this.waitingForConnectionCredit.delete(streamId);
    this.controlDue.add(streamId);
    this.closeIfDone(entry);
  }

  /** Stops reading: held data is dropped (its credit returned) and STOP_SENDING goes out unless all data is here. */
  stopReading(streamId: number, errorCode: number): void {
    const entry = this.appStream(streamId, 'recv');
    entry.recv!.stopReading(errorCode);
    this.countFragments(entry, FrameType.STOP_SENDING);
    this.settleConnectionCredit(entry);
    this.controlDue.add(streamId);
    this.closeIfDone(entry);
  }

  /**
   * The next in-order bytes of a stream (a view, at most `max`), or
   * undefined when none are ready; `now` (ms) times window auto-tuning.
   * After undefined, `readEnded` says whether the stream is over.
   */
  read(streamId: number, now: number, max?: number): Buffer | undefined {
    const entry = this.streams.get(streamId);
    const recv = entry?.recv;
    if (recv === undefined) return undefined;
    const data = recv.read(max);
    if (data === undefined) {
      entry!.readableSignalled = false;
      this.closeIfDone(entry!);
      return undefined;
    }
    this.countFragments(entry!, FrameType.STREAM);
    this.lastReadAt = now;
    const windowBefore = recv.flow.window;
    recv.flow.onConsumed(data.length, now, this.smoothedRtt);
    if (recv.flow.window > windowBefore) {
      this.counters.windowGrowths++;
      this.receiveWindow.ensureWindow(recv.flow.window * 1.5);
    }
    if (recv.flow.announced.isDue) this.controlDue.add(streamId);
    this.settleConnectionCredit(entry!);
    this.closeIfDone(entry!);
    return data;
  }

  /** The application read the stream to its end (FIN) or the stream is gone. */
  readEnded(streamId: number): boolean {
    const recv = this.streams.get(streamId)?.recv;
    return recv === undefined || recv.ended;
  }

  /** The next event for the application, or undefined. */
  pollEvent(): StreamEvent | undefined {
    if (this.eventsRead === this.events.length) return undefined;
    const event = this.events[this.eventsRead++]!;
    if (this.eventsRead === this.events.length) {
      this.events.length = 0;
      this.eventsRead = 0;
    }
    return event;
  }

  // ---- Outputs for the packet builder --------------------------------------------

  get hasControlFrames(): boolean {
    return (
      this.receiveWindow.announced.isDue ||
      this.sendCredit.blocked.isDue ||
      this.peerBidi.announced.isDue ||
      this.peerUni.announced.isDue ||
      this.localBidi.blocked.isDue ||
      this.localUni.blocked.isDue ||
      this.controlDue.size > 0
    );
  }

  /** Some stream had data to send when last looked at: `nextStreamFrame` may return something (or find credit gone). */
  get hasStreamData(): boolean {
    return this.scheduler.size > 0;
  }

  /** The next control frame due (send these before stream data), or undefined. */
  pollControlFrame(): StreamControlFrame | undefined {
    let value = this.receiveWindow.announced.take();
    if (value !== undefined) return { type: 'max_data', maximum: value };
    value = this.peerBidi.announced.take();
    if (value !== undefined) return { type: 'max_streams', bidirectional: true, maximum: value };
    value = this.peerUni.announced.take();
    if (value !== undefined) return { type: 'max_streams', bidirectional: false, maximum: value };
    value = this.sendCredit.blocked.take();
    if (value !== undefined) {
      this.counters.blockedFramesSent++;
      return { type: 'data_blocked', limit: value };
    }
    const streamsBlocked = this.takeStreamsBlocked(true) ?? this.takeStreamsBlocked(false);
    if (streamsBlocked !== undefined) return streamsBlocked;
    for (const streamId of this.controlDue) {
      const frame = this.takeStreamControlFrame(streamId);
      if (frame !== undefined) return frame;
      this.controlDue.delete(streamId);
    }
    return undefined;
  }

  private takeStreamsBlocked(bidirectional: boolean): StreamControlFrame | undefined {
    const limit = (bidirectional ? this.localBidi : this.localUni).blocked.take();
    if (limit === undefined) return undefined;
    this.counters.streamsBlockedSent++;
    return { type: 'streams_blocked', bidirectional, limit };
  }

  private takeStreamControlFrame(streamId: number): StreamControlFrame | undefined {
    const entry = this.streams.get(streamId);
    if (entry === undefined) return undefined;
    const { send, recv } = entry;
    const reset = send?.takeReset();
    if (reset !== undefined) {
      this.counters.resetsSent++;
      return { type: 'reset_stream', streamId, ...reset };
    }
    const stop = recv?.takeStopSending();
    if (stop !== undefined) {
      // It may have been all that kept a finished stream (its final size known) alive.
      this.closeIfDone(entry);
      this.counters.stopSendingSent++;
      return { type: 'stop_sending', streamId, errorCode: stop };
    }
    if (recv !== undefined) {
      const maximum = recv.flow.announced.take();
      if (maximum !== undefined && recv.wantsCredit) return { type: 'max_stream_data', streamId, maximum };
    }
    const blocked = send?.takeBlocked();
    if (blocked !== undefined) {
      this.counters.blockedFramesSent++;
      return { type: 'stream_data_blocked', streamId, limit: blocked };
    }
    return undefined;
  }

  /**
   * The next STREAM frame, round robin over streams with data, taking at
   * most `room` bytes of packet, header (with a Length field) included.
   * Lost data goes before new data within a stream; new data takes
   * connection and stream credit. `data` is a view of what the application
   * wrote: encode it, do not keep it.
   */
  nextStreamFrame(room: number): StreamFrame | undefined {
    for (let tries = this.scheduler.size; tries > 0; tries--) {
      const streamId = this.scheduler.peek()!;
      const entry = this.streams.get(streamId);
      const send = entry?.send;
      if (send === undefined) {
        this.scheduler.remove(streamId);
        continue;
      }
      const header = streamFrameHeaderLength(streamId, send.nextOffset, room, true);
      const chunk: SendChunk | undefined = room >= header ? send.nextChunk(room - header, this.sendCredit.available) : undefined;
      if (chunk !== undefined) {
        this.sendCredit.consume(chunk.newBytes);
        if (send.credit.blocked.isDue) this.controlDue.add(streamId);
        this.parkOrRotate(entry!);
        return { type: 'stream', streamId, offset: chunk.offset, data: chunk.data, fin: chunk.fin };
      }
      this.parkOrRotate(entry!);
    }
    return undefined;
  }

  /** After a turn: back of the queue if it can send more now, else wait for the credit it lacks. */
  private parkOrRotate(entry: StreamEntry): void {
    const send = entry.send!;
    if (send.canSend(this.sendCredit.available)) {
      this.scheduler.rotate(entry.id);
      return;
    }
    this.scheduler.remove(entry.id);
    if (!send.hasUnsentData) return;
    if (send.blockedByStreamCredit) {
      send.credit.noteBlocked();
      if (send.credit.blocked.isDue) this.controlDue.add(entry.id);
    } else if (this.sendCredit.available <= 0) {
      this.waitingForConnectionCredit.add(entry.id);
      this.sendCredit.noteBlocked();
    }
  }

  // ---- Introspection (stats, tests) ---------------------------------------------

  /** Streams with state. */
  get streamCount(): number {
    return this.streams.size;
  }

  hasStream(streamId: number): boolean {
    return this.streams.has(streamId);
  }

  /** Bytes held for reassembly over all streams (never above the connection window). */
  get receiveBufferedBytes(): number {
    let total = 0;
    for (const entry of this.streams.values()) total += entry.recv?.bufferedBytes ?? 0;
    return total;
  }

  /** The flow-control state, for stats and tests. */
  get flowControl(): {
    receiveLimit: number;
    receiveWindow: number;
    received: number;
    consumed: number;
    sendLimit: number;
    sent: number;
  } {
    return {
      receiveLimit: this.receiveWindow.limit,
      receiveWindow: this.receiveWindow.window,
      received: this.receivedTotal,
      consumed: this.receiveWindow.consumed,
      sendLimit: this.sendCredit.limit,
      sent: this.sendCredit.used,
    };
  }

  /** A stream's halves, for stats and tests (undefined once closed). */
  stream(streamId: number): { send: SendStream | undefined; recv: ReceiveStream | undefined } | undefined {
    const entry = this.streams.get(streamId);
    return entry === undefined ? undefined : { send: entry.send, recv: entry.recv };
  }

  // ---- Internals ----------------------------------------------------------------

  private isLocal(streamId: number): boolean {
    return streamInitiator(streamId) === this.role;
  }

  /** The peer's credit for a new stream's sending half. */
  private sendLimitFor(streamId: number): number {
    if (isUnidirectional(streamId)) return this.peer.initialMaxStreamDataUni;
    return this.isLocal(streamId) ? this.peer.initialMaxStreamDataBidiRemote : this.peer.initialMaxStreamDataBidiLocal;
  }

  /** Our window for a new stream's receiving half. */
  private receiveWindowFor(streamId: number): number {
    if (isUnidirectional(streamId)) return this.local.initialMaxStreamDataUni;
    return this.isLocal(streamId) ? this.local.initialMaxStreamDataBidiLocal : this.local.initialMaxStreamDataBidiRemote;
  }

  private createEntry(streamId: number): StreamEntry {
    const local = this.isLocal(streamId);
    const uni = isUnidirectional(streamId);
    const send = !uni || local ? new SendStream(streamId, this.sendLimitFor(streamId), this.sendHighWaterMark) : undefined;
    let recv: ReceiveStream | undefined;
    if (!uni || !local) {
      const window = this.receiveWindowFor(streamId);
      recv = new ReceiveStream(streamId, window, Math.max(window, this.maxStreamWindow), this.maxFragmentsPerStream);
    }
    const entry = new StreamEntry(streamId, send, recv);
    this.streams.set(streamId, entry);
    return entry;
  }

  /**
   * The stream a frame about the peer's sending half refers to (STREAM,
   * RESET_STREAM, STREAM_DATA_BLOCKED): opening peer streams up to it,
   * undefined if it is closed, STREAM_STATE_ERROR if that half cannot exist.
   */
  private receivingStream(streamId: number, frameType: number): StreamEntry | undefined {
    if (this.isLocal(streamId) && isUnidirectional(streamId)) {
      throw new QuicError(QuicErrorCode.STREAM_STATE_ERROR, `stream ${streamId} is our send-only stream`, frameType);
    }
    return this.knownOrOpened(streamId, frameType);
  }

  /** The stream a frame about our sending half refers to (STOP_SENDING, MAX_STREAM_DATA). */
  private sendingStream(streamId: number, frameType: number): StreamEntry | undefined {
    if (!this.isLocal(streamId) && isUnidirectional(streamId)) {
      throw new QuicError(QuicErrorCode.STREAM_STATE_ERROR, `stream ${streamId} is the peer's send-only stream`, frameType);
    }
    return this.knownOrOpened(streamId, frameType);
  }

  private knownOrOpened(streamId: number, frameType: number): StreamEntry | undefined {
    const known = this.streams.get(streamId);
    if (known !== undefined) return known;
    const index = streamIndex(streamId);
    if (this.isLocal(streamId)) {
      const limit = isUnidirectional(streamId) ? this.localUni : this.localBidi;
      if (index >= limit.opened) {
        throw new QuicError(QuicErrorCode.STREAM_STATE_ERROR, `stream ${streamId} is ours and was never opened`, frameType);
      }
      return undefined; // ours, closed: a late or repeated frame
    }
    const uni = isUnidirectional(streamId);
    const limit = uni ? this.peerUni : this.peerBidi;
    const firstNew = limit.opened;
    if (limit.open(index, frameType) === 0) return undefined; // the peer's, closed
    const type = streamTypeOf(this.role === 'client' ? 'server' : 'client', uni ? 'uni' : 'bidi');
    for (let i = firstNew; i <= index; i++) {
      const id = streamIdOf(type, i);
      this.createEntry(id);
      this.counters.peerStreamsOpened++;
      this.events.push({ type: 'opened', streamId: id });
    }
    return this.streams.get(streamId);
  }

  private appStream(streamId: number, half: 'send' | 'recv'): StreamEntry {
    const entry = this.streams.get(streamId);
    if (entry === undefined || entry[half] === undefined) {
      throw new Error(`stream ${streamId}: no ${half === 'send' ? 'sending' : 'receiving'} half (unknown, closed, or the wrong direction)`);
    }
    return entry;
  }

  /** §4.1: the sum of the streams' highest offsets may not pass our MAX_DATA. */
  private checkConnectionLimit(recv: ReceiveStream, end: number, frameType: number): void {
    if (end <= recv.highestReceived) return;
    const total = this.receivedTotal + (end - recv.highestReceived);
    if (this.receiveWindow.exceededBy(total)) {
      throw new QuicError(
        QuicErrorCode.FLOW_CONTROL_ERROR,
        `stream ${recv.id}: connection data would reach ${total} bytes, past the ${this.receiveWindow.limit}-byte limit we advertised`,
        frameType,
      );
    }
  }

  private countFragments(entry: StreamEntry, frameType: number): void {
    const now = entry.recv?.fragmentCount ?? 0;
    this.fragmentsTotal += now - entry.fragments;
    entry.fragments = now;
    if (this.fragmentsTotal > this.maxFragmentsPerConnection) {
      throw new QuicError(QuicErrorCode.INTERNAL_ERROR, `more than ${this.maxFragmentsPerConnection} out-of-order fragments held over all streams`, frameType);
    }
  }

  /**
   * Connection credit follows what each stream's reader took — or, once the
   * stream is reset or no longer read, everything the peer sent on it (those
   * bytes will never be read, so they must not hold the window shut).
   */
  private settleConnectionCredit(entry: StreamEntry): void {
    const recv = entry.recv!;
    const delivering = !recv.readingStopped && recv.state !== 'reset-recvd' && recv.state !== 'reset-read';
    const target = delivering ? recv.readOffset : recv.highestReceived;
    const delta = target - entry.creditedToConnection;
    if (delta <= 0) return;
    entry.creditedToConnection = target;
    const windowBefore = this.receiveWindow.window;
    this.receiveWindow.onConsumed(delta, this.lastReadAt, this.lastReadAt < 0 ? 0 : this.smoothedRtt);
    if (this.receiveWindow.window > windowBefore) this.counters.windowGrowths++;
  }

  private signalReadable(entry: StreamEntry): void {
    if (entry.readableSignalled) return;
    entry.readableSignalled = true;
    this.events.push({ type: 'readable', streamId: entry.id });
  }

  private scheduleIfSendable(entry: StreamEntry): void {
    const send = entry.send;
    if (send === undefined || this.scheduler.has(entry.id)) return;
    if (send.canSend(this.sendCredit.available)) {
      this.waitingForConnectionCredit.delete(entry.id);
      this.scheduler.schedule(entry.id);
    } else if (send.hasUnsentData && !send.blockedByStreamCredit) {
      this.waitingForConnectionCredit.add(entry.id);
      this.sendCredit.noteBlocked();
    } else if (send.blockedByStreamCredit) {
      send.credit.noteBlocked();
      if (send.credit.blocked.isDue) this.controlDue.add(entry.id);
    }
  }

  private resumeConnectionWaiters(): void {
    for (const streamId of this.waitingForConnectionCredit) {
      this.waitingForConnectionCredit.delete(streamId);
      const entry = this.streams.get(streamId);
      if (entry !== undefined) this.scheduleIfSendable(entry);
    }
  }

  /** Both halves finished: forget the stream, and let the peer open another in its place. */
  private closeIfDone(entry: StreamEntry): void {
    if (entry.send !== undefined && !entry.send.isTerminal) return;
    if (entry.recv !== undefined && !entry.recv.isTerminal) return;
    if (entry.send !== undefined && entry.send.hasPendingReset) return;
    if (entry.recv !== undefined && entry.recv.hasPendingStopSending) return;
    const id = entry.id;
    this.streams.delete(id);
    this.scheduler.remove(id);
    this.waitingForConnectionCredit.delete(id);
    this.controlDue.delete(id);
    this.fragmentsTotal -= entry.fragments;
    if (!this.isLocal(id)) (isUnidirectional(id) ? this.peerUni : this.peerBidi).onClosed();
    this.counters.streamsClosed++;
    this.events.push({ type: 'closed', streamId: id });
  }
}
