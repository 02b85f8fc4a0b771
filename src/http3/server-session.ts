/**
 * The server side of one HTTP/3 connection (RFC 9114), without I/O.
 *
 * The QUIC transport feeds it stream events (onStreamData / onStreamReset /
 * onStreamStopSending) and gives it an Http3Transport to write through; the
 * application gets request events and answers with sendHeaders / sendData /
 * sendTrailers. Everything the peer can get wrong ends in the RFC's error:
 * a connection close or a stream reset with the right code, counted in
 * `errorCounts`.
 *
 * QPACK: we decode with a dynamic table (capacity and blocked streams from
 * our SETTINGS) and encode with the static table and literals only, so our
 * responses never block the client.
 */
import {
  H3_CLOSED_CRITICAL_STREAM,
  H3_FRAME_UNEXPECTED,
  H3_ID_ERROR,
  H3_EXCESSIVE_LOAD,
  H3_FRAME_ERROR,
  H3_INTERNAL_ERROR,
  H3_MESSAGE_ERROR,
  H3_MISSING_SETTINGS,
  H3_NO_ERROR,
  H3_REQUEST_INCOMPLETE,
  H3_REQUEST_REJECTED,
  H3_STREAM_CREATION_ERROR,
  Http3Error,
  QPACK_DECODER_STREAM_ERROR,
  h3ErrorName,
} from './error-codes.js';
import { FrameReader } from './frame-reader.js';
import {
  FRAME_CANCEL_PUSH,
  FRAME_DATA,
  FRAME_GOAWAY,
  FRAME_HEADERS,
  FRAME_MAX_PUSH_ID,
  FRAME_SETTINGS,
  STREAM_CONTROL,
  STREAM_PUSH,
  STREAM_QPACK_DECODER,
  STREAM_QPACK_ENCODER,
  encodeFrameHeader,
  encodeGoawayFrame,
} from './frames.js';
import { QpackDecoder, type DecodedSection, type FieldLine } from './qpack/decoder.js';
import { encodeFieldSection } from './qpack/encoder.js';
import { QpackError } from './qpack/qpack-error.js';
import { CONNECTION_SPECIFIC_FIELDS, validateRequestHeaders, validateTrailers, type Http3Request } from './request-validation.js';
import { DEFAULT_SETTINGS, encodeSettingsFrame, parseSettings, type Http3Settings } from './settings.js';
import { readVarint, varintLengthFromFirstByte } from '../quic/varint.js';

export type { Http3Request } from './request-validation.js';
export type { FieldLine } from './qpack/decoder.js';

/** What the session needs from the QUIC connection. Stream IDs are numbers (exact below 2^53). */
export interface Http3Transport {
  writeStream(streamId: number, data: Buffer, fin: boolean): void;
  resetStream(streamId: number, code: number): void;
  stopSending(streamId: number, code: number): void;
  /** Opens a server-initiated unidirectional stream and returns its ID. */
  openUniStream(): number;
  closeConnection(code: number, reason: string): void;
}

export interface Http3ServerEvents {
  request(streamId: number, request: Http3Request): void;
  data(streamId: number, chunk: Buffer): void;
  /** The request body is complete; trailers if the client sent any. */
  end(streamId: number, trailers?: FieldLine[]): void;
  /** The request stream was reset, refused or broke a rule after `request` was emitted. */
  aborted(streamId: number, code: number): void;
  /** The client sent GOAWAY (with the push ID it carried). */
  goaway?(id: number): void;
  /** After our goaway(): every request stream still in flight has finished. */
  drained?(): void;
}

export interface Http3ServerOptions {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY we advertise (decoder side). Default 4096. */
  qpackMaxTableCapacity?: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS we advertise. Default 16. */
  qpackBlockedStreams?: number;
  /** SETTINGS_MAX_FIELD_SECTION_SIZE we advertise and enforce. Default 64 KiB. */
  maxFieldSectionSize?: number;
  /**
   * SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 9220). Default false: the request
   * bridge has no tunnel for extended CONNECT over HTTP/3 (WebSocket goes over
   * h1 Upgrade and h2 extended CONNECT), and no client here speaks RFC 9220 to
   * test one against, so advertising it would invite requests that fail.
   */
  enableConnectProtocol?: boolean;
  /** Largest non-DATA frame we buffer. Default: maxFieldSectionSize + 1 KiB. */
  maxFramePayload?: number;
}

const enum Phase {
  Headers,
  Body,
  Trailers,
  Done,
}

interface RequestStream {
  id: number;
  reader: FrameReader;
  phase: Phase;
  /** HEADERS waiting for QPACK encoder-stream inserts: stop reading frames until it decodes. */
  blocked: boolean;
  fin: boolean;
  /** The request event was emitted, so failures must be reported as aborted. */
  announced: boolean;
  contentLength?: number;
  received: number;
  isConnect: boolean;
  responseStarted: boolean;
  responseDone: boolean;
}

type UniKind = 'control' | 'encoder' | 'decoder' | 'ignored';

interface UniStream {
  id: number;
  kind?: UniKind;
  pending: Buffer;
  reader?: FrameReader;
}

export class Http3ServerSession {
  readonly settings: Http3Settings;
  /** Peer settings; defaults until its SETTINGS frame arrives. */
  peerSettings: Http3Settings = { ...DEFAULT_SETTINGS };
  /** Protocol errors we raised, by RFC error name (connection and stream scope). */
  readonly errorCounts: Record<string, number> = {};

  private readonly decoder: QpackDecoder;
  private readonly requests = new Map<number, RequestStream>();
  private readonly uni = new Map<number, UniStream>();
  private controlStreamId = -1;
  private decoderStreamId = -1;
  private peerControl?: UniStream;
  private peerEncoder?: UniStream;
  private peerDecoder?: UniStream;
  private settingsReceived = false;
  private peerGoawayId = -1;
  private maxPushId = -1;
  private goawayId = -1;
  private highestRequestId = -1;
  private closed = false;
  private started = false;
  private drainedReported = false;
  /** Request streams we reset before the peer finished sending; bounded, oldest forgotten first. */
  private readonly abortedIds = new Set<number>();
  private readonly maxFramePayload: number;

  constructor(
    private readonly transport: Http3Transport,
    private readonly events: Http3ServerEvents,
    options: Http3ServerOptions = {},
  ) {
    const maxFieldSectionSize = options.maxFieldSectionSize ?? 64 * 1024;
    this.settings = {
      qpackMaxTableCapacity: options.qpackMaxTableCapacity ?? 4096,
      qpackBlockedStreams: options.qpackBlockedStreams ?? 16,
      maxFieldSectionSize,
      enableConnectProtocol: options.enableConnectProtocol ?? false,
      h3Datagram: false,
    };
    this.maxFramePayload = options.maxFramePayload ?? maxFieldSectionSize + 1024;
    this.decoder = new QpackDecoder({
      maxTableCapacity: this.settings.qpackMaxTableCapacity,
      maxBlockedStreams: this.settings.qpackBlockedStreams,
      maxFieldSectionSize,
    });
  }

  /** Request streams not yet finished in both directions. */
  get activeRequestCount(): number {
    return this.requests.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens our control stream (with SETTINGS) and QPACK streams. Call once the connection is established. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.controlStreamId = this.transport.openUniStream();
    this.transport.writeStream(this.controlStreamId, Buffer.concat([Buffer.of(STREAM_CONTROL), encodeSettingsFrame(this.settings)]), false);
    // Our encoder never inserts, but opening the stream tells the peer so (and some peers expect it).
    this.transport.writeStream(this.transport.openUniStream(), Buffer.of(STREAM_QPACK_ENCODER), false);
    this.decoderStreamId = this.transport.openUniStream();
    this.transport.writeStream(this.decoderStreamId, Buffer.of(STREAM_QPACK_DECODER), false);
  }

  // ---- input from the transport -------------------------------------------------------------

  onStreamData(streamId: number | bigint, data: Buffer, fin: boolean): void {
    if (this.closed) return;
    const id = Number(streamId);
    try {
      if ((id & 0x3) === 0) this.onRequestData(id, data, fin);
      else if ((id & 0x3) === 2) this.onUniData(id, data, fin);
      // Server-initiated streams never carry data to us; the transport should not deliver any.
    } catch (err) {
      this.fail(err);
    }
  }

  onStreamReset(streamId: number | bigint, code: number): void {
    if (this.closed) return;
    const id = Number(streamId);
    this.abortedIds.delete(id);
    if ((id & 0x3) === 2) {
      const u = this.uni.get(id);
      if (u && (u.kind === 'control' || u.kind === 'encoder' || u.kind === 'decoder')) {
        this.closeWith(H3_CLOSED_CRITICAL_STREAM, `peer reset its ${u.kind} stream`);
      }
      this.uni.delete(id);
      return;
    }
    const s = this.requests.get(id);
    if (!s) return;
    if (s.phase !== Phase.Done) this.decoder.cancelStream(id);
    this.flushDecoderStream();
    this.finishStream(s, code);
  }

  onStreamStopSending(streamId: number | bigint, code: number): void {
    if (this.closed) return;
    const id = Number(streamId);
    if (id === this.controlStreamId || id === this.decoderStreamId) {
      this.closeWith(H3_CLOSED_CRITICAL_STREAM, 'peer stopped one of our critical streams');
      return;
    }
    const s = this.requests.get(id);
    if (!s) return;
    // The client no longer wants the response: reset our side with its code (RFC 9000 §3.5) and forget the stream.
    if (!s.responseDone) this.transport.resetStream(id, code);
    if (s.phase !== Phase.Done) {
      this.transport.stopSending(id, H3_NO_ERROR);
      this.decoder.cancelStream(id);
      this.flushDecoderStream();
    }
    this.finishStream(s, code);
  }

  // ---- response API -------------------------------------------------------------------------

  /** Sends a response (or 1xx informational) header section. Connection-specific fields are dropped. */
  sendHeaders(streamId: number | bigint, status: number, headers: Iterable<readonly [string, string]>, endStream = false): void {
    const s = this.writable(streamId);
    if (!s) return;
    const fields: [string, string][] = [[':status', String(status)]];
    for (const [name, value] of headers) {
      if (CONNECTION_SPECIFIC_FIELDS.has(name) || name.charCodeAt(0) === 0x3a) continue;
      fields.push([name, value]);
    }
    const block = encodeFieldSection(fields);
    if (status >= 200) s.responseStarted = true;
    this.transport.writeStream(s.id, Buffer.concat([encodeFrameHeader(FRAME_HEADERS, block.length), block]), endStream);
    if (endStream) this.responseFinished(s);
  }

  /** Sends a chunk of response body as one DATA frame. */
  sendData(streamId: number | bigint, chunk: Buffer, endStream = false): void {
    const s = this.writable(streamId);
    if (!s) return;
    if (!s.responseStarted) throw new Error(`HTTP/3 stream ${s.id}: sendData before a final response sendHeaders`);
    if (chunk.length === 0) {
      if (endStream) this.transport.writeStream(s.id, Buffer.alloc(0), true);
    } else {
      const header = encodeFrameHeader(FRAME_DATA, chunk.length);
      // Small bodies go out in one write; large ones avoid copying the payload.
      if (chunk.length <= 1024) this.transport.writeStream(s.id, Buffer.concat([header, chunk]), endStream);
      else {
        this.transport.writeStream(s.id, header, false);
        this.transport.writeStream(s.id, chunk, endStream);
      }
    }
    if (endStream) this.responseFinished(s);
  }

  /** Sends trailers and ends the response. */
  sendTrailers(streamId: number | bigint, headers: Iterable<readonly [string, string]>): void {
    const s = this.writable(streamId);
    if (!s) return;
    const fields: [string, string][] = [];
    for (const [name, value] of headers) if (!CONNECTION_SPECIFIC_FIELDS.has(name) && name.charCodeAt(0) !== 0x3a) fields.push([name, value]);
    const block = encodeFieldSection(fields);
    this.transport.writeStream(s.id, Buffer.concat([encodeFrameHeader(FRAME_HEADERS, block.length), block]), true);
    this.responseFinished(s);
  }

  /** Abandons a request stream in both directions with `code` (e.g. H3_REQUEST_CANCELLED, H3_INTERNAL_ERROR). */
  resetStream(streamId: number | bigint, code: number): void {
    const s = this.requests.get(Number(streamId));
    if (!s) return;
    this.abortStream(s, code, false);
  }

  /**
   * Starts graceful shutdown: GOAWAY with the first request stream ID we will
   * not process; later streams are refused with H3_REQUEST_REJECTED; `drained`
   * fires when the in-flight ones finish. Calling again is a no-op.
   */
  goaway(): void {
    if (this.closed || this.goawayId >= 0) return;
    this.goawayId = this.highestRequestId < 0 ? 0 : this.highestRequestId + 4;
    if (this.controlStreamId >= 0) this.transport.writeStream(this.controlStreamId, encodeGoawayFrame(this.goawayId), false);
    this.checkDrained();
  }

  /** Closes the whole connection with H3_NO_ERROR (or `code`). */
  close(code = H3_NO_ERROR, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.closeConnection(code, reason);
  }

  // ---- request streams ----------------------------------------------------------------------

  private onRequestData(id: number, data: Buffer, fin: boolean): void {
    let s = this.requests.get(id);
    if (!s) {
      if (this.abortedIds.has(id)) {
        // Data still in flight on a stream we aborted; drop it.
        if (fin) this.abortedIds.delete(id);
        return;
      }
      if (id > this.highestRequestId) this.highestRequestId = id;
      if (this.goawayId >= 0 && id >= this.goawayId) {
        this.count(H3_REQUEST_REJECTED);
        this.transport.stopSending(id, H3_REQUEST_REJECTED);
        this.transport.resetStream(id, H3_REQUEST_REJECTED);
        return;
      }
      s = {
        id,
        reader: new FrameReader(this.maxFramePayload),
        phase: Phase.Headers,
        blocked: false,
        fin: false,
        announced: false,
        received: 0,
        isConnect: false,
        responseStarted: false,
        responseDone: false,
      };
      this.requests.set(id, s);
    }
    if (s.phase === Phase.Done) return;
    s.reader.push(data);
    if (fin) s.fin = true;
    this.pumpRequest(s);
  }

  /** Processes buffered frames of a request stream until it needs more bytes or blocks. */
  private pumpRequest(s: RequestStream): void {
    try {
      while (!s.blocked && s.phase !== Phase.Done) {
        const f = s.reader.next();
        if (!f) break;
        if (f.type === FRAME_HEADERS) this.onRequestHeaders(s, f.payload);
        else if (f.type === FRAME_DATA) this.onRequestBody(s, f.payload);
        else throw new Http3Error(H3_FRAME_UNEXPECTED, `frame 0x${f.type.toString(16)} is not allowed on request stream ${s.id}`);
        if (this.closed) return;
      }
      if (s.fin && !s.blocked && s.phase !== Phase.Done) this.onRequestFin(s);
    } catch (err) {
      if (err instanceof Http3Error && err.scope === 'stream') {
        this.abortStream(s, err.code, true);
      } else {
        throw err;
      }
    }
  }

  private onRequestHeaders(s: RequestStream, block: Buffer): void {
    if (s.phase === Phase.Trailers) throw new Http3Error(H3_FRAME_UNEXPECTED, `HEADERS after trailers on stream ${s.id}`);
    const decoded = this.decoder.decode(s.id, block);
    if (decoded === 'blocked') {
      s.blocked = true;
      return;
    }
    this.flushDecoderStream();
    this.applySection(s, decoded);
  }

  private applySection(s: RequestStream, section: DecodedSection): void {
    if (section.tooLarge) {
      throw new Http3Error(H3_EXCESSIVE_LOAD, `header section of ${section.size} bytes exceeds ${this.settings.maxFieldSectionSize}`, 'stream');
    }
    if (s.phase === Phase.Headers) {
      const v = validateRequestHeaders(section.headers, this.settings.enableConnectProtocol);
      if (!v.ok) throw new Http3Error(H3_MESSAGE_ERROR, `stream ${s.id}: ${v.reason}`, 'stream');
      s.phase = Phase.Body;
      s.isConnect = v.request.method === 'CONNECT';
      if (v.request.contentLength !== undefined) s.contentLength = v.request.contentLength;
      s.announced = true;
      this.events.request(s.id, v.request);
    } else {
      const reason = validateTrailers(section.headers);
      if (reason) throw new Http3Error(H3_MESSAGE_ERROR, `stream ${s.id}: ${reason}`, 'stream');
      this.checkContentLength(s);
      s.phase = Phase.Trailers;
      this.trailers.set(s.id, section.headers);
    }
  }

  private readonly trailers = new Map<number, FieldLine[]>();

  private onRequestBody(s: RequestStream, chunk: Buffer): void {
    if (s.phase === Phase.Headers) throw new Http3Error(H3_FRAME_UNEXPECTED, `DATA before HEADERS on stream ${s.id}`);
    if (s.phase === Phase.Trailers) throw new Http3Error(H3_FRAME_UNEXPECTED, `DATA after trailers on stream ${s.id}`);
    if (chunk.length === 0) return;
    s.received += chunk.length;
    if (s.contentLength !== undefined && s.received > s.contentLength) {
      throw new Http3Error(H3_MESSAGE_ERROR, `stream ${s.id}: body exceeds content-length ${s.contentLength}`, 'stream');
    }
    this.events.data(s.id, chunk);
  }

  private onRequestFin(s: RequestStream): void {
    s.reader.finish();
    if (s.phase === Phase.Headers) {
      throw new Http3Error(H3_REQUEST_INCOMPLETE, `stream ${s.id} ended without a complete request header`, 'stream');
    }
    this.checkContentLength(s);
    s.phase = Phase.Done;
    const trailers = this.trailers.get(s.id);
    this.trailers.delete(s.id);
    this.events.end(s.id, trailers);
    if (s.responseDone) this.forget(s);
  }

  private checkContentLength(s: RequestStream): void {
    if (s.contentLength !== undefined && s.received !== s.contentLength) {
      throw new Http3Error(H3_MESSAGE_ERROR, `stream ${s.id}: body of ${s.received} bytes, content-length says ${s.contentLength}`, 'stream');
    }
  }

  /** Stream error: reset both directions, tell the application if it knew the request. */
  private abortStream(s: RequestStream, code: number, protocolError: boolean): void {
    if (protocolError) this.count(code);
    if (s.phase !== Phase.Done) {
      this.transport.stopSending(s.id, code);
      this.decoder.cancelStream(s.id);
      this.flushDecoderStream();
    }
    if (!s.fin) {
      this.abortedIds.add(s.id);
      if (this.abortedIds.size > 4096) this.abortedIds.delete(this.abortedIds.values().next().value!);
    }
    if (!s.responseDone) this.transport.resetStream(s.id, code);
    this.finishStream(s, code);
  }

  /** Ends our bookkeeping for a stream that was reset or aborted. */
  private finishStream(s: RequestStream, code: number): void {
    const wasOpen = s.phase !== Phase.Done || !s.responseDone;
    s.phase = Phase.Done;
    s.responseDone = true;
    this.trailers.delete(s.id);
    if (s.announced && wasOpen) this.events.aborted(s.id, code);
    this.forget(s);
  }

  private responseFinished(s: RequestStream): void {
    s.responseDone = true;
    if (s.phase === Phase.Done) this.forget(s);
  }

  private forget(s: RequestStream): void {
    if (!this.requests.delete(s.id)) return;
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.goawayId >= 0 && this.requests.size === 0 && !this.drainedReported && !this.closed) {
      this.drainedReported = true;
      this.events.drained?.();
    }
  }

  private writable(streamId: number | bigint): RequestStream | undefined {
    if (this.closed) return undefined;
    const s = this.requests.get(Number(streamId));
    if (!s || s.responseDone) return undefined;
    return s;
  }

  // ---- unidirectional streams ---------------------------------------------------------------

  private onUniData(id: number, data: Buffer, fin: boolean): void {
    let u = this.uni.get(id);
    if (!u) {
      u = { id, pending: Buffer.alloc(0) };
      this.uni.set(id, u);
    }
    if (u.kind === 'ignored') return;
    if (!u.kind) {
      const buf = u.pending.length ? Buffer.concat([u.pending, data]) : data;
      const type = readVarint(buf, 0);
      if (type < 0) {
        u.pending = buf;
        if (fin) this.uni.delete(id);
        return;
      }
      data = buf.subarray(varintLengthFromFirstByte(buf[0]!));
      u.pending = Buffer.alloc(0);
      this.openUni(u, type);
      if (u.kind === 'ignored') return;
    }
    switch (u.kind) {
      case 'control':
        this.onControlData(u, data, fin);
        break;
      case 'encoder':
        if (data.length) this.onEncoderData(data);
        if (fin) this.closeWith(H3_CLOSED_CRITICAL_STREAM, 'peer closed its QPACK encoder stream');
        break;
      case 'decoder':
        if (data.length) this.onPeerDecoderData(data);
        if (fin) this.closeWith(H3_CLOSED_CRITICAL_STREAM, 'peer closed its QPACK decoder stream');
        break;
      case undefined:
        // The stream type has not arrived yet (its varint is still incomplete).
        break;
    }
  }

  private openUni(u: UniStream, type: number): void {
    switch (type) {
      case STREAM_CONTROL:
        if (this.peerControl) throw new Http3Error(H3_STREAM_CREATION_ERROR, 'second control stream');
        this.peerControl = u;
        u.kind = 'control';
        u.reader = new FrameReader(16 * 1024);
        return;
      case STREAM_QPACK_ENCODER:
        if (this.peerEncoder) throw new Http3Error(H3_STREAM_CREATION_ERROR, 'second QPACK encoder stream');
        this.peerEncoder = u;
        u.kind = 'encoder';
        return;
      case STREAM_QPACK_DECODER:
        if (this.peerDecoder) throw new Http3Error(H3_STREAM_CREATION_ERROR, 'second QPACK decoder stream');
        this.peerDecoder = u;
        u.kind = 'decoder';
        return;
      case STREAM_PUSH:
        throw new Http3Error(H3_STREAM_CREATION_ERROR, 'clients must not open push streams');
      default:
        // Unknown or reserved stream type: ignore it and ask the peer to stop (RFC 9114 §6.2).
        u.kind = 'ignored';
        this.transport.stopSending(u.id, H3_STREAM_CREATION_ERROR);
    }
  }

  private onControlData(u: UniStream, data: Buffer, fin: boolean): void {
    const reader = u.reader!;
    reader.push(data);
    for (let f = reader.next(); f; f = reader.next()) {
      if (!this.settingsReceived) {
        if (f.type !== FRAME_SETTINGS) throw new Http3Error(H3_MISSING_SETTINGS, `first control frame is 0x${f.type.toString(16)}, not SETTINGS`);
        this.peerSettings = parseSettings(f.payload);
        this.settingsReceived = true;
        continue;
      }
      switch (f.type) {
        case FRAME_SETTINGS:
          throw new Http3Error(H3_FRAME_UNEXPECTED, 'second SETTINGS frame');
        case FRAME_GOAWAY: {
          const id = singleVarint(f.payload, 'GOAWAY');
          if (this.peerGoawayId >= 0 && id > this.peerGoawayId) throw new Http3Error(H3_ID_ERROR, `GOAWAY id grew from ${this.peerGoawayId} to ${id}`);
          this.peerGoawayId = id;
          this.events.goaway?.(id);
          break;
        }
        case FRAME_MAX_PUSH_ID: {
          const id = singleVarint(f.payload, 'MAX_PUSH_ID');
          if (id < this.maxPushId) throw new Http3Error(H3_ID_ERROR, `MAX_PUSH_ID shrank from ${this.maxPushId} to ${id}`);
          this.maxPushId = id;
          break;
        }
        case FRAME_CANCEL_PUSH: {
          const id = singleVarint(f.payload, 'CANCEL_PUSH');
          if (id > this.maxPushId) throw new Http3Error(H3_ID_ERROR, `CANCEL_PUSH for push ${id} beyond MAX_PUSH_ID`);
          break; // we never push, so there is nothing to cancel
        }
        default:
          throw new Http3Error(H3_FRAME_UNEXPECTED, `frame 0x${f.type.toString(16)} is not allowed on the control stream`);
      }
    }
    if (fin) throw new Http3Error(H3_CLOSED_CRITICAL_STREAM, 'peer closed its control stream');
  }

  private onEncoderData(data: Buffer): void {
    const unblocked = this.decoder.feedEncoderStream(data);
    for (const { streamId, section } of unblocked) {
      const s = this.requests.get(streamId);
      if (!s) continue;
      s.blocked = false;
      try {
        this.applySection(s, section);
      } catch (err) {
        if (err instanceof Http3Error && err.scope === 'stream') {
          this.abortStream(s, err.code, true);
          continue;
        }
        throw err;
      }
      this.pumpRequest(s);
      if (this.closed) return;
    }
    this.flushDecoderStream();
  }

  /** We never insert into the peer's view of our table, so only Stream Cancellation is legitimate. */
  private onPeerDecoderData(data: Buffer): void {
    for (let i = 0; i < data.length; i++) {
      const b = data[i]!;
      if (this.inPeerDecoderInt) {
        // Continuation bytes of a Stream Cancellation's stream ID.
        this.inPeerDecoderInt = (b & 0x80) !== 0;
        continue;
      }
      if ((b & 0xc0) !== 0x40) {
        throw new QpackError(QPACK_DECODER_STREAM_ERROR, 'acknowledgment or insert count increment for a dynamic table we never used');
      }
      this.inPeerDecoderInt = (b & 0x3f) === 0x3f;
    }
  }

  private inPeerDecoderInt = false;

  private flushDecoderStream(): void {
    const out = this.decoder.takeDecoderStreamData();
    if (out && this.decoderStreamId >= 0 && !this.closed) this.transport.writeStream(this.decoderStreamId, out, false);
  }

  // ---- errors -------------------------------------------------------------------------------

  private fail(err: unknown): void {
    if (err instanceof Http3Error || err instanceof QpackError) {
      this.closeWith(err.code, err.message);
      return;
    }
    this.closeWith(H3_INTERNAL_ERROR, `internal error: ${(err as Error)?.message ?? String(err)}`);
  }

  private closeWith(code: number, reason: string): void {
    if (this.closed) return;
    this.count(code);
    this.closed = true;
    this.transport.closeConnection(code, reason);
    for (const s of this.requests.values()) if (s.announced) this.events.aborted(s.id, code);
    this.requests.clear();
  }

  private count(code: number): void {
    const name = h3ErrorName(code);
    this.errorCounts[name] = (this.errorCounts[name] ?? 0) + 1;
  }
}

function singleVarint(payload: Buffer, frame: string): number {
  const v = readVarint(payload, 0);
  if (v < 0 || varintLengthFromFirstByte(payload[0]!) !== payload.length) {
    throw new Http3Error(H3_FRAME_ERROR, `${frame} payload must be exactly one varint`);
  }
  return v;
}
