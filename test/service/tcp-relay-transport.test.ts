/**
 * A TCP serversTransport's settings, with real peers: servers marked `tls`
 * dialled with mutual TLS (client certificate from the transport, the server
 * checked against its rootCAs and by the URI SAN of peerCertURI instead of its
 * host name), a wrong URI or a missing client certificate getting nothing
 * through, a server not marked tls dialled in clear whatever its transport, and terminationDelay closing a relay that long after the client's
 * half-close while, without it, the half-open relay stays.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { TestPki } from '../support/pki.js';
import { sleep, within } from '../support/raw-tcp-client.js';
import { openTcp, roundTrip, startTcpEcho } from '../support/tcp-peers.js';

let portico: Harness;
let mtlsBackend: TlsServer;
let holder: Server;
let echo: Server;
/** Client certificates the TLS backend saw, by CN. */
const clientNames: string[] = [];

beforeAll(async () => {
  const pki = new TestPki();
  const server = pki.issue('backend', ['backend.internal', 'URI:spiffe://portico.test/backend']);
  const client = pki.issue('portico-client', ['portico-client'], 'client');
  // The backend requires a client certificate of the test CA.
  const ca = readFileSync(pki.caCert, 'utf8');
  mtlsBackend = createTlsServer({ cert: server.certPem, key: server.keyPem, ca, requestCert: true, rejectUnauthorized: true }, (s) => {
    clientNames.push(String(s.getPeerCertificate().subject?.CN));
    s.on('data', (d: Buffer) => s.write(d));
    s.on('end', () => s.end());
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => mtlsBackend.listen(0, '127.0.0.1', r));
  const tlsPort = (mtlsBackend.address() as { port: number }).port;
  // Reads whatever comes and never closes its side: only Portico can end such a relay.
  holder = createTcpServer({ allowHalfOpen: true }, (s) => {
    s.on('data', () => undefined);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  const holderPort = (holder.address() as { port: number }).port;

  const echoPeer = await startTcpEcho();
  echo = echoPeer.server;
  const eps = ['mtls', 'wrong-uri', 'no-cert', 'delay', 'no-delay', 'clear'];
  const router = (ep: string, service: string) => `    ${ep}:\n      rule: HostSNI(\`*\`)\n      entryPoints: [${ep}]\n      service: ${service}\n`;
  const tlsService = (name: string, transport: string) =>
    `    ${name}:\n      loadBalancer: { servers: [{ address: "127.0.0.1:${tlsPort}", tls: true }], serversTransport: ${transport} }\n`;
  portico = await startPortico(
    { entryPoints: Object.fromEntries(eps.map((e) => [e, { address: '127.0.0.1:0' }])) },
    {
      'tcp.yaml': `
tcp:
  routers:
${router('mtls', 'mtls')}${router('wrong-uri', 'wrong-uri')}${router('no-cert', 'no-cert')}${router('delay', 'delay')}${router('no-delay', 'no-delay')}${router('clear', 'clear')}
  services:
${tlsService('mtls', 'mtls')}${tlsService('wrong-uri', 'wrong-uri')}${tlsService('no-cert', 'no-cert')}
    delay:
      loadBalancer: { servers: [{ address: "127.0.0.1:${holderPort}" }], serversTransport: delay }
    no-delay:
      loadBalancer: { servers: [{ address: "127.0.0.1:${holderPort}" }] }
    clear:
      loadBalancer: { servers: [{ address: "127.0.0.1:${echoPeer.port}" }], serversTransport: mtls }
  serversTransports:
    mtls:
      dialKeepAlive: 10s
      tls:
        rootCAs: ["${pki.caCert}"]
        certificates: [{ certFile: "${client.certFile}", keyFile: "${client.keyFile}" }]
        peerCertURI: spiffe://portico.test/backend
    wrong-uri:
      tls:
        rootCAs: ["${pki.caCert}"]
        certificates: [{ certFile: "${client.certFile}", keyFile: "${client.keyFile}" }]
        peerCertURI: spiffe://portico.test/someone-else
    no-cert:
      tls:
        serverName: backend.internal
        rootCAs: ["${pki.caCert}"]
    delay:
      terminationDelay: 300ms
      dialKeepAlive: -1
`,
    },
  );
  expect((await portico.server.nextApply(1)).errors).toEqual([]);
});

afterAll(async () => {
  await portico?.stop();
  mtlsBackend?.close();
  holder?.close();
  echo?.close();
});

describe('TCP serversTransport', () => {
  test('mutual TLS to a server marked tls: our client certificate is presented, the server is accepted by its URI SAN', async () => {
    expect(await roundTrip(await openTcp(portico.port('mtls')), 'over mTLS')).toBe('over mTLS');
    expect(clientNames).toContain('portico-client');
  });

  test('a server without the peerCertURI is refused; without a client certificate the server refuses us', async () => {
    const before = clientNames.length;
    expect(await roundTrip(await openTcp(portico.port('wrong-uri')), 'hello?')).toBe('');
    expect(await roundTrip(await openTcp(portico.port('no-cert')), 'hello?')).toBe('');
    expect(clientNames.length).toBe(before);
  });

  test("a server not marked tls is dialled in clear even when its transport has tls settings (Traefik's rule)", async () => {
    expect(await roundTrip(await openTcp(portico.port('clear')), 'in clear')).toBe('in clear');
  });

  test("terminationDelay closes the relay that long after the client's half-close; without it the half-open relay stays", async () => {
    const delayed = await openTcp(portico.port('delay'));
    const kept = await openTcp(portico.port('no-delay'));
    for (const s of [delayed, kept]) s.on('error', () => undefined);
    const delayedClosed = new Promise((r) => delayed.once('close', r));
    const keptClosed = new Promise((r) => kept.once('close', r));
    delayed.end('bye');
    kept.end('bye');
    // 300 ms configured; a loaded machine gets a wide margin.
    expect(await within(delayedClosed, 5000)).toBe(true);
    expect(await within(keptClosed, 1500)).toBe(false);
    kept.destroy();
    await sleep(10);
  });
});
