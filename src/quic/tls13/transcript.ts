/**
 * The handshake transcript hash (RFC 8446 §4.4.1). A client does not know the
 * hash until the server picks a suite, so messages are kept until then; after
 * a HelloRetryRequest the first ClientHello is replaced by its message_hash.
 */
import { createHash, type Hash } from 'node:crypto';
import { HandshakeType } from './constants.js';
import type { HashName } from './key-schedule.js';

export class Transcript {
  private pending: Buffer[] = [];
  private hash: Hash | undefined;
  private hashName: HashName | undefined;

  add(message: Buffer): void {
    if (this.hash) this.hash.update(message);
    else this.pending.push(message);
  }

  /** Fixes the hash function; everything added so far is hashed. */
  start(hashName: HashName): void {
    if (this.hash) return;
    this.hashName = hashName;
    this.hash = createHash(hashName);
    for (const m of this.pending) this.hash.update(m);
    this.pending = [];
  }

  get started(): boolean {
    return this.hash !== undefined;
  }

  /** Hash of everything so far (the running state continues). */
  digest(): Buffer {
    if (!this.hash) throw new Error('Transcript.digest() before start()');
    return this.hash.copy().digest();
  }

  /** Hash of everything so far plus `extra`, without adding it. */
  digestWith(extra: Buffer): Buffer {
    if (!this.hash) throw new Error('Transcript.digestWith() before start()');
    return this.hash.copy().update(extra).digest();
  }

  /**
   * After a HelloRetryRequest: the transcript so far (ClientHello1) becomes
   * message_hash(Hash(ClientHello1)) (RFC 8446 §4.4.1).
   */
  replaceWithMessageHash(): void {
    const h = this.digest();
    this.hash = createHash(this.hashName!);
    this.hash.update(Buffer.of(HandshakeType.messageHash, 0, 0, h.length));
    this.hash.update(h);
  }
}
