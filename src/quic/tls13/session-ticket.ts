/**
 * Stateless session tickets (RFC 8446 §4.6.1, RFC 5077 style): the server
 * seals what it needs to resume into the ticket with AES-256-GCM under a key
 * shared by all workers. Each ticket starts with an 8-byte id of its key, so
 * tickets sealed under a `previous` key still open after a rotation.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { hkdfExpandLabel, hkdfExtract } from '../initial/initial-keys.js';
import { randomSlice } from './random-pool.js';
import { Reader, Writer } from './wire.js';
import { QuicTlsAlert } from './quic-tls.js';

export interface TicketState {
  /** Cipher suite code the PSK belongs to. */
  suite: number;
  /** When the ticket was issued (ms, the host's clock). */
  issuedAt: number;
  lifetimeSeconds: number;
  ageAdd: number;
  psk: Buffer;
  alpn: string;
  serverName: string;
  /** 0-RTT allowed with this ticket. */
  earlyData: boolean;
  /** SHA-256 of the QUIC early-data context the issuing connection had. */
  earlyDataContextHash: Buffer;
  /** The server instance that may accept 0-RTT with it (QuicTlsEarlyDataGuard.instance; empty: any). */
  earlyDataOrigin: Buffer;
}

interface SealingKey {
  id: Buffer;
  key: Buffer;
}

/** 2: earlyDataOrigin added (a format-1 ticket opens as nothing: a full handshake). */
const FORMAT = 2;
const ID_LENGTH = 8;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

function sealingKey(secret: Buffer): SealingKey {
  if (secret.length < 16) throw new RangeError('a session ticket key needs at least 16 bytes');
  const prk = hkdfExtract(Buffer.from('portico quic ticket'), secret);
  return { id: hkdfExpandLabel(prk, 'ticket key id', ID_LENGTH), key: hkdfExpandLabel(prk, 'ticket key', 32) };
}

export interface TicketKeys {
  current: Buffer;
  previous?: Buffer[];
}

const sealers = new WeakMap<TicketKeys, TicketSealer>();

/** One sealer per configured key set: deriving the keys costs HMACs a handshake need not pay. */
export function ticketSealerFor(keys: TicketKeys): TicketSealer {
  let sealer = sealers.get(keys);
  if (!sealer) sealers.set(keys, (sealer = new TicketSealer(keys)));
  return sealer;
}

export class TicketSealer {
  private readonly current: SealingKey;
  private readonly all: SealingKey[];

  constructor(keys: TicketKeys) {
    this.current = sealingKey(keys.current);
    this.all = [this.current, ...(keys.previous ?? []).map(sealingKey)];
  }

  seal(state: TicketState): Buffer {
    const plain = new Writer()
      .u8(FORMAT)
      .u16(state.suite)
      .u32(Math.floor(state.issuedAt / 2 ** 32))
      .u32(state.issuedAt >>> 0)
      .u32(state.lifetimeSeconds)
      .u32(state.ageAdd)
      .vec8(state.psk)
      .vec8(Buffer.from(state.alpn, 'latin1'))
      .vec8(Buffer.from(state.serverName, 'latin1'))
      .u8(state.earlyData ? 1 : 0)
      .vec8(state.earlyDataContextHash)
      .vec8(state.earlyDataOrigin)
      .finish();
    const nonce = randomSlice(NONCE_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, nonce);
    cipher.setAAD(this.current.id);
    const body = cipher.update(plain);
    cipher.final();
    return Buffer.concat([this.current.id, nonce, body, cipher.getAuthTag()]);
  }

  /** The state inside a ticket, or undefined for anything we did not seal (a full handshake follows, no alert). */
  open(ticket: Buffer): TicketState | undefined {
    if (ticket.length < ID_LENGTH + NONCE_LENGTH + TAG_LENGTH + 1) return undefined;
    const id = ticket.subarray(0, ID_LENGTH);
    const k = this.all.find((s) => s.id.equals(id));
    if (!k) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', k.key, ticket.subarray(ID_LENGTH, ID_LENGTH + NONCE_LENGTH));
      decipher.setAAD(id);
      decipher.setAuthTag(ticket.subarray(ticket.length - TAG_LENGTH));
      const plain = Buffer.concat([decipher.update(ticket.subarray(ID_LENGTH + NONCE_LENGTH, ticket.length - TAG_LENGTH)), decipher.final()]);
      const r = new Reader(plain);
      if (r.u8() !== FORMAT) return undefined;
      const state: TicketState = {
        suite: r.u16(),
        issuedAt: r.u32() * 2 ** 32 + r.u32(),
        lifetimeSeconds: r.u32(),
        ageAdd: r.u32(),
        psk: Buffer.from(r.vec8('psk')),
        alpn: r.vec8('alpn').toString('latin1'),
        serverName: r.vec8('server name').toString('latin1'),
        earlyData: r.u8() === 1,
        earlyDataContextHash: Buffer.from(r.vec8('context')),
        earlyDataOrigin: Buffer.from(r.vec8('early data origin')),
      };
      r.expectEnd('ticket');
      return state;
    } catch (e) {
      if (e instanceof QuicTlsAlert || e instanceof Error) return undefined;
      throw e;
    }
  }
}

export function earlyDataContextHash(context: Buffer | undefined): Buffer {
  return createHash('sha256')
    .update(context ?? Buffer.alloc(0))
    .digest();
}

/**
 * What a client keeps from a NewSessionTicket (opaque to the application,
 * handed out through onSessionTicket and back as `session`).
 */
export interface ClientSession {
  suite: number;
  receivedAt: number;
  lifetimeSeconds: number;
  ageAdd: number;
  maxEarlyData: number;
  psk: Buffer;
  ticket: Buffer;
  alpn: string;
  serverName: string;
}

const SESSION_FORMAT = 0x51;

export function encodeClientSession(s: ClientSession): Buffer {
  return new Writer()
    .u8(SESSION_FORMAT)
    .u16(s.suite)
    .u32(Math.floor(s.receivedAt / 2 ** 32))
    .u32(s.receivedAt >>> 0)
    .u32(s.lifetimeSeconds)
    .u32(s.ageAdd)
    .u32(s.maxEarlyData)
    .vec8(s.psk)
    .vec16(s.ticket)
    .vec8(Buffer.from(s.alpn, 'latin1'))
    .vec8(Buffer.from(s.serverName, 'latin1'))
    .finish();
}

/** Undefined for a blob that is not a session of ours (the client then does a full handshake). */
export function decodeClientSession(blob: Buffer): ClientSession | undefined {
  try {
    const r = new Reader(blob);
    if (r.u8() !== SESSION_FORMAT) return undefined;
    const s: ClientSession = {
      suite: r.u16(),
      receivedAt: r.u32() * 2 ** 32 + r.u32(),
      lifetimeSeconds: r.u32(),
      ageAdd: r.u32(),
      maxEarlyData: r.u32(),
      psk: Buffer.from(r.vec8('psk')),
      ticket: Buffer.from(r.vec16('ticket')),
      alpn: r.vec8('alpn').toString('latin1'),
      serverName: r.vec8('server name').toString('latin1'),
    };
    r.expectEnd('session');
    return s;
  } catch (e) {
    if (e instanceof QuicTlsAlert) return undefined;
    throw e;
  }
}
