/**
 * The other Gateway API kinds on a real Portico fed by FakeApiServer through
 * the real client: a TLSRoute passed through (curl verifies the backend's own
 * certificate, which Portico does not have), a TCPRoute to an echo server,
 * a UDPRoute to a UDP echo server (all three need experimentalChannel), a
 * GRPCRoute choosing backends by gRPC service and method over h2c, and a
 * BackendTLSPolicy making Portico speak HTTPS to a backend with the CA of a
 * ConfigMap, checked against the wrong hostname.
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import http2 from 'node:http2';
import https from 'node:https';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeApiServer, type KObject } from './fake-apiserver.js';
import { startPortico, type Harness } from '../../support/portico-harness.js';
import { curl } from '../../support/curl.js';
import { TestPki } from '../../support/pki.js';
import { startEchoServer, type UdpServer } from '../../entrypoint/udp-peers.js';
import { G, porticoGateway, serviceOnLoopback, until } from './gateway-fixtures.js';

const ns = 'l4';
let api: FakeApiServer;
let portico: Harness;
let pki: TestPki;
let tlsBackend: https.Server;
let tcpEcho: Server;
let udpEcho: UdpServer;
let grpc: http2.Http2Server;
let securedBackend: https.Server;
const ports: Record<string, number> = {};

const listen = async (server: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
};
const service = (name: string, port: number, protocol = 'TCP'): KObject[] => serviceOnLoopback(name, ns, port, protocol);
const parent = (sectionName: string) => ({ parentRefs: [{ name: 'gw', sectionName }] });
const backend = (name: string) => ({ name, port: 8080 });

const run = (cmd: string, args: string[]) =>
  new Promise<{ code: number; out: string }>((resolve) =>
    execFile(cmd, args, { timeout: 15_000 }, (err, out, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: out + stderr }),
    ),
  );
function tcpExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.end(text));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
    s.setTimeout(3000, () => s.destroy());
  });
}
function udpExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => (s.close(), resolve('')), 1000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString());
    });
    s.send(text, port, '127.0.0.1');
  });
}

beforeAll(async () => {
  api = new FakeApiServer();
  await api.start();
  pki = new TestPki();
  const passCert = pki.issue('pass', ['pass.example']);
  tlsBackend = https.createServer({ cert: passCert.certPem, key: passCert.keyPem }, (_req, res) => res.end('passed through to the backend\n'));
  const internal = pki.issue('internal', ['backend.internal']);
  const grpcCert = pki.issue('grpc', ['grpc.example']);
  securedBackend = https.createServer({ cert: internal.certPem, key: internal.keyPem }, (req, res) => res.end(`secured ${req.url}\n`));
  tcpEcho = createServer((s) => s.on('data', (d: Buffer) => s.write(`echo:${d.toString()}`)).on('end', () => s.end()));
  udpEcho = await startEchoServer('udp-echo');
  grpc = http2.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/grpc', 'x-served-by': req.url.includes('Other') ? 'other' : 'greeter' });
    res.end(`${req.url} over HTTP/${req.httpVersion}`);
  });
  const grpcOther = http2.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/grpc', 'x-served-by': 'greeter-v2' });
    res.end(`${req.url} over HTTP/${req.httpVersion}`);
  });
  ports.tls = await listen(tlsBackend);
  ports.secured = await listen(securedBackend);
  ports.tcp = await listen(tcpEcho);
  ports.grpc = await listen(grpc);
  ports.grpcOther = await listen(grpcOther);
  portico = await startPortico({
    entryPoints: {
      web: { address: '127.0.0.1:0' },
      websecure: { address: '127.0.0.1:0' },
      tcp: { address: '127.0.0.1:0' },
      dns: { address: '127.0.0.1:0/udp' },
    },
    providers: { kubernetesGateway: { endpoint: api.url, token: 't', throttleDuration: '30ms', namespaces: [ns], experimentalChannel: true } },
  });
  const [web, websecure, tcp, udp] = ['web', 'websecure', 'tcp', 'dns'].map((e) => portico.port(e));
  Object.assign(ports, { web, websecure, tcpEntry: tcp, udpEntry: udp });
  const objects: KObject[] = [
    ...porticoGateway(ns, [
      { name: 'http', port: web, protocol: 'HTTP' },
      { name: 'passthrough', port: websecure, protocol: 'TLS', hostname: 'pass.example', tls: { mode: 'Passthrough' } },
      { name: 'https', port: websecure, protocol: 'HTTPS', hostname: 'grpc.example', tls: { certificateRefs: [{ name: 'grpc-cert' }] } },
      { name: 'tcp', port: tcp, protocol: 'TCP' },
      { name: 'udp', port: udp, protocol: 'UDP' },
    ]),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'grpc-cert', namespace: ns },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': grpcCert.certPem, 'tls.key': grpcCert.keyPem },
    },
    ...service('tls-backend', ports.tls!),
    ...service('tcp-echo', ports.tcp!),
    ...service('udp-echo', udpEcho.port, 'UDP'),
    ...service('greeter', ports.grpc!),
    ...service('greeter-v2', ports.grpcOther!),
    ...service('secured', ports.secured!),
    ...service('secured-wrong', ports.secured!),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ca', namespace: ns }, data: { 'ca.crt': readFileSync(pki.caCert, 'utf8') } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'TLSRoute',
      metadata: { name: 'pass', namespace: ns },
      spec: { ...parent('passthrough'), hostnames: ['pass.example'], rules: [{ backendRefs: [backend('tls-backend')] }] },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'TCPRoute',
      metadata: { name: 'echo', namespace: ns },
      spec: { ...parent('tcp'), rules: [{ backendRefs: [backend('tcp-echo')] }] },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'UDPRoute',
      metadata: { name: 'dns', namespace: ns },
      spec: { ...parent('udp'), rules: [{ backendRefs: [backend('udp-echo')] }] },
    },
    {
      apiVersion: G,
      kind: 'GRPCRoute',
      metadata: { name: 'greeter', namespace: ns },
      spec: {
        ...parent('https'),
        hostnames: ['grpc.example'],
        rules: [
          { matches: [{ method: { service: 'helloworld.Greeter' } }], backendRefs: [backend('greeter')] },
          {
            matches: [{ method: { service: 'helloworld.Greeter', method: 'SayHello' }, headers: [{ name: 'x-version', value: '2' }] }],
            backendRefs: [backend('greeter-v2')],
          },
        ],
      },
    },
    {
      apiVersion: G,
      kind: 'HTTPRoute',
      metadata: { name: 'secured', namespace: ns },
      spec: {
        ...parent('http'),
        hostnames: ['secured.example'],
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: '/right' } }], backendRefs: [backend('secured')] },
          { matches: [{ path: { type: 'PathPrefix', value: '/wrong' } }], backendRefs: [backend('secured-wrong')] },
        ],
      },
    },
    {
      apiVersion: G,
      kind: 'BackendTLSPolicy',
      metadata: { name: 'secured', namespace: ns },
      spec: {
        targetRefs: [{ group: '', kind: 'Service', name: 'secured' }],
        validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }], hostname: 'backend.internal' },
      },
    },
    {
      apiVersion: G,
      kind: 'BackendTLSPolicy',
      metadata: { name: 'secured-wrong', namespace: ns },
      spec: {
        targetRefs: [{ group: '', kind: 'Service', name: 'secured-wrong' }],
        validation: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }], hostname: 'other.internal' },
      },
    },
  ];
  for (const o of objects) api.apply(o);
  await until('the TCP route is served', async () => (await tcpExchange(ports.tcpEntry!, 'ping')) === 'echo:ping');
  await until('every object is converted', async () => portico.server.current()!.errors.length === 0);
}, 60_000);

afterAll(async () => {
  await portico?.stop();
  for (const s of [tlsBackend, securedBackend, tcpEcho, grpc]) s?.close();
  await udpEcho?.close();
  await api?.stop();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

describe('Gateway API: TLS passthrough, TCP, UDP, gRPC, backend TLS', () => {
  test('TLSRoute: the TLS bytes reach the backend, whose own certificate curl verifies', async () => {
    const r = await run('curl', [
      '-sS',
      '--cacert',
      join(pki.dir, 'ca.crt'),
      '--resolve',
      `pass.example:${ports.websecure}:127.0.0.1`,
      `https://pass.example:${ports.websecure}/`,
    ]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('passed through to the backend');
  });

  test('TCPRoute: every connection of the TCP listener goes to the echo server', async () => {
    expect(await tcpExchange(ports.tcpEntry!, 'hello over tcp')).toBe('echo:hello over tcp');
  });

  test('UDPRoute: datagrams of the UDP listener reach the UDP echo server and come back', async () => {
    expect(await udpExchange(ports.udpEntry!, 'hello over udp')).toMatch(/^udp-echo:\d+:hello over udp$/);
  });

  test('GRPCRoute on an HTTPS listener: the gRPC service and method pick the backend, spoken to over h2c', async () => {
    const call = (method: string, extra: string[] = []) =>
      curl([
        '--http2',
        '--cacert',
        pki.caCert,
        '-X',
        'POST',
        '-H',
        'content-type: application/grpc',
        ...extra,
        '--resolve',
        `grpc.example:${ports.websecure}:127.0.0.1`,
        `https://grpc.example:${ports.websecure}/${method}`,
      ]);
    const hello = await call('helloworld.Greeter/SayHello');
    expect(hello.status).toBe(200);
    expect(hello.headers['x-served-by']).toEqual(['greeter']);
    expect(hello.body).toContain('/helloworld.Greeter/SayHello over HTTP/2.0');
    expect((await call('helloworld.Greeter/SayHello', ['-H', 'x-version: 2'])).headers['x-served-by']).toEqual(['greeter-v2']);
    expect((await call('helloworld.Greeter/SayGoodbye', ['-H', 'x-version: 2'])).headers['x-served-by']).toEqual(['greeter']);
    expect((await call('other.Service/Call')).status).toBe(404);
  });

  test('BackendTLSPolicy: HTTPS to the backend checked with the ConfigMap CA for its hostname; the wrong hostname fails', async () => {
    const right = () => curl(['--resolve', `secured.example:${ports.web}:127.0.0.1`, `http://secured.example:${ports.web}/right/x`]);
    // The ConfigMap may come after the policy in the watch streams: the policy resolves on a later update.
    await until('the policy resolved', async () => (await right()).status === 200);
    expect((await right()).body).toBe('secured /right/x\n');
    const wrong = await curl(['--resolve', `secured.example:${ports.web}:127.0.0.1`, `http://secured.example:${ports.web}/wrong/x`]);
    expect(wrong.status).toBe(502);
    const policy = api.get({ apiVersion: G, kind: 'BackendTLSPolicy', metadata: { name: 'secured', namespace: ns } });
    const ancestors = (policy?.status as { ancestors?: Array<{ ancestorRef: { name: string }; conditions: Array<{ type: string; status: string }> }> })
      ?.ancestors;
    expect(ancestors?.map((a) => [a.ancestorRef.name, a.conditions.map((c) => `${c.type}=${c.status}`)])).toEqual([
      ['gw', ['Accepted=True', 'ResolvedRefs=True']],
    ]);
  });

  test('routes and listeners are counted in the Gateway status', async () => {
    const gw = api.get({ apiVersion: G, kind: 'Gateway', metadata: { name: 'gw', namespace: ns } })?.status as {
      listeners: Array<{ name: string; attachedRoutes: number }>;
    };
    expect(Object.fromEntries(gw.listeners.map((l) => [l.name, l.attachedRoutes]))).toEqual({ http: 1, passthrough: 1, https: 1, tcp: 1, udp: 1 });
  });
});
