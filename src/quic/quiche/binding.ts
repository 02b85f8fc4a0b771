/**
 * Load the quiche native binding (prebuilt in @matrixai/quic-linux-x64) and
 * nothing else of @matrixai/quic: its high-level classes are not used. Where
 * the binary cannot load (no build for this platform), the caller gets the
 * reason and Portico serves h1/h2 only.
 */
import type { Quiche } from '@matrixai/quic/native/quiche.js';
import type { Connection, Config } from '@matrixai/quic/native/types.js';

export type { Quiche };
export type QuicheConnection = Connection;
export type QuicheConfig = Config;

let loaded: Promise<{ ok: true; quiche: Quiche } | { ok: false; reason: string }> | undefined;

export function loadQuiche(): Promise<{ ok: true; quiche: Quiche } | { ok: false; reason: string }> {
  loaded ??= import('@matrixai/quic/native/index.js')
    .then((m: { quiche: Quiche }) => ({ ok: true as const, quiche: m.quiche }))
    .catch((err: Error) => ({
      ok: false as const,
      reason: `the quiche QUIC library cannot load on ${process.platform}-${process.arch} (${err.message.split('\n')[0]}); prebuilt only for linux-x64 glibc`,
    }));
  return loaded;
}
