/**
 * A clear TCP router in front of a protocol where the server speaks first
 * (SMTP, MySQL, FTP): with no TLS routers on the entrypoint nothing needs the
 * client's first byte, so the connection goes to the backend at once and the
 * client gets the greeting without sending anything, as in Traefik. Behind a
 * PROXY header too. With a TLS HTTP router on the same entrypoint the first
 * byte must decide between TLS and clear, so the clear router waits for it.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { sleep, within } from '../support/raw-tcp-client.js';

const GREETING = '220 mail.test ESMTP ready\r\n';
let portico: Harness;
let smtp: Server;

beforeAll(async () => {
  smtp = createServer((s) => {
    s.on('error', () => undefined);
    // The greeting, before reading anything.
    s.write(GREETING);
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  const smtpPort = (smtp.address() as { port: number }).port;
  portico = await startPortico(
    {
      entryPoints: {
        mail: { address: '127.0.0.1:0' },
        proxied: { address: '127.0.0.1:0', proxyProtocol: { trustedIPs: ['127.0.0.1/32'] } },
        shared: { address: '127.0.0.1:0' },
      },
    },
    {
      'mail.yaml': `
tcp:
  routers:
    mail:
      rule: HostSNI(\`*\`)
      entryPoints: [mail, proxied, shared]
      service: smtp
  services:
    smtp:
      loadBalancer: { servers: [{ address: "127.0.0.1:${smtpPort}" }] }
http:
  routers:
    secure-app:
      rule: Host(\`app.test\`)
      entryPoints: [shared]
      service: noop@internal
      tls: {}
`,
    },
  );
});

afterAll(async () => {
  await portico?.stop();
  smtp?.close();
});

const open = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });

/** What arrives within `ms` without the client writing anything (beyond `first`). */
async function heard(port: number, ms: number, first?: string): Promise<string> {
  const s = await open(port);
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString('latin1')));
  if (first !== undefined) s.write(first);
  await sleep(ms);
  s.destroy();
  return got;
}

test('the server-first greeting reaches a client that sends nothing', async () => {
  expect(await heard(portico.port('mail'), 1000)).toBe(GREETING);
});

test('behind a PROXY header from a trusted address, the greeting comes right after the header', async () => {
  expect(await heard(portico.port('proxied'), 1000, 'PROXY TCP4 203.0.113.9 127.0.0.1 40000 25\r\n')).toBe(GREETING);
});

test('with a TLS router on the entrypoint, the first byte decides: the clear router waits for it, then relays', async () => {
  expect(await heard(portico.port('shared'), 700)).toBe('');
  const s = await open(portico.port('shared'));
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString('latin1')));
  s.write('EHLO client.test\r\n');
  await within(
    (async () => {
      while (!got.includes('220 ')) await sleep(20);
    })(),
    3000,
  );
  s.destroy();
  expect(got).toBe(GREETING);
});
