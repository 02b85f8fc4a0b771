/**
 * HTTP/3 interop with a client we did not write: gtlsclient (ngtcp2 +
 * GnuTLS, Debian ngtcp2-client) against Portico's UDP side — small and
 * 10 MB GETs, POST bodies, 100 requests on one connection, 5% loss both
 * ways, key update, connection migration, NAT rebinding, session
 * resumption — reaching whoami@internal and a real HTTP/1.1 backend.
 * Also: Alt-Svc on h1/h2 points at the live listener, and the keylog and
 * qlog switches produce their files. Over the quiche transport (`quic:
 * quiche`, no longer the default): our own stack's suite is
 * portico-gtlsclient.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { curl } from '../support/curl.js';
import { gtlsclient } from '../support/gtlsclient.js';

let p: Harness;
let backend: Backend;
let port: number;
const work = mkdtempSync(join(tmpdir(), 'portico-h3-'));
const keylog = join(work, 'keys.log');
const qlogDir = join(work, 'qlog');

const gtls = (args: string[]) => gtlsclient(args);

/** Fetch `path` (one or more times) and return what was downloaded plus the client's log. */
async function fetchH3(path: string, extra: string[] = []): Promise<{ body: Buffer; out: string; code: number }> {
  const dir = mkdtempSync(join(work, 'dl-'));
  const r = await gtls([`--download=${dir}`, ...extra, '127.0.0.1', String(port), `https://localhost:${port}${path}`]);
  const files = readdirSync(dir);
  return { body: files.length ? readFileSync(join(dir, files[0]!)) : Buffer.alloc(0), out: r.out, code: r.code };
}

/** The records of one JSON-SEQ qlog file (RFC 7464: each record is 0x1E, JSON, newline). */
function qlogRecords(file: string): Array<{ name?: string; time?: number; data?: any; qlog_format?: string }> {
  return readFileSync(join(qlogDir, file), 'utf8')
    .split('\x1e')
    .filter(Boolean)
    .map((r) => JSON.parse(r));
}

beforeAll(async () => {
  backend = await startBackend('h3-backend');
  p = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} }, http3: { enabled: true, quic: 'quiche', keylogFile: keylog, qlogDir } } } },
    {
      // The same IngressRoute + Service + EndpointSlice a cluster would have, served by the file provider.
      'routes.yaml': `
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: h3, namespace: default }
spec:
  routes:
    - match: PathPrefix(\`/\`)
      services: [{ name: whoami@internal, kind: TraefikService }]
    - match: PathPrefix(\`/backend\`)
      services: [{ name: be, port: 80 }]
---
apiVersion: v1
kind: Service
metadata: { name: be, namespace: default }
spec: { ports: [{ name: http, port: 80, targetPort: ${backend.port} }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: be-1, namespace: default, labels: { kubernetes.io/service-name: be } }
ports: [{ name: http, port: ${backend.port} }]
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true } }]
`,
    },
  );
  await p.server.nextApply(1);
  port = p.port('websecure');
});

afterAll(async () => {
  await p?.stop();
  await backend?.close();
});

describe('HTTP/3 with gtlsclient (ngtcp2)', () => {
  test('Alt-Svc on HTTP/2 and HTTP/1.1 responses points at the live UDP listener', async () => {
    for (const flag of ['--http2', '--http1.1']) {
      const r = await curl([flag, `https://127.0.0.1:${port}/`]);
      expect(r.headers['alt-svc']).toEqual([`h3=":${port}"; ma=2592000`]);
    }
  });

  test('small GET to whoami is served over HTTP/3', async () => {
    const r = await fetchH3('/hello');
    expect(r.body.toString()).toMatch(/Protocol: HTTP\/3\.0/);
    expect(r.body.toString()).toMatch(/GET \/hello HTTP\/3\.0/);
  });

  test('a real HTTP/1.1 backend behind a router, reached over h3', async () => {
    const r = await fetchH3('/backend/x?y=1');
    const echo = JSON.parse(r.body.toString());
    expect(echo.url).toBe('/backend/x?y=1');
    expect(echo.headers['x-forwarded-proto']).toBe('https');
    expect(echo.headers.host).toBe(`localhost:${port}`);
  });

  test('10 MB GET arrives whole', async () => {
    const r = await fetchH3('/data?size=10485760');
    expect(r.body.length).toBe(10485760);
  });

  test('POST with a body reaches the backend', async () => {
    const file = join(work, 'post.bin');
    writeFileSync(file, Buffer.alloc(300_000, 9));
    const r = await fetchH3('/backend/upload', ['-m', 'POST', `--data=${file}`]);
    expect(JSON.parse(r.body.toString())).toMatchObject({ method: 'POST', bodyBytes: 300_000 });
  });

  test('100 requests on one connection', async () => {
    const r = await gtls(['-q', '-n', '100', '127.0.0.1', String(port), `https://localhost:${port}/n`]);
    expect(r.code).toBe(0);
    const stats = (await curl([`https://127.0.0.1:${port}/`])).status;
    expect(stats).toBe(200);
  });

  test('5% loss both ways: a 1 MB download still completes', async () => {
    const r = await fetchH3('/data?size=1048576', ['-t', '0.05', '-r', '0.05']);
    expect(r.body.length).toBe(1048576);
  }, 60_000);

  test('key update mid-transfer', async () => {
    const r = await fetchH3('/data?size=2097152', ['--key-update=20ms']);
    expect(r.body.length).toBe(2097152);
  });

  test('connection migration: the client moves to a new local address mid-transfer', async () => {
    const migrate = await fetchH3('/data?size=4194304', ['--change-local-addr=200ms']);
    expect(migrate.out).toMatch(/Path validation against path .* succeeded/);
    expect(migrate.body.length).toBe(4194304);
  });

  test('NAT rebinding mid-upload: the client moves to a new port without path validation, the server follows, the upload completes', async () => {
    // --nat-rebinding switches the client's UDP port silently (no PATH_CHALLENGE of its own); the server has to notice the
    // new address, validate it and move the connection there. An upload keeps the client sending, as a real NAT rebinding
    // is seen: by the client's next packet. (A download-only client that has nothing to acknowledge at the moment of the
    // switch never sends again — see src/quic/README.md, "Paths".)
    const file = join(work, 'nat-upload.bin');
    const size = 16 * 1024 * 1024;
    writeFileSync(file, Buffer.alloc(size, 5));
    const r = await fetchH3('/nat-rebinding', ['-m', 'POST', `--data=${file}`, '--change-local-addr=50ms', '--nat-rebinding']);
    const newPort = /Local address is now \[127\.0\.0\.1\]:(\d+)/.exec(r.out)?.[1];
    const tail = `client exit ${r.code}, last lines of its log:\n${r.out.split('\n').slice(-40).join('\n')}`;
    expect(newPort, `the client switched ports; ${tail}`).toBeDefined();
    expect(r.body.toString(), tail).toContain(`Body-Bytes: ${size}`);
    // The server followed the client to that port, before the upload was over (whoami answers only after the whole body).
    const conn = readdirSync(qlogDir)
      .filter((f) => f.endsWith('.sqlog'))
      .map(qlogRecords)
      .find((recs) => recs.some((e) => e.name === 'connectivity:connection_migrated' && String(e.data.new.port) === newPort));
    expect(conn, 'a server qlog with connection_migrated to the new port').toBeDefined();
    const migrated = conn!.find((e) => e.name === 'connectivity:connection_migrated')!;
    const answered = conn!.find((e) => e.name === 'http:frame_created' && e.data.frame.frame_type === 'headers')!;
    expect(migrated.time!).toBeLessThan(answered.time!);
  });

  test('TLS session resumption', async () => {
    const session = join(work, 'session.pem');
    const tp = join(work, 'tp.pem');
    const first = await fetchH3('/first', [`--session-file=${session}`, `--tp-file=${tp}`]);
    expect(first.out).not.toMatch(/type=0RTT/);
    // A session ticket was issued and saved…
    expect(existsSync(session)).toBe(true);
    const second = await fetchH3('/second', [`--session-file=${session}`, `--tp-file=${tp}`]);
    // …and the second connection resumes with it (the client offers 0-RTT, which only a resumed session can).
    expect(second.out).toMatch(/type=0RTT/);
    expect(second.body.toString()).toMatch(/GET \/second HTTP\/3\.0/);
  });

  test('keylog and qlog files are written', async () => {
    await fetchH3('/keys');
    await new Promise((r) => setTimeout(r, 300));
    const keys = readFileSync(keylog, 'utf8');
    expect(keys).toMatch(/^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]+$/m);
    expect(keys).toMatch(/^SERVER_TRAFFIC_SECRET_0 /m);
    const files = readdirSync(qlogDir).filter((f) => f.endsWith('.sqlog'));
    expect(files.length).toBeGreaterThan(1);
    const records = qlogRecords(files[0]!);
    expect(records[0].qlog_format).toBe('JSON-SEQ');
    expect(records.map((r) => r.name)).toContain('connectivity:connection_started');
    // A connection that carried a request has HTTP/3 frames and stream states too.
    const all = files.flatMap(qlogRecords);
    const names = new Set(all.map((r) => r.name));
    for (const n of ['http:frame_parsed', 'http:frame_created', 'http:stream_state_updated', 'connectivity:connection_closed']) expect(names, n).toContain(n);
    expect(all.some((r) => r.name === 'http:frame_created' && r.data.frame.frame_type === 'headers' && r.data.frame.headers[0].value === '200')).toBe(true);
    expect(statSync(keylog).mode & 0o077).toBe(0);
  });
});
