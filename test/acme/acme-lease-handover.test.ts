/**
 * A replica that loses the Lease while an order is in hand finishes that
 * order (it is written to storage like any other) and places no other: the
 * new holder orders the rest. Against Pebble, DNS-01 through an exec script
 * (no listener needed), one resolver asked for two certificates.
 */
import { afterAll, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { AcmeResolver } from '../../src/acme/acme-resolver.js';
import { AcmeChallengeStore } from '../../src/acme/challenge-store.js';
import { configureAcmeHttp } from '../../src/acme/acme-http.js';
import type { AcmeResolverConfig } from '../../src/config/static-config.js';
import { freePort } from '../support/free-port.js';
import { preparePebble, writeExecDnsHook, type PebbleCa } from './pebble-ca.js';
import { until } from './acme-portico.js';

const dir = mkdtempSync(join(tmpdir(), 'portico-acme-handover-'));
let ca: PebbleCa | undefined;
let resolver: AcmeResolver | undefined;
const savedEnv = { ...process.env };

afterAll(async () => {
  process.env = savedEnv;
  resolver?.stop();
  await ca?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('losing the Lease mid-order: the order in hand completes, the next one is not placed', async () => {
  ca = await preparePebble({ httpPort: await freePort(), tlsPort: await freePort() });
  await ca.start();
  const script = join(dir, 'dns-hook.sh');
  writeExecDnsHook(ca, script);
  process.env.EXEC_PATH = script;
  process.env.EXEC_POLLING_INTERVAL = '1';
  const cfg: AcmeResolverConfig = {
    storage: join(dir, 'acme.json'),
    caServer: ca.directoryUrl,
    caCertificates: [ca.httpsCaFile],
    keyType: 'EC256',
    certificatesDuration: 2160,
    // The wait before validation keeps the first order in hand long enough to lose the Lease during it.
    dnsChallenge: { provider: 'exec', resolvers: [ca.dnsServer], propagation: { delayBeforeChecks: '1s' } },
  };
  configureAcmeHttp([cfg]);
  const messages: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) });
  resolver = new AcmeResolver('le', cfg, { challenges: new AcmeChallengeStore(), log, ordering: true, onChange: () => undefined });
  resolver.load();
  resolver.want([['one.handover.test'], ['two.handover.test']]);
  await until('first order placed', 30_000, () => (messages.includes('ACME order placed') ? true : undefined));
  resolver.setOrdering(false);
  const r = resolver;
  await until('the order in hand completes', 30_000, () => (r.status().certificates.some((c) => c.state === 'valid') ? true : undefined));
  // Time enough for a second order (the first took about this long).
  await new Promise((done) => setTimeout(done, 4_000));
  expect(messages.filter((m) => m === 'ACME order placed')).toHaveLength(1);
  expect(resolver.status().certificates.map((c) => c.state)).toEqual(['valid', 'pending']);
  expect(resolver.status().role).toBe('following');
}, 90_000);
