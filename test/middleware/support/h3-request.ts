/**
 * One HTTP/3 request with chosen headers and body, for middleware tests that
 * need more than gtlsclient offers (it cannot set request headers): a quiche
 * QUIC connection, our own HTTP/3 frame and QPACK encoders on a bidi stream.
 */
import { loadQuiche, type Quiche } from '../../../src/quic/quiche/binding.js';
import { QuicheClient } from '../../support/quiche-client.js';
import { dataFrame, headersFrame, parseResponse } from '../../http3/in-memory-peer.js';

export interface H3Response {
  status: number;
  /** Lower-case names; repeated fields in order. */
  headers: Record<string, string[]>;
  body: Buffer;
}

let quiche: Quiche | undefined;

export async function h3Request(
  port: number,
  path: string,
  opts: { method?: string; headers?: Array<[string, string]>; body?: string | Buffer } = {},
): Promise<H3Response> {
  if (!quiche) {
    const loaded = await loadQuiche();
    if (!loaded.ok) throw new Error(loaded.reason);
    quiche = loaded.quiche;
  }
  const client = await QuicheClient.connect(quiche, { host: '127.0.0.1', port, serverName: 'localhost', alpn: ['h3'], handshakeTimeoutMs: 5000 });
  try {
    const id = client.openBidiStream();
    const fields: Array<[string, string]> = [
      [':method', opts.method ?? 'GET'],
      [':scheme', 'https'],
      [':authority', `localhost:${port}`],
      [':path', path],
      ...(opts.headers ?? []).map(([n, v]) => [n.toLowerCase(), v] as [string, string]),
    ];
    const head = headersFrame(fields);
    if (opts.body === undefined) client.write(id, head, true);
    else client.write(id, Buffer.concat([head, dataFrame(opts.body)]), true);
    const parsed = parseResponse(await client.readStream(id));
    const headers: Record<string, string[]> = {};
    for (const [name, value] of parsed.headers[0] ?? []) (headers[name] ??= []).push(value);
    return { status: Number(headers[':status']?.[0]), headers, body: parsed.body };
  } finally {
    await client.close().catch(() => undefined);
  }
}
