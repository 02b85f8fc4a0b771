/**
 * Live reload through the file provider: edits apply without restarting
 * listeners; bad files and bad objects are reported (file, object, field,
 * line) while the last good routes keep answering; and a reload storm under
 * load loses no request.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rmSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startPortico, type Harness } from '../support/portico-harness.js';
import { startBackend, type Backend } from '../support/backend.js';

let portico: Harness;
let b1: Backend;
let b2: Backend;
let port: number;
const agent = new Agent({ connect: { rejectUnauthorized: false, servername: 'app.test' }, connections: 8 });

const route = (name: string, url: string, extra = '') => `
http:
  routers:
    ${name}:
      rule: Host(\`app.test\`) && PathPrefix(\`/${name}\`)
      service: ${name}
${extra}
  services:
    ${name}:
      loadBalancer:
        servers: [{ url: "${url}" }]
`;

async function get(path: string): Promise<{ status: number; body: string }> {
  const r = await request(`https://127.0.0.1:${port}${path}`, { dispatcher: agent, headers: { host: 'app.test' } });
  return { status: r.statusCode, body: await r.body.text() };
}

beforeAll(async () => {
  b1 = await startBackend('b1');
  b2 = await startBackend('b2');
  portico = await startPortico(
    { entryPoints: { websecure: { address: '127.0.0.1:0', http: { tls: {} } } }, api: { insecure: true, entryPoint: 'websecure' } },
    { 'one.yaml': route('one', b1.url) },
  );
  await portico.server.nextApply(1);
  port = portico.port('websecure');
});

afterAll(async () => {
  await portico?.stop();
  await agent.close();
  await b1?.close();
  await b2?.close();
});

describe('file provider live reload', () => {
  test('a new file adds routes; editing switches backends; deleting removes them', async () => {
    expect((await get('/one')).status).toBe(200);
    await portico.writeDynamic('two.yaml', route('two', b1.url));
    expect(JSON.parse((await get('/two')).body).name).toBe('b1');
    await portico.writeDynamic('two.yaml', route('two', b2.url));
    expect(JSON.parse((await get('/two')).body).name).toBe('b2');
    const next = portico.server.nextApply();
    rmSync(join(portico.dynamicDir, 'two.yaml'));
    await next;
    expect((await get('/two')).status).toBe(404);
  });

  test("an editor's rename-and-replace save is picked up", async () => {
    const next = portico.server.nextApply();
    writeFileSync(join(portico.dynamicDir, '.three.yaml.swp'), route('three', b2.url));
    renameSync(join(portico.dynamicDir, '.three.yaml.swp'), join(portico.dynamicDir, 'three.yaml'));
    await next;
    expect(JSON.parse((await get('/three')).body).name).toBe('b2');
  });

  test('a file that no longer parses keeps its last good content and the error names file and line', async () => {
    const rt = await portico.writeDynamic('one.yaml', 'http:\n  routers:\n    one: [unclosed\n');
    const err = rt.errors.find((e) => e.source.endsWith('one.yaml'));
    expect(err?.message).toMatch(/YAML/);
    expect(err?.message).toMatch(/keeping the last good version/);
    expect(err?.line).toBeGreaterThan(0);
    expect((await get('/one')).status).toBe(200);
    // And the API shows it.
    const api = JSON.parse((await get('/api/errors')).body) as Array<{ source: string }>;
    expect(api.some((e) => e.source.endsWith('one.yaml'))).toBe(true);
    await portico.writeDynamic('one.yaml', route('one', b1.url));
  });

  test('a bad router is left out with file, object and field named; others in the same file still apply', async () => {
    const rt = await portico.writeDynamic(
      'four.yaml',
      `http:
  routers:
    good:
      rule: Host(\`app.test\`) && PathPrefix(\`/good\`)
      service: four
    badrule:
      rule: Host(\`app.test\`) && PathPrefx(\`/bad\`)
      service: four
    badfield:
      rule: Host(\`app.test\`)
      servce: four
    nosvc:
      rule: Host(\`app.test\`) && PathPrefix(\`/nosvc\`)
      service: missing
  services:
    four:
      loadBalancer:
        servers: [{ url: "${b2.url}" }]
`,
    );
    const msgs = rt.errors.map((e) => `${e.source.split('/').pop()}|${e.path}|${e.line ?? ''}|${e.message}`);
    expect(msgs.some((m) => /^four\.yaml\|http\.routers\.badfield\.servce\|11\|unknown field/.test(m))).toBe(true);
    // Found at compile time, they name their line too (the rule's, the service's).
    expect(msgs.some((m) => /^four\.yaml\|http\.routers\.badrule@file\.rule\|7\|.*PathPrefx/.test(m))).toBe(true);
    expect(msgs.some((m) => /^four\.yaml\|http\.routers\.nosvc@file\.service\|14\|no usable service named "missing@file"/.test(m))).toBe(true);
    expect(JSON.parse((await get('/good')).body).name).toBe('b2');
    expect((await get('/one')).status).toBe(200);
    const routers = JSON.parse((await get('/api/http/routers')).body) as Array<{ name: string; status: string }>;
    expect(routers.find((r) => r.name === 'badrule@file')?.status).toBe('disabled');
    expect(routers.find((r) => r.name === 'good@file')?.status).toBe('enabled');
  });

  test('zero failed requests while routes are edited repeatedly under load', async () => {
    let ok = 0;
    let failed = 0;
    let stop = false;
    const deadline = Date.now() + 8_000;
    const workers = Array.from({ length: 8 }, async () => {
      while (!stop && Date.now() < deadline) {
        try {
          const r = await get('/one/load');
          if (r.status === 200) ok++;
          else failed++;
        } catch {
          failed++;
        }
      }
    });
    // 20 edits, alternating backends, while the load runs.
    for (let i = 0; i < 20; i++) {
      await portico.writeDynamic('one.yaml', route('one', i % 2 ? b1.url : b2.url, `    extra${i}:\n      rule: Host(\`x${i}.test\`)\n      service: one`));
    }
    stop = true;
    await Promise.all(workers);
    expect(failed).toBe(0);
    expect(ok).toBeGreaterThan(100);
  });
});
