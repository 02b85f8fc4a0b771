/**
 * grpcWeb through a real Portico before a real HTTP/2 cleartext gRPC server
 * (node:http2, answering with a message and grpc-status trailers): binary and
 * text gRPC-Web over h1 and h2 (curl) and h3 (quiche client), CORS preflight
 * from an allowed origin, and non-gRPC-Web requests untouched.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import http2 from 'node:http2';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { curl } from '../../support/curl.js';
import { h3Request } from '../support/h3-request.js';
import { problems } from '../support/compile.js';

const frame = (payload: Buffer, flag = 0) => {
  const head = Buffer.alloc(5);
  head[0] = flag;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
};

/** Split a gRPC-Web body into its frames. */
function frames(body: Buffer): Array<{ flag: number; payload: Buffer }> {
  const out: Array<{ flag: number; payload: Buffer }> = [];
  for (let at = 0; at < body.length;) {
    const len = body.readUInt32BE(at + 1);
    out.push({ flag: body[at]!, payload: body.subarray(at + 5, at + 5 + len) });
    at += 5 + len;
  }
  return out;
}

let grpc: http2.Http2Server;
const seen: Array<{ contentType?: string; te?: string; body: Buffer }> = [];
let p: Harness;
let port: number;
const dir = mkdtempSync(join(tmpdir(), 'portico-grpcweb-'));
const message = frame(Buffer.from('hello grpc'));

beforeAll(async () => {
  grpc = http2.createServer();
  grpc.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ contentType: headers['content-type'], te: headers.te as string | undefined, body });
      const request = frames(body)[0]?.payload.toString() ?? '';
      stream.respond({ ':status': 200, 'content-type': headers['content-type'] ?? 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'OK' }));
      stream.end(frame(Buffer.from(`echo: ${request}`)));
    });
  });
  grpc.listen(0, '127.0.0.1');
  await once(grpc, 'listening');
  writeFileSync(join(dir, 'binary'), message);
  writeFileSync(join(dir, 'text'), message.toString('base64'));
  p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true } } } },
    {
      'grpc.yaml': `
http:
  routers:
    grpc: { rule: PathPrefix(\`/echo.Echo\`), service: grpc, middlewares: [web] }
  services:
    grpc: { loadBalancer: { servers: [{ url: "h2c://127.0.0.1:${(grpc.address() as AddressInfo).port}" }] } }
  middlewares:
    web: { grpcWeb: { allowOrigins: ["https://app.example"] } }
`,
    },
  );
  expect((await p.server.nextApply(1)).errors).toEqual([]);
  port = p.port('websecure');
});

afterAll(async () => {
  await p?.stop();
  grpc?.close();
});

function expectGrpcWebAnswer(body: Buffer) {
  const f = frames(body);
  expect(f.map((x) => x.flag)).toEqual([0, 0x80]);
  expect(f[0]!.payload.toString()).toBe('echo: hello grpc');
  expect(f[1]!.payload.toString()).toBe('grpc-status:0\r\ngrpc-message:OK\r\n');
}

describe('grpcWeb end to end', () => {
  for (const version of ['--http1.1', '--http2']) {
    test(`${version}: binary gRPC-Web reaches the server as gRPC; trailers come back as the final frame`, async () => {
      seen.length = 0;
      const out = join(dir, `out${version}`);
      const r = await curl([
        version,
        '-H',
        'content-type: application/grpc-web+proto',
        '-H',
        'x-grpc-web: 1',
        '-H',
        'origin: https://app.example',
        '--data-binary',
        `@${join(dir, 'binary')}`,
        '-o',
        out,
        `https://127.0.0.1:${port}/echo.Echo/Say`,
      ]);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toEqual(['application/grpc-web+proto']);
      expect(r.headers['access-control-allow-origin']).toEqual(['https://app.example']);
      expect(r.headers['access-control-expose-headers']).toEqual(['grpc-status,grpc-message,grpc-status-details-bin']);
      expectGrpcWebAnswer(readFileSync(out));
      expect(seen).toEqual([{ contentType: 'application/grpc+proto', te: 'trailers', body: message }]);
    });

    test(`${version}: grpc-web-text: the base64 body is decoded for the server and the answer encoded`, async () => {
      seen.length = 0;
      const r = await curl([
        version,
        '-H',
        'content-type: application/grpc-web-text',
        '--data-binary',
        `@${join(dir, 'text')}`,
        `https://127.0.0.1:${port}/echo.Echo/Say`,
      ]);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toEqual(['application/grpc-web-text']);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      expect(seen[0]!.contentType).toBe('application/grpc');
      expect(seen[0]!.body).toEqual(message);
      // Each write is encoded on its own: decode the padded groups one by one.
      const decoded = Buffer.concat(r.body.split(/(?<==)(?=[^=])/).map((g) => Buffer.from(g, 'base64')));
      expectGrpcWebAnswer(decoded);
    });
  }

  test('h3: binary gRPC-Web', async () => {
    seen.length = 0;
    const r = await h3Request(port, '/echo.Echo/Say', { method: 'POST', headers: [['content-type', 'application/grpc-web']], body: message });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toEqual(['application/grpc-web']);
    expectGrpcWebAnswer(r.body);
    expect(seen[0]!.contentType).toBe('application/grpc');
  });

  test('CORS preflight from an allowed origin is answered here; from another origin it is not', async () => {
    seen.length = 0;
    const ok = await curl([
      '-X',
      'OPTIONS',
      '-H',
      'origin: https://app.example',
      '-H',
      'access-control-request-method: POST',
      '-H',
      'access-control-request-headers: content-type,x-grpc-web',
      `https://127.0.0.1:${port}/echo.Echo/Say`,
    ]);
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toEqual(['https://app.example']);
    expect(ok.headers['access-control-allow-headers']).toEqual(['content-type,x-grpc-web']);
    const other = await curl([
      '-X',
      'OPTIONS',
      '-H',
      'origin: https://evil.example',
      '-H',
      'access-control-request-method: POST',
      `https://127.0.0.1:${port}/echo.Echo/Say`,
    ]);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('options: unknown keys refused by name', () => {
    expect(problems('grpcWeb', { allowOrigins: ['*'] })).toEqual([]);
    expect(problems('grpcWeb', { allowOrigin: ['*'] })).toEqual(['http.middlewares.m.grpcWeb.allowOrigin: unknown field']);
  });
});
