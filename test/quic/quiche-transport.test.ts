/**
 * The UDP side's defences, with raw datagrams: garbage and undersized
 * Initials are dropped without state and counted; an unknown QUIC version
 * gets a Version Negotiation packet; sniStrict refuses a QUIC handshake
 * for a name without a certificate, exactly as on TCP.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { startPortico, type Harness } from '../support/portico-harness.js';

let p: Harness;
let port: number;

beforeAll(async () => {
  p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true, quic: 'quiche' } } } },
    // sniStrict on the default option set: no configured certificate covers "localhost".
    { 'r.yaml': 'http:\n  routers:\n    who: { rule: PathPrefix(`/`), service: whoami@internal }\ntls:\n  options:\n    default: { sniStrict: true }\n' },
  );
  await p.server.nextApply(1);
  port = p.port('websecure');
});

afterAll(() => p?.stop());

function exchange(datagram: Buffer, waitMs = 300): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    s.on('message', (m) => got.push(m));
    s.send(datagram, port, '127.0.0.1');
    setTimeout(() => {
      s.close();
      resolve(got);
    }, waitMs);
  });
}

/** A long-header Initial-looking datagram with the given version, padded to `size`. */
function longHeader(version: number, size: number): Buffer {
  const b = Buffer.alloc(size, 0);
  b[0] = 0xc0; // long header, fixed bit, Initial
  b.writeUInt32BE(version, 1);
  b[5] = 8; // DCID length
  Buffer.from('0102030405060708', 'hex').copy(b, 6);
  b[14] = 8; // SCID length
  Buffer.from('1112131415161718', 'hex').copy(b, 15);
  return b;
}

const malformed = async (kind: string) => {
  const text = await p.server.metrics.registry.getSingleMetricAsString('portico_malformed_requests_total');
  const m = new RegExp(`kind="${kind}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
};

/** A QUIC listener family of /metrics for the entrypoint under test. */
const quicMetric = async (name: string) => {
  const text = await p.server.metrics.registry.getSingleMetricAsString(name);
  const m = /\{entrypoint="[^"]+"\} (\d+)/.exec(text);
  if (!m) throw new Error(`no series in ${name}:\n${text}`);
  return Number(m[1]);
};

describe('QUIC listener defences', () => {
  test('garbage and undersized Initials are dropped silently and counted', async () => {
    expect(await exchange(Buffer.from('hello, not quic'))).toEqual([]);
    expect(await malformed('quic-not-quic')).toBeGreaterThan(0);
    expect(await exchange(longHeader(1, 300))).toEqual([]);
    expect(await malformed('quic-undersized-initial')).toBeGreaterThan(0);
  });

  test('an unsupported version gets Version Negotiation listing QUIC v1', async () => {
    const sentBefore = await quicMetric('portico_quic_version_negotiations_sent_total');
    const replies = await exchange(longHeader(0x1a2a3a4a, 1200));
    expect(replies).toHaveLength(1);
    expect(await quicMetric('portico_quic_version_negotiations_sent_total')).toBe(sentBefore + 1);
    const vn = replies[0]!;
    expect(vn[0]! & 0x80).toBe(0x80);
    expect(vn.readUInt32BE(1)).toBe(0); // version 0 = Version Negotiation
    const versions: number[] = [];
    const dcidLen = vn[5]!;
    const scidLen = vn[6 + dcidLen]!;
    for (let o = 7 + dcidLen + scidLen; o + 4 <= vn.length; o += 4) versions.push(vn.readUInt32BE(o));
    expect(versions).toContain(1);
  });

  test('sniStrict: a QUIC handshake for a name without a certificate is refused', async () => {
    const out = await new Promise<string>((resolve) =>
      execFile(
        'gtlsclient',
        ['--exit-on-all-streams-close', '--timeout=2s', '127.0.0.1', String(port), `https://localhost:${port}/`],
        { timeout: 15_000 },
        (_e, so, se) => resolve(so + se),
      ),
    );
    expect(out).not.toMatch(/\[:status: 200\]/);
    expect(await malformed('quic-sni-refused')).toBeGreaterThan(0);
    expect(await quicMetric('portico_quic_connections_refused_total')).toBeGreaterThan(0);
    expect(await quicMetric('portico_quic_connections_open')).toBe(0);
  });
});
