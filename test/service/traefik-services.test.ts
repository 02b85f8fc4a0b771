/**
 * Traefik's service kinds and load-balancer options, end to end: a real
 * Portico from dynamic files, real node http backends, curl as the client.
 * sticky cookies (attributes exact, names and values as Traefik computes
 * them, weighted → loadBalancer nesting), p2c, passiveHealthCheck, mirroring
 * (percent counting, body handling, a hung or dead mirror never slows the
 * main request) and failover following the main service's health check.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';
import { curl } from '../support/curl.js';
import { Agent, request } from 'undici';

interface Recorder {
  url: string;
  port: number;
  /** Bodies received, in order. */
  bodies: string[];
  /** Set how the next requests are answered. */
  answer: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
  close(): Promise<void>;
}

async function startRecorder(name: string): Promise<Recorder> {
  const rec = {
    bodies: [] as string[],
    answer: (_req: http.IncomingMessage, res: http.ServerResponse) => void res.end(name),
  } as unknown as Recorder;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.url !== '/health') rec.bodies.push(body);
      res.setHeader('x-backend', name);
      rec.answer(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rec.port = (server.address() as AddressInfo).port;
  rec.url = `http://127.0.0.1:${rec.port}`;
  rec.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return rec;
}

/** A TCP port that accepts connections and never answers (a hung mirror). */
async function startBlackHole(): Promise<{ url: string; connections(): number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

const sha256_16 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

let portico: Harness;
let port: number;
let a: Backend;
let b: Backend;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function get(path: string, headers: string[] = [], extra: string[] = []) {
  return curl([...headers.flatMap((h) => ['-H', h]), ...extra, `http://127.0.0.1:${port}${path}`]);
}
const backendOf = (r: { headers: Record<string, string[]> }) => r.headers['x-backend']?.[0];

/** Write a dynamic file and wait until the configuration that has it is live and no further reload follows (a reload rebuilds services and their state). */
async function apply(name: string, yaml: string) {
  let rt = await portico.writeDynamic(name, yaml);
  for (let i = 0; i < 50; i++) {
    const next = await Promise.race([portico.server.nextApply(rt.version), sleep(400).then(() => undefined)]);
    if (next === undefined) break;
    rt = next;
  }
  return rt.errors.filter((e) => e.source.endsWith(name));
}

beforeAll(async () => {
  a = await startBackend('a');
  b = await startBackend('b');
  portico = await startPortico({ entryPoints: { web: { address: '127.0.0.1:0' } } });
  port = portico.port('web');
});

afterAll(async () => {
  await portico?.stop();
  await a?.close();
  await b?.close();
});

describe('sticky cookies', () => {
  test('loadBalancer: every attribute exactly as Traefik writes it, the value is the hashed server URL, and the cookie holds the client', async () => {
    const errors = await apply(
      'sticky.yaml',
      `
http:
  routers:
    sticky:
      rule: PathPrefix(\`/sticky\`)
      service: sticky
    dflt:
      rule: PathPrefix(\`/default\`)
      service: dflt
  services:
    sticky:
      loadBalancer:
        servers: [{ url: "${a.url}" }, { url: "${b.url}" }]
        sticky:
          cookie: { name: "lb cookie", secure: true, httpOnly: true, sameSite: lax, maxAge: 60, path: /sticky, domain: .example.test }
    dflt:
      loadBalancer:
        servers: [{ url: "${a.url}" }, { url: "${b.url}" }]
        sticky: { cookie: {} }
`,
    );
    expect(errors).toEqual([]);
    const first = await get('/sticky');
    expect(first.status).toBe(200);
    const server = backendOf(first) === 'a' ? a : b;
    // The space is not a token character: Traefik writes it as `_`; the leading dot of the domain goes.
    expect(first.headers['set-cookie']).toEqual([
      `lb_cookie=${sha256_16(server.url)}; Path=/sticky; Domain=example.test; Max-Age=60; HttpOnly; Secure; SameSite=Lax`,
    ]);
    const cookie = first.headers['set-cookie']![0]!.split(';')[0]!;
    for (let i = 0; i < 8; i++) {
      const r = await get('/sticky', [`Cookie: other=1; ${cookie}; more=2`]);
      expect(backendOf(r)).toBe(backendOf(first));
      expect(r.headers['set-cookie']).toBeUndefined();
    }
    // Without the cookie the round robin goes on: both servers answer.
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 4; i++) seen.add(backendOf(await get('/sticky')));
    expect(seen).toEqual(new Set(['a', 'b']));
    // A Traefik v2 cookie (the URL itself) still sticks and is replaced by the hashed form.
    const legacy = await get('/sticky', [`Cookie: lb_cookie=${b.url}`]);
    expect(backendOf(legacy)).toBe('b');
    expect(legacy.headers['set-cookie']?.[0]).toMatch(new RegExp(`^lb_cookie=${sha256_16(b.url)};`));

    // Default name: "_" and 5 hex digits of SHA-1("_TRAEFIK_BACKEND_" + qualified service name); Path=/ and nothing else.
    const name = ('_' + createHash('sha1').update('_TRAEFIK_BACKEND_dflt@file').digest('hex')).slice(0, 6);
    const d = await get('/default');
    const ds = backendOf(d) === 'a' ? a : b;
    expect(d.headers['set-cookie']).toEqual([`${name}=${sha256_16(ds.url)}; Path=/`]);
  });

  test('weighted → loadBalancer: each level sets its cookie, both together pin the server', async () => {
    const c = await startRecorder('c');
    try {
      const errors = await apply(
        'wsticky.yaml',
        `
http:
  routers:
    wsticky:
      rule: PathPrefix(\`/wsticky\`)
      service: wsticky
  services:
    wsticky:
      weighted:
        services: [{ name: left, weight: 1 }, { name: right, weight: 1 }]
        sticky: { cookie: { name: outer } }
    left:
      loadBalancer:
        servers: [{ url: "${a.url}" }, { url: "${b.url}" }]
        sticky: { cookie: { name: inner } }
    right:
      loadBalancer:
        servers: [{ url: "${c.url}" }]
`,
      );
      expect(errors).toEqual([]);
      // Find a response from the left child (weights 1:1, so one of two).
      let first = await get('/wsticky');
      if (backendOf(first) === 'c') first = await get('/wsticky');
      expect(['a', 'b']).toContain(backendOf(first));
      const cookies = first.headers['set-cookie']!;
      const server = backendOf(first) === 'a' ? a : b;
      expect(cookies.sort()).toEqual([`inner=${sha256_16(server.url)}; Path=/`, `outer=${sha256_16('left')}; Path=/`].sort());
      const header = 'Cookie: ' + cookies.map((x) => x.split(';')[0]).join('; ');
      for (let i = 0; i < 6; i++) expect(backendOf(await get('/wsticky', [header]))).toBe(backendOf(first));
    } finally {
      await c.close();
    }
  });
});

describe('load-balancing strategy p2c', () => {
  test('requests go to the server with fewer requests in flight', async () => {
    const errors = await apply(
      'p2c.yaml',
      `
http:
  routers:
    p2c:
      rule: PathPrefix(\`/slow\`) || PathPrefix(\`/p2c\`)
      service: p2c
  services:
    p2c:
      loadBalancer:
        strategy: p2c
        servers: [{ url: "${a.url}" }, { url: "${b.url}" }]
`,
    );
    expect(errors).toEqual([]);
    const before = { a: a.requests, b: b.requests };
    let slowDone = false;
    const slow = get('/slow?ms=4000').finally(() => (slowDone = true));
    for (let i = 0; i < 100 && a.requests + b.requests === before.a + before.b; i++) await sleep(50);
    // In-process requests, so that all eight run while the slow one is in flight even on a loaded machine.
    const agent = new Agent({ connections: 1 });
    const picked: Array<string | undefined> = [];
    try {
      for (let i = 0; i < 8; i++) {
        const r = await request(`http://127.0.0.1:${port}/p2c`, { dispatcher: agent });
        await r.body.text();
        picked.push(r.headers['x-backend'] as string | undefined);
      }
    } finally {
      await agent.close();
    }
    expect(slowDone).toBe(false);
    const slowResult = await slow;
    expect(slowResult.status).toBe(200);
    // The slow request holds one server; all eight others went to the idle one (wrr would alternate).
    expect(new Set(picked).size).toBe(1);
    const idle = picked[0] === 'a' ? a : b;
    const busy = idle === a ? b : a;
    expect(idle.requests - before[idle === a ? 'a' : 'b']).toBe(8);
    expect(busy.requests - before[busy === a ? 'a' : 'b']).toBe(1);
  });
});

describe('passiveHealthCheck', () => {
  test('a server failing maxFailedAttempts times within failureWindow is left out for failureWindow', async () => {
    const bad = await startRecorder('bad');
    bad.answer = (_q, res) => {
      res.statusCode = 500;
      res.end('broken');
    };
    try {
      const errors = await apply(
        'passive.yaml',
        `
http:
  routers:
    passive:
      rule: PathPrefix(\`/passive\`)
      service: passive
  services:
    passive:
      loadBalancer:
        servers: [{ url: "${a.url}" }, { url: "${bad.url}" }]
        passiveHealthCheck: { failureWindow: 3s, maxFailedAttempts: 2 }
`,
      );
      expect(errors).toEqual([]);
      // In-process requests: all twelve well within the window even on a loaded machine (a curl spawn can take a second).
      const agent = new Agent({ connections: 1 });
      const statuses: number[] = [];
      try {
        for (let i = 0; i < 12; i++) {
          const r = await request(`http://127.0.0.1:${port}/passive`, { dispatcher: agent });
          await r.body.text();
          statuses.push(r.statusCode);
        }
      } finally {
        await agent.close();
      }
      // wrr alternates: the bad server answers 500 twice, then is out.
      expect(statuses.filter((s) => s === 500)).toHaveLength(2);
      expect(statuses.slice(4)).toEqual(Array(8).fill(200));
      expect(bad.bodies.length).toBe(2);
      await sleep(3300);
      bad.answer = (_q, res) => void res.end('fixed');
      const after = new Set<string | undefined>();
      for (let i = 0; i < 4; i++) after.add(backendOf(await get('/passive')));
      expect(after).toEqual(new Set(['a', 'bad']));
    } finally {
      await bad.close();
    }
  });
});

describe('mirroring', () => {
  test('percent counts requests; the body reaches the main service and the mirror; maxBodySize and mirrorBody are honoured', async () => {
    const main = await startRecorder('main');
    const mirror = await startRecorder('mirror');
    const noBody = await startRecorder('nobody');
    try {
      const errors = await apply(
        'mirror.yaml',
        `
http:
  routers:
    mirror:
      rule: PathPrefix(\`/mirror\`)
      service: mirrored
  services:
    mirrored:
      mirroring:
        service: main
        maxBodySize: 64
        mirrors: [{ name: copy, percent: 50 }, { name: bodiless, percent: 100 }]
    bodiless-wrapper:
      mirroring:
        service: main
        mirrorBody: false
        mirrors: [{ name: bodiless, percent: 100 }]
    main:
      loadBalancer: { servers: [{ url: "${main.url}" }] }
    copy:
      loadBalancer: { servers: [{ url: "${mirror.url}" }] }
    bodiless:
      loadBalancer: { servers: [{ url: "${noBody.url}" }] }
`,
      );
      expect(errors).toEqual([]);
      for (let i = 0; i < 10; i++) {
        const r = await get('/mirror', [], ['--data-binary', `body-${i}`]);
        expect(r.status).toBe(200);
        expect(r.body).toBe('main');
      }
      // A body over maxBodySize: the main service gets all of it, no mirror gets the request.
      const big = 'x'.repeat(5000);
      expect((await get('/mirror', [], ['--data-binary', big])).status).toBe(200);
      await sleep(300);
      expect(main.bodies).toEqual([...Array.from({ length: 10 }, (_, i) => `body-${i}`), big]);
      // 50%: the 1st, 3rd, 5th… request (a mirror takes one while its count * 100 < requests * percent).
      expect([...mirror.bodies].sort()).toEqual(['body-0', 'body-2', 'body-4', 'body-6', 'body-8']);
      expect(noBody.bodies).toEqual(Array.from({ length: 10 }, (_, i) => `body-${i}`));
    } finally {
      await main.close();
      await mirror.close();
      await noBody.close();
    }
  });

  test('mirrorBody: false sends the mirror the request without its body', async () => {
    const main = await startRecorder('main2');
    const mirror = await startRecorder('mirror2');
    try {
      const errors = await apply(
        'mirror2.yaml',
        `
http:
  routers:
    mirror2:
      rule: PathPrefix(\`/nobody\`)
      service: mirrored2
  services:
    mirrored2:
      mirroring:
        service: main2
        mirrorBody: false
        mirrors: [{ name: copy2, percent: 100 }]
    main2:
      loadBalancer: { servers: [{ url: "${main.url}" }] }
    copy2:
      loadBalancer: { servers: [{ url: "${mirror.url}" }] }
`,
      );
      expect(errors).toEqual([]);
      expect((await get('/nobody', [], ['--data-binary', 'payload'])).body).toBe('main2');
      await sleep(300);
      expect(main.bodies).toEqual(['payload']);
      expect(mirror.bodies).toEqual(['']);
    } finally {
      await main.close();
      await mirror.close();
    }
  });

  test('a mirror that hangs or is down neither slows nor breaks the main request', async () => {
    const hole = await startBlackHole();
    const dead = await closedPortUrl();
    try {
      const errors = await apply(
        'mirror3.yaml',
        `
http:
  routers:
    mirror3:
      rule: PathPrefix(\`/isolated\`)
      service: isolated
  services:
    isolated:
      mirroring:
        service: main3
        mirrors: [{ name: hung, percent: 100 }, { name: dead, percent: 100 }]
    main3:
      loadBalancer: { servers: [{ url: "${a.url}" }] }
    hung:
      loadBalancer: { servers: [{ url: "${hole.url}" }] }
    dead:
      loadBalancer: { servers: [{ url: "${dead}" }] }
`,
      );
      expect(errors).toEqual([]);
      // Latency measured in-process (a curl spawn on a loaded machine costs more than the request).
      const agent = new Agent({ connections: 2 });
      const latencies: number[] = [];
      try {
        for (let i = 0; i < 10; i++) {
          const started = performance.now();
          const r = await request(`http://127.0.0.1:${port}/isolated`, { method: 'POST', body: 'x', dispatcher: agent });
          expect(r.statusCode).toBe(200);
          expect(r.headers['x-backend']).toBe('a');
          await r.body.text();
          latencies.push(performance.now() - started);
        }
      } finally {
        await agent.close();
      }
      // The hung mirror got its copies and never answers; each main request still ends in loopback time (generous bound).
      for (let i = 0; i < 50 && hole.connections() === 0; i++) await sleep(50);
      expect(hole.connections()).toBeGreaterThan(0);
      expect(Math.max(...latencies)).toBeLessThan(2000);
      // And through curl, the real client, the answer is the main service's.
      const viaCurl = await get('/isolated', [], ['--data-binary', 'y']);
      expect(viaCurl.status).toBe(200);
      expect(backendOf(viaCurl)).toBe('a');
    } finally {
      await hole.close();
    }
  });
});

describe('failover', () => {
  test('switches to the fallback when the main service health check fails, and back when it recovers', async () => {
    const main = await startRecorder('primary');
    let healthy = true;
    main.answer = (req, res) => {
      if (req.url === '/health') res.statusCode = healthy ? 200 : 503;
      res.end('primary');
    };
    try {
      const errors = await apply(
        'failover.yaml',
        `
http:
  routers:
    failover:
      rule: PathPrefix(\`/fo\`)
      service: fo
  services:
    fo:
      failover: { service: primary, fallback: spare }
    primary:
      loadBalancer:
        servers: [{ url: "${main.url}" }]
        healthCheck: { path: /health, interval: 100ms, timeout: 1s }
    spare:
      loadBalancer: { servers: [{ url: "${b.url}" }] }
`,
      );
      expect(errors).toEqual([]);
      const until = async (want: string) => {
        for (let i = 0; i < 60; i++) {
          if (backendOf(await get('/fo')) === want) return true;
          await sleep(100);
        }
        return false;
      };
      expect(backendOf(await get('/fo'))).toBe('primary');
      healthy = false;
      expect(await until('b')).toBe(true);
      for (let i = 0; i < 3; i++) expect(backendOf(await get('/fo'))).toBe('b');
      healthy = true;
      expect(await until('primary')).toBe(true);
    } finally {
      await main.close();
    }
  });

  test('weighted with healthCheck: {} skips the child whose health check fails, and takes it back', async () => {
    const sick = await startRecorder('sick');
    let healthy = true;
    sick.answer = (req, res) => {
      if (req.url === '/health') res.statusCode = healthy ? 200 : 503;
      res.end('sick');
    };
    try {
      const errors = await apply(
        'whealth.yaml',
        `
http:
  routers:
    whealth:
      rule: PathPrefix(\`/wh\`)
      service: wh
  services:
    wh:
      weighted:
        healthCheck: {}
        services: [{ name: wh-sick }, { name: wh-fine }]
    wh-sick:
      loadBalancer:
        servers: [{ url: "${sick.url}" }]
        healthCheck: { path: /health, interval: 100ms, timeout: 1s }
    wh-fine:
      loadBalancer:
        servers: [{ url: "${a.url}" }]
        healthCheck: { path: /status, interval: 100ms, timeout: 1s }
`,
      );
      expect(errors).toEqual([]);
      const round = async () => {
        const seen: Array<string | undefined> = [];
        for (let i = 0; i < 4; i++) seen.push(backendOf(await get('/wh')));
        return seen;
      };
      expect(new Set(await round())).toEqual(new Set(['sick', 'a']));
      healthy = false;
      await sleep(1000);
      expect(await round()).toEqual(['a', 'a', 'a', 'a']);
      healthy = true;
      await sleep(1000);
      expect(new Set(await round())).toEqual(new Set(['sick', 'a']));
    } finally {
      await sick.close();
    }
  });

  test('a main service without a health check is refused, naming the field', async () => {
    const errors = await apply(
      'failover-bad.yaml',
      `
http:
  routers:
    fobad:
      rule: PathPrefix(\`/fobad\`)
      service: fobad
  services:
    fobad:
      failover: { service: nocheck, fallback: nocheck }
    nocheck:
      loadBalancer: { servers: [{ url: "${a.url}" }] }
`,
    );
    expect(errors.map((e) => e.path)).toContain('http.services.fobad@file.failover.service');
  });
});
