/**
 * proxyProtocol on real entrypoints: raw sockets send v1 and v2 headers as a
 * load balancer would, curl's --haproxy-protocol does it over TLS, and the
 * client address of the header is what ClientIP, ipAllowList,
 * X-Forwarded-For and the access log see. Untrusted sources, garbage and
 * truncated headers are closed without harming the listener.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { curl } from '../support/curl.js';
import { normalGet, openRawConnection, within, sleep } from '../support/raw-tcp-client.js';

let portico: Harness;
let backend: Backend;
let logFile: string;

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
function v2Inet4(src: number[], srcPort: number, command = 1, extra = Buffer.alloc(0)): Buffer {
  const body = Buffer.concat([Buffer.from([...src, 127, 0, 0, 1, srcPort >> 8, srcPort & 0xff, 0, 80]), extra]);
  const head = Buffer.from([0x20 | command, 0x11, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([SIG, head, body]);
}
function v2Inet6(src: string, srcPort: number): Buffer {
  const body = Buffer.alloc(36);
  Buffer.from(src, 'hex').copy(body, 0);
  body[31] = 1;
  body.writeUInt16BE(srcPort, 32);
  body.writeUInt16BE(80, 34);
  return Buffer.concat([SIG, Buffer.from([0x21, 0x21, 0, 36]), body]);
}

/** Send `preface` then a GET, and read the whole response (Connection: close). */
async function getWith(port: number, preface: Buffer | string, path = '/echo'): Promise<{ status: number; body: string; closed: boolean }> {
  const c = await openRawConnection(port);
  c.write(Buffer.concat([Buffer.from(preface), Buffer.from(`GET ${path} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n`)]));
  const closed = await within(c.closed, 5000);
  const text = c.received().toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  c.socket.destroy();
  // The backend's JSON echo, whatever the framing (chunked or not).
  return { status, body: text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1), closed };
}

const malformedCount = async (entryPoint: string) => {
  const text = await portico.server.metrics.registry.getSingleMetricAsString('portico_malformed_requests_total');
  return Number(new RegExp(`entrypoint="${entryPoint}",kind="proxy-protocol"\\} (\\d+)`).exec(text)?.[1] ?? 0);
};

beforeAll(async () => {
  backend = await startBackend('b1');
  portico = await startPortico(
    {
      entryPoints: {
        lb: { address: '127.0.0.1:0', proxyProtocol: { trustedIPs: ['127.0.0.0/8'] }, transport: { respondingTimeouts: { readTimeout: '1s' } } },
        strict: { address: '127.0.0.1:0', proxyProtocol: { trustedIPs: ['10.0.0.0/8'] } },
        tlslb: { address: '[::1]:0', http: { tls: {} }, proxyProtocol: { insecure: true } },
      },
      accessLog: { filePath: (logFile = join(mkdtempSync(join(tmpdir(), 'portico-pp-')), 'access.log')), format: 'json' },
    },
    {
      'routes.yaml': `
http:
  routers:
    echo:
      rule: PathPrefix(\`/echo\`)
      service: app
    from-doc-net:
      rule: ClientIP(\`198.51.100.0/24\`)
      service: doc
    guarded:
      rule: PathPrefix(\`/guarded\`)
      middlewares: [only-doc]
      service: app
  middlewares:
    only-doc:
      ipAllowList: { sourceRange: ["203.0.113.0/24"] }
  services:
    app:
      loadBalancer: { servers: [{ url: "${backend.url}" }] }
    doc:
      loadBalancer: { servers: [{ url: "${backend.url}/doc" }] }
`,
    },
  );
  await portico.server.nextApply(1);
});

afterAll(async () => {
  await portico?.stop();
  await backend?.close();
});

describe('proxyProtocol', () => {
  test('v1 from a trusted source: the header client is the client everywhere', async () => {
    const r = await getWith(portico.port('lb'), 'PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n');
    expect(r.status).toBe(200);
    const echo = JSON.parse(r.body);
    expect(echo.headers['x-forwarded-for']).toBe('203.0.113.7');
    expect(echo.headers['x-real-ip']).toBe('203.0.113.7');
    // ipAllowList sees it: allowed with the header, refused without.
    expect((await getWith(portico.port('lb'), 'PROXY TCP4 203.0.113.9 127.0.0.1 40001 80\r\n', '/guarded')).status).toBe(200);
    expect((await getWith(portico.port('lb'), '', '/guarded')).status).toBe(403);
    // ClientIP rules see it.
    const doc = await getWith(portico.port('lb'), 'PROXY TCP4 198.51.100.3 127.0.0.1 40002 80\r\n', '/x');
    expect(JSON.parse(doc.body).url).toBe('/doc/x');
    await sleep(100);
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ClientHost: string; RequestPath: string });
    expect(lines.some((l) => l.ClientHost === '203.0.113.7')).toBe(true);
    expect(lines.some((l) => l.ClientHost === '198.51.100.3')).toBe(true);
  });

  test('v2 over IPv4 and IPv6 with TLVs; LOCAL and no header keep the socket address', async () => {
    const tlvs = Buffer.from([0x02, 0, 8, ...Buffer.from('app.test'), 0xea, 0, 3, 1, 2, 3]);
    const r4 = await getWith(portico.port('lb'), v2Inet4([203, 0, 113, 50], 1234, 1, tlvs));
    expect(JSON.parse(r4.body).headers['x-forwarded-for']).toBe('203.0.113.50');
    const r6 = await getWith(portico.port('lb'), v2Inet6('20010db8000000000000000000000042', 999));
    expect(JSON.parse(r6.body).headers['x-forwarded-for']).toBe('2001:db8::42');
    const local = await getWith(portico.port('lb'), v2Inet4([203, 0, 113, 50], 1234, 0));
    expect(JSON.parse(local.body).headers['x-forwarded-for']).toBe('127.0.0.1');
    const none = await getWith(portico.port('lb'), '');
    expect(JSON.parse(none.body).headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  test('a header split over several writes is reassembled', async () => {
    const c = await openRawConnection(portico.port('lb'));
    const whole = Buffer.concat([v2Inet4([203, 0, 113, 77], 5), Buffer.from('GET /echo HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n')]);
    const cuts = [0, 3, 13, 20, 28];
    for (let i = 0; i + 1 < cuts.length; i++) {
      c.write(whole.subarray(cuts[i], cuts[i + 1]));
      await sleep(30);
    }
    c.write(whole.subarray(28));
    await within(c.closed, 5000);
    const text = c.received().toString();
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text).toContain('"x-forwarded-for":"203.0.113.77"');
  });

  test('from an untrusted source a header is refused and counted; plain requests are served', async () => {
    const before = await malformedCount('strict');
    const r = await getWith(portico.port('strict'), 'PROXY TCP4 203.0.113.7 127.0.0.1 40000 80\r\n');
    expect(r.closed).toBe(true);
    expect(r.status).toBe(0);
    expect(await malformedCount('strict')).toBe(before + 1);
    expect((await getWith(portico.port('strict'), '')).status).toBe(200);
  });

  test('garbage, truncated and stalled headers are closed; the listener keeps serving', async () => {
    const before = await malformedCount('lb');
    for (const bad of [
      'PROXY TCP4 1.2.3.4\r\n',
      'PROXY TCP9 a b c d\r\n',
      `PROXY ${'x'.repeat(200)}`,
      Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0, 3, 1, 2, 3])]),
    ]) {
      const r = await getWith(portico.port('lb'), bad);
      expect(r.closed).toBe(true);
      expect(r.status).toBe(0);
    }
    expect(await malformedCount('lb')).toBe(before + 4);
    // Half a header, then silence: closed by the read timeout (1 s here), not held for ever.
    const c = await openRawConnection(portico.port('lb'));
    c.write('PROXY TCP4 1.2.3.4 ');
    expect(await within(c.closed, 4000)).toBe(true);
    expect(await normalGet(portico.port('lb'), '/echo')).toMatchObject({ status: 200 });
  });

  test('curl --haproxy-protocol over TLS (h1 and h2) on an insecure entrypoint', async () => {
    const port = portico.port('tlslb');
    for (const flag of ['--http1.1', '--http2']) {
      const r = await curl([flag, '--haproxy-protocol', '--resolve', `app.test:${port}:::1`, `https://app.test:${port}/echo`]);
      expect(r.status, r.stderr).toBe(200);
      expect(r.httpVersion).toBe(flag === '--http2' ? '2' : '1.1');
      expect(JSON.parse(r.body).headers['x-forwarded-for']).toBe('::1');
    }
    // The TLS path takes the v2 client too (raw header, then a TLS handshake).
    const { connect } = await import('node:tls');
    const { connect: tcp } = await import('node:net');
    const raw = tcp({ host: '::1', port });
    await new Promise((r) => raw.once('connect', r));
    raw.write(v2Inet6('20010db8000000000000000000000099', 7));
    const s = connect({ socket: raw, servername: 'app.test', rejectUnauthorized: false });
    await new Promise((r) => s.once('secureConnect', r));
    s.write('GET /echo HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n');
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    await new Promise((r) => s.once('end', r));
    expect(Buffer.concat(chunks).toString()).toContain('"x-forwarded-for":"2001:db8::99"');
    s.destroy();
  });
});
