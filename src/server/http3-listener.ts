/**
 * The UDP side of an entrypoint (HTTP/3). Filled in by the HTTP/3 work; until
 * a QUIC transport is available this reports why, and the entrypoint serves
 * h1/h2 without advertising Alt-Svc.
 */
import type { EntryPointContext } from '../entrypoint/entrypoint-context.js';
import type { Logger } from '../observability/logger.js';

export interface Http3Listener {
  configurationChanged(): void;
  close(graceMs: number): Promise<void>;
}

export async function startHttp3Listener(
  _ep: EntryPointContext,
  _port: number,
  _log: Logger,
): Promise<{ ok: true; listener: Http3Listener } | { ok: false; reason: string }> {
  return { ok: false, reason: 'the HTTP/3 listener is not wired to a QUIC transport in this build' };
}
