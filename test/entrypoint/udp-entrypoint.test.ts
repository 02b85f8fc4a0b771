/**
 * UDP routers and services on a `/udp` entrypoint, against a real Portico and
 * real peers on loopback: DNS queries from Node's resolver (c-ares, a real DNS
 * client) to small DNS servers, echo servers that report the source port
 * they saw (one per session), a backend that answers ICMP unreachable.
 */
import { Resolver } from 'node:dns/promises';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { deadUdpPort, UdpPeerSet, type UdpClient } from './udp-peers.js';

const peers = new UdpPeerSet();
let portico: Harness | undefined;

afterEach(async () => {
  await portico?.stop();
  portico = undefined;
  await peers.closeAll();
});

async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// No grace at stop: sessions would otherwise be given until they idle out.
const udpStatic = (udp: Record<string, unknown> = {}) => ({
  entryPoints: { dns: { address: '127.0.0.1:0/udp', udp, transport: { lifeCycle: { graceTimeOut: 0 } } } },
});

describe('UDP entrypoint', () => {
  test('a DNS query from a real resolver is answered through a UDP router, by backends in turn', async () => {
    const a = await peers.dns('10.0.0.1');
    const b = await peers.dns('10.0.0.2');
    portico = await startPortico(udpStatic(), {
      'udp.yaml': `
udp:
  routers:
    dns:
      entryPoints: [dns]
      service: dns
  services:
    dns:
      loadBalancer:
        servers:
          - address: "127.0.0.1:${a.port}"
          - address: "127.0.0.1:${b.port}"
`,
    });
    const port = portico.port('dns');
    expect(port).toBeGreaterThan(0);
    const answers: string[] = [];
    // Each resolver has its own socket: a new client, so a new session.
    for (let i = 0; i < 4; i++) {
      const r = new Resolver({ timeout: 2_000, tries: 2 });
      r.setServers([`127.0.0.1:${port}`]);
      answers.push(...(await r.resolve4(`host${i}.portico.test`)));
    }
    expect(answers.sort()).toEqual(['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.2']);
    expect([...a.queries, ...b.queries].sort()).toEqual(['host0.portico.test', 'host1.portico.test', 'host2.portico.test', 'host3.portico.test']);
  });

  test('a weighted service splits sessions by weight; every datagram of a client stays with its backend', async () => {
    const heavy = await peers.echo('heavy');
    const light = await peers.echo('light');
    portico = await startPortico(udpStatic(), {
      'udp.yaml': `
udp:
  routers:
    r: { service: split }
  services:
    split:
      weighted:
        services:
          - { name: heavy, weight: 3 }
          - { name: light, weight: 1 }
    heavy: { loadBalancer: { servers: [{ address: "127.0.0.1:${heavy.port}" }] } }
    light: { loadBalancer: { servers: [{ address: "127.0.0.1:${light.port}" }] } }
`,
    });
    const port = portico.port('dns');
    const seen: Record<string, number> = { heavy: 0, light: 0 };
    const cs: UdpClient[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await peers.client();
      cs.push(c);
      const reply = await c.ask(port, `hello ${i}`);
      expect(reply).toMatch(/^(heavy|light):\d+:hello \d+$/);
      seen[reply!.split(':')[0]!]!++;
    }
    expect(seen).toEqual({ heavy: 15, light: 5 });
    // Stickiness: a client's later datagrams go to the same backend through the same upstream socket.
    for (const c of cs.slice(0, 4)) {
      const first = await c.ask(port, 'again');
      const [name, upstreamPort] = first!.split(':');
      for (let k = 0; k < 5; k++) expect(await c.ask(port, `again ${k}`)).toBe(`${name}:${upstreamPort}:again ${k}`);
    }
    expect(portico.server.udpEntryPoint('dns')!.openSessions).toBe(20);
  });

  test('an idle session expires after udp.timeout; the next datagram opens a new one', async () => {
    const one = await peers.echo('one');
    portico = await startPortico(udpStatic({ timeout: '300ms' }), {
      'udp.yaml': `udp: { routers: { r: { service: s } }, services: { s: { loadBalancer: { servers: [{ address: "127.0.0.1:${one.port}" }] } } } }\n`,
    });
    const port = portico.port('dns');
    const c = await peers.client();
    const first = (await c.ask(port, 'x'))!.split(':')[1];
    // Activity keeps it open past the timeout.
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 150));
      expect((await c.ask(port, 'x'))!.split(':')[1]).toBe(first);
    }
    const ep = portico.server.udpEntryPoint('dns')!;
    await until(() => ep.openSessions === 0);
    expect(ep.counters.closed.get('idle')).toBe(1);
    const second = (await c.ask(port, 'x'))!.split(':')[1];
    expect(second).not.toBe(first);
    expect(one.sources).toHaveLength(6);
  });

  test('a dead backend (ICMP port unreachable) ends its session and crashes nothing; the client is served again', async () => {
    const alive = await peers.echo('alive');
    const dead = await deadUdpPort();
    portico = await startPortico(udpStatic(), {
      'udp.yaml': `
udp:
  routers: { r: { service: s } }
  services:
    s: { loadBalancer: { servers: [{ address: "127.0.0.1:${dead}" }, { address: "127.0.0.1:${alive.port}" }] } }
`,
    });
    const port = portico.port('dns');
    const ep = portico.server.udpEntryPoint('dns')!;
    const victim = await peers.client();
    // The first session goes to the dead server: no answer, and the refusal closes the session.
    expect(await victim.ask(port, 'anyone?', 500)).toBeUndefined();
    await until(() => (ep.counters.closed.get('backend-error') ?? 0) >= 1 || ep.openSessions === 0);
    if (!ep.counters.closed.get('backend-error')) {
      // The ICMP error surfaces on the next datagram of the connected socket.
      await victim.ask(port, 'anyone?', 300);
      await until(() => (ep.counters.closed.get('backend-error') ?? 0) >= 1);
    }
    const other = await peers.client();
    expect(await other.ask(port, 'hi')).toMatch(/^alive:\d+:hi$/);
    // Round robin: the next new session goes to the dead server again, the one after to the live one.
    const third = await peers.client();
    expect(await third.ask(port, 'hello?', 300)).toBeUndefined();
    // The victim's next datagram opens a new session (its old one is gone), and is answered.
    expect(ep.counters.opened).toBe(3);
    expect(await victim.ask(port, 'again')).toMatch(/^alive:\d+:again$/);
    expect(ep.counters.opened).toBe(4);
  });

  test('the session table is bounded: a client beyond udp.maxSessions is not served, and counted', async () => {
    const one = await peers.echo('one');
    portico = await startPortico(udpStatic({ maxSessions: 2 }), {
      'udp.yaml': `udp: { routers: { r: { service: s } }, services: { s: { loadBalancer: { servers: [{ address: "127.0.0.1:${one.port}" }] } } } }\n`,
    });
    const port = portico.port('dns');
    const [c1, c2, c3] = [await peers.client(), await peers.client(), await peers.client()];
    expect(await c1.ask(port, '1')).toMatch(/^one:/);
    expect(await c2.ask(port, '2')).toMatch(/^one:/);
    expect(await c3.ask(port, '3', 400)).toBeUndefined();
    const ep = portico.server.udpEntryPoint('dns')!;
    expect(ep.counters.dropped.get('sessions-full')).toBe(1);
    // The clients inside the bound are still served.
    expect(await c1.ask(port, '1b')).toMatch(/^one:\d+:1b$/);
    const metrics = await portico.server.metrics.registry.metrics();
    expect(metrics).toMatch(/portico_udp_dropped_total\{entrypoint="dns",reason="sessions-full"\} 1/);
    expect(metrics).toMatch(/portico_udp_sessions_open\{entrypoint="dns"\} 2/);
    expect(metrics).toMatch(/portico_udp_sessions_total\{entrypoint="dns"\} 2/);
  });

  test('a reload changes the UDP router without reopening the socket; sessions of the old route move', async () => {
    const before = await peers.echo('before');
    const after = await peers.echo('after');
    const conf = (target: string) => `
udp:
  routers: { r: { service: ${target} } }
  services:
    before: { loadBalancer: { servers: [{ address: "127.0.0.1:${before.port}" }] } }
    after: { loadBalancer: { servers: [{ address: "127.0.0.1:${after.port}" }] } }
`;
    portico = await startPortico(udpStatic(), { 'udp.yaml': conf('before') });
    const port = portico.port('dns');
    const c = await peers.client();
    expect(await c.ask(port, 'a')).toMatch(/^before:/);
    // An unrelated change keeps the session where it is.
    await portico.writeDynamic('other.yaml', 'udp: { services: { spare: { loadBalancer: { servers: [{ address: "127.0.0.1:9" }] } } } }\n');
    expect(await c.ask(port, 'b')).toMatch(/^before:/);
    await portico.writeDynamic('udp.yaml', conf('after'));
    expect(portico.port('dns')).toBe(port);
    expect(await c.ask(port, 'c')).toMatch(/^after:\d+:c$/);
    expect(portico.server.udpEntryPoint('dns')!.counters.closed.get('route-changed')).toBe(1);
  });

  test('without a usable UDP router datagrams are dropped and counted; bad UDP objects are reported by field', async () => {
    portico = await startPortico(udpStatic(), {
      'udp.yaml': `
udp:
  routers:
    r: { service: missing }
    wrong: { entryPoints: [nowhere], service: s }
  services:
    s: { loadBalancer: { servers: [{ address: "127.0.0.1:70000" }] } }
http:
  routers:
    web: { rule: "PathPrefix(\`/\`)", entryPoints: [dns], service: whoami@internal }
`,
    });
    const rt = portico.server.current()!;
    const paths = rt.errors.map((e) => `${e.path}: ${e.message}`);
    expect(paths).toContainEqual(expect.stringMatching(/^udp\.routers\.r@file\.service: no usable UDP service named "missing@file"/));
    expect(paths).toContainEqual(expect.stringMatching(/^udp\.routers\.wrong@file\.entryPoints\[0\]: no entrypoint named "nowhere"/));
    expect(paths).toContainEqual(expect.stringMatching(/^http\.routers\.web@file\.entryPoints\[0\]: "dns" is a UDP entrypoint/));
    expect(paths).toContainEqual(expect.stringMatching(/^udp\.services\.s@file\.loadBalancer\.servers\[0\]\.address: "127\.0\.0\.1:70000" is not host:port/));
    const c = await peers.client();
    expect(await c.ask(portico.port('dns'), 'x', 300)).toBeUndefined();
    expect(portico.server.udpEntryPoint('dns')!.counters.dropped.get('no-route')).toBe(1);
  });
});

afterAll(async () => {
  await portico?.stop();
});
