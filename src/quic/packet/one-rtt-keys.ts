/**
 * 1-RTT packet protection with key updates (RFC 9001 §6).
 *
 * Each direction walks a chain of secrets, secret_{n+1} = HKDF-Expand-Label(
 * secret_n, "quic ku"); header protection keeps its first key. The next read
 * keys are derived ahead of time, so a packet with the other key phase bit
 * costs one trial decryption, not a derivation. The previous read keys stay
 * for reordered packets until `previousKeyRetention` ms after the update
 * (the connection sets ~3 × PTO, §6.5); packets are matched to them by packet
 * number: a phase-flipped packet numbered below the first one of the current
 * phase belongs to the previous generation.
 */
import { QuicError, QuicErrorCode } from '../quic-error.js';
import type { TlsCipherSuiteName } from '../tls13/quic-tls.js';
import { keyPhaseOf } from './packet-header.js';
import { decodePacketNumber, readTruncatedPacketNumber } from './packet-number.js';
import { cipherSuiteParameters, derivePacketKeys, HeaderProtection, nextTrafficSecret, PacketCipher, type OpenedPacket } from './packet-protection.js';

export class OneRttKeys {
  private readSecret: Buffer;
  private writeSecret: Buffer;
  private readCurrent: PacketCipher;
  private readNext: PacketCipher;
  private readPrevious: PacketCipher | undefined;
  private previousDiscardAt = Infinity;
  private writeCurrent: PacketCipher;
  private writeNext: PacketCipher;
  private readonly readHp: HeaderProtection;
  private readonly writeHp: HeaderProtection;
  private readPhaseBit: 0 | 1 = 0;
  private writePhaseBit: 0 | 1 = 0;
  /** First and largest packet numbers opened with the current read keys. */
  private firstReadInPhase = -1;
  private largestReadInPhase = -1;
  /** First packet number sealed with the current write keys; -1 until one is. */
  private firstWriteInPhase = -1;
  private writePhaseAcknowledged = false;
  private readonly confidentialityLimit: number;
  /** Key updates done (either side started them). */
  updates = 0;

  constructor(
    readonly suite: TlsCipherSuiteName,
    private readonly version: number,
    readSecret: Buffer,
    writeSecret: Buffer,
    /** How long (ms) the previous read keys survive an update. */
    public previousKeyRetention = 3000,
  ) {
    this.readSecret = readSecret;
    this.writeSecret = writeSecret;
    const r = derivePacketKeys(suite, readSecret, version);
    const w = derivePacketKeys(suite, writeSecret, version);
    this.readCurrent = new PacketCipher(suite, r.key, r.iv);
    this.writeCurrent = new PacketCipher(suite, w.key, w.iv);
    this.readHp = new HeaderProtection(suite, r.hp);
    this.writeHp = new HeaderProtection(suite, w.hp);
    this.readNext = this.nextCipher(this.readSecret);
    this.writeNext = this.nextCipher(this.writeSecret);
    this.confidentialityLimit = cipherSuiteParameters(suite).confidentialityLimit;
  }

  private nextCipher(secret: Buffer): PacketCipher {
    return PacketCipher.fromSecret(this.suite, nextTrafficSecret(this.suite, secret, this.version), this.version);
  }

  /** Key phase bit to put in the short headers we send. */
  get keyPhase(): 0 | 1 {
    return this.writePhaseBit;
  }

  /** True while previous-generation read keys are kept. */
  get hasPreviousReadKeys(): boolean {
    return this.readPrevious !== undefined;
  }

  /** When the previous read keys go (Infinity: none kept). The connection arms a timer for it. */
  get previousKeysDiscardAt(): number {
    return this.readPrevious ? this.previousDiscardAt : Infinity;
  }

  /** Drops the previous read keys once their time has come. */
  discardExpired(now: number): void {
    if (this.readPrevious && now >= this.previousDiscardAt) {
      this.readPrevious = undefined;
      this.previousDiscardAt = Infinity;
    }
  }

  /**
   * Opens a short-header packet: removes header protection in place, picks the
   * keys by key phase and packet number, decrypts. A packet that decrypts
   * under the next keys completes a key update: the read keys rotate, and if
   * the peer started it our write keys follow (§6.2). Returns false to drop.
   * Throws KEY_UPDATE_ERROR when new keys arrive on a packet numbered below
   * one already received with the old keys (§6.4).
   */
  openPacket(buf: Buffer, packetStart: number, pnOffset: number, packetEnd: number, largestReceived: number, now: number, out: OpenedPacket): boolean {
    this.discardExpired(now);
    const pnLength = this.readHp.unprotect(buf, packetStart, pnOffset, packetEnd);
    if (pnLength === 0) return false;
    const packetNumber = decodePacketNumber(largestReceived, readTruncatedPacketNumber(buf, pnOffset, pnLength), pnLength);
    const first = buf[packetStart]!;
    const phase = keyPhaseOf(first);
    let cipher: PacketCipher;
    let isNext = false;
    if (phase === this.readPhaseBit) cipher = this.readCurrent;
    else if (this.readPrevious && packetNumber < this.firstReadInPhase) cipher = this.readPrevious;
    else {
      cipher = this.readNext;
      isNext = true;
    }
    const payload = cipher.open(buf, packetStart, pnOffset + pnLength, packetEnd, packetNumber);
    if (!payload) return false;
    if (isNext) {
      if (packetNumber <= this.largestReadInPhase) {
        throw new QuicError(QuicErrorCode.KEY_UPDATE_ERROR, `packet ${packetNumber} uses new keys below packet ${this.largestReadInPhase} with the old ones`);
      }
      this.rotateRead(now, packetNumber);
      if (this.writePhaseBit !== this.readPhaseBit) this.rotateWrite();
    } else if (cipher === this.readCurrent) {
      if (this.firstReadInPhase < 0) this.firstReadInPhase = packetNumber;
      if (packetNumber > this.largestReadInPhase) this.largestReadInPhase = packetNumber;
    }
    out.firstByte = first;
    out.packetNumber = packetNumber;
    out.payload = payload;
    return true;
  }

  private rotateRead(now: number, packetNumber: number): void {
    this.readPrevious = this.readCurrent;
    this.previousDiscardAt = now + this.previousKeyRetention;
    this.readCurrent = this.readNext;
    this.readSecret = nextTrafficSecret(this.suite, this.readSecret, this.version);
    this.readNext = this.nextCipher(this.readSecret);
    this.readPhaseBit ^= 1;
    this.firstReadInPhase = packetNumber;
    this.largestReadInPhase = packetNumber;
    this.updates++;
  }

  private rotateWrite(): void {
    this.writeCurrent = this.writeNext;
    this.writeSecret = nextTrafficSecret(this.suite, this.writeSecret, this.version);
    this.writeNext = this.nextCipher(this.writeSecret);
    this.writePhaseBit ^= 1;
    this.firstWriteInPhase = -1;
    this.writePhaseAcknowledged = false;
  }

  /**
   * Seals a short-header packet written with `keyPhase` in its first byte and
   * applies header protection; returns the packet's end.
   */
  sealPacket(buf: Buffer, packetStart: number, pnOffset: number, pnLength: number, payloadEnd: number, packetNumber: number): number {
    if (this.firstWriteInPhase < 0) this.firstWriteInPhase = packetNumber;
    const end = this.writeCurrent.seal(buf, packetStart, pnOffset + pnLength, payloadEnd, packetNumber);
    this.writeHp.protect(buf, packetStart, pnOffset, pnLength);
    return end;
  }

  /** The peer acknowledged our packet `packetNumber` (1-RTT space). */
  onPacketAcknowledged(packetNumber: number): void {
    if (this.firstWriteInPhase >= 0 && packetNumber >= this.firstWriteInPhase) this.writePhaseAcknowledged = true;
  }

  /**
   * §6.1/§6.4: we may start an update only once a packet of the current phase
   * was acknowledged and the peer answered any update we started (the
   * connection also waits for the handshake to be confirmed).
   */
  get canInitiateUpdate(): boolean {
    return this.writePhaseAcknowledged && this.writePhaseBit === this.readPhaseBit;
  }

  /** True when the current write key nears its confidentiality limit (§6.6): update now. */
  get shouldUpdate(): boolean {
    return this.writeCurrent.sealed >= this.confidentialityLimit - 1024;
  }

  /** Starts a key update (§6.1); returns false when not allowed yet. */
  initiateUpdate(): boolean {
    if (!this.canInitiateUpdate) return false;
    this.rotateWrite();
    return true;
  }
}
