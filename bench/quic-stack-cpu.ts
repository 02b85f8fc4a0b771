/**
 * CPU cost of our QUIC stack alone, without sockets: a server and a client
 * QuicConnection (real TLS 1.3, AES-128-GCM, CUBIC as the listener uses) in
 * one process, datagrams handed over in memory, the server sending `--mb`
 * MiB on one stream. Only the server's calls are timed, in process CPU time
 * (process.cpuUsage around each batch), so a busy shared machine changes the
 * figure far less than a wall-clock rate: µs of server CPU per datagram sent,
 * split into sending (building + sealing) and receiving (opening the
 * client's ACKs, recovery). What the socket adds comes on top
 * (bench/http3.ts measures the whole).
 *
 *   node dist/bench/quic-stack-cpu.js [--mb 50] [--rounds 3]
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { QuicConnection, type PeerAddress } from '../src/quic/connection/quic-connection.js';
import { createQuicTlsClient } from '../src/quic/tls13/client.js';
import { createQuicTlsServer } from '../src/quic/tls13/server.js';
import { selfSignedCert } from './bench-support.js';

const option = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const megabytes = option('mb', 50);
const rounds = option('rounds', 3);
const MAX_DATAGRAM = 1350;

const clientAddress: PeerAddress = { address: '127.0.0.1', port: 50000, family: 'IPv4' };
const serverAddress: PeerAddress = { address: '127.0.0.1', port: 443, family: 'IPv4' };

let cpuReads = 0;
const cpuNow = () => {
  cpuReads++;
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** What one cpuNow() costs (µs): the readings around server calls are corrected by it. */
function cpuReadCost(): number {
  const n = 20_000;
  const start = cpuNow();
  for (let i = 0; i < n; i++) cpuNow();
  return (cpuNow() - start) / (n + 1);
}

function runOnce(certificate: { chain: Buffer[]; key: ReturnType<typeof createPrivateKey> }) {
  let now = 1000;
  const client = new QuicConnection({
    role: 'client',
    localCid: randomBytes(8),
    remoteCid: randomBytes(8),
    now,
    maxDatagramSize: MAX_DATAGRAM,
    transportParameters: { initialMaxData: 64 * 1024 * 1024, initialMaxStreamDataBidiLocal: 32 * 1024 * 1024, initialMaxStreamDataUni: 32 * 1024 * 1024 },
    createTls: (binding) => createQuicTlsClient({ ...binding, serverName: 'localhost', alpn: ['h3'], insecure: true, now: () => Date.now() }),
  });
  let server: QuicConnection | undefined;
  const total = megabytes * 1024 * 1024;
  const chunk = randomBytes(64 * 1024);
  let written = 0;
  let received = 0;
  let streamId = -1;
  let sendUs = 0;
  let receiveUs = 0;
  let datagramsSent = 0;
  let datagramsReceived = 0;
  const readsBefore = cpuReads;
  const toServer: Buffer[] = [];
  for (let turn = 0; turn < 2_000_000 && received < total; turn++) {
    for (const d of client.sendDatagrams(now)) toServer.push(d);
    if (!server && toServer.length) {
      server = new QuicConnection({
        role: 'server',
        localCid: randomBytes(8),
        remoteCid: Buffer.from(toServer[0]!.subarray(7 + toServer[0]![5]!, 7 + toServer[0]![5]! + toServer[0]![6 + toServer[0]![5]!]!)),
        originalDcid: Buffer.from(toServer[0]!.subarray(6, 6 + toServer[0]![5]!)),
        maxDatagramSize: MAX_DATAGRAM,
        congestionControl: 'cubic',
        now,
        peerAddress: clientAddress,
        transportParameters: { initialMaxData: 16 * 1024 * 1024, initialMaxStreamDataBidiRemote: 1024 * 1024, initialMaxStreamsBidi: 100 },
        createTls: (binding) => createQuicTlsServer({ ...binding, alpn: ['h3'], now: () => Date.now(), selectCertificate: () => certificate }),
      });
    }
    if (!server) throw new Error('the client sent nothing');
    let t = cpuNow();
    for (const d of toServer.splice(0)) {
      server.receiveDatagram(d, now, clientAddress);
      datagramsReceived++;
    }
    if (now >= server.nextTimeout()) server.handleTimeout(now);
    if (server.isEstablished && streamId < 0) streamId = server.streams.openStream('uni')!;
    while (streamId >= 0 && written < total && server.streams.bufferedAmount(streamId) < 1024 * 1024) {
      server.streams.write(streamId, chunk.subarray(0, Math.min(chunk.length, total - written)));
      written += Math.min(chunk.length, total - written);
      if (written === total) server.streams.end(streamId);
    }
    receiveUs += cpuNow() - t;
    t = cpuNow();
    const out = server.sendDatagrams(now);
    sendUs += cpuNow() - t;
    datagramsSent += out.length;
    for (const d of out) client.receiveDatagram(d, now, serverAddress);
    if (now >= client.nextTimeout()) client.handleTimeout(now);
    for (let e = client.streams.pollEvent(); e; e = client.streams.pollEvent()) {
      if (e.type !== 'readable') continue;
      for (let data = client.streams.read(e.streamId, now); data && data.length; data = client.streams.read(e.streamId, now)) received += data.length;
    }
    while (client.pollEvent());
    // A tenth of a millisecond of "network" per turn: RTT samples stay small, the pacer opens as on loopback.
    now += out.length ? 0.1 : Math.max(0.1, Math.min(server.nextTimeout(), client.nextTimeout()) - now);
  }
  if (received < total) throw new Error(`only ${received} of ${total} bytes arrived`);
  // Half of each reading's cost falls inside the interval it opens or closes; each interval has two readings.
  const readCost = cpuReadCost();
  const intervals = (cpuReads - readsBefore) / 2 / 2;
  return { sendUs: sendUs - intervals * readCost, receiveUs: receiveUs - intervals * readCost, datagramsSent, datagramsReceived };
}

function main() {
  const { cert, key } = selfSignedCert();
  const certificate = { chain: [new X509Certificate(readFileSync(cert)).raw], key: createPrivateKey(readFileSync(key)) };
  console.log(
    `# our QUIC stack in memory: server sends ${megabytes} MiB on one stream, ${MAX_DATAGRAM}-byte datagrams; node ${process.version}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
  );
  for (let r = 1; r <= rounds; r++) {
    const { sendUs, receiveUs, datagramsSent, datagramsReceived } = runOnce(certificate);
    console.log(
      `round ${r}: ${datagramsSent} datagrams sent, ${datagramsReceived} received; server CPU ${((sendUs + receiveUs) / 1e6).toFixed(2)} s: ` +
        `${(sendUs / datagramsSent).toFixed(1)} µs per datagram sent (build + seal), ${(receiveUs / datagramsReceived).toFixed(1)} µs per datagram received (open + ACK + recovery + app writes), ` +
        `${((sendUs + receiveUs) / datagramsSent).toFixed(1)} µs all per datagram sent`,
    );
  }
}

main();
