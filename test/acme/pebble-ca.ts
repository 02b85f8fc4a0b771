/**
 * A real ACME CA for tests: Pebble (Let's Encrypt's test CA, Debian package
 * `pebble`) with `pebble-challtestsrv` as its DNS server, resolving every name
 * to 127.0.0.1, so Pebble's validation requests reach the Portico under test
 * on the ports its config names (`httpPort` for HTTP-01, `tlsPort` for
 * TLS-ALPN-01). Each test starts its own pair on free loopback ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { httpsGet } from './https-get.js';
import { TestPki } from '../support/pki.js';
import { freePort } from '../support/free-port.js';

export interface PebbleOptions {
  /** Where Pebble connects for HTTP-01 (Portico's httpChallenge entrypoint). */
  httpPort: number;
  /** Where Pebble connects for TLS-ALPN-01 (Portico's TLS entrypoint). */
  tlsPort: number;
  /** Lifetime of the certificates it issues (Pebble's certificateValidityPeriod); default Pebble's five years. */
  validitySeconds?: number;
}

export interface PebbleCa {
  directoryUrl: string;
  /** The CA of Pebble's own HTTPS certificate: what Portico's `caCertificates` (or NODE_EXTRA_CA_CERTS) must trust. */
  httpsCaFile: string;
  /** pebble-challtestsrv, Pebble's DNS: its server (`127.0.0.1:port`, for dnsChallenge.resolvers) and management API (POST /set-txt, /clear-txt). */
  dnsServer: string;
  dnsManagementUrl: string;
  start(): Promise<void>;
  /** The root that signs the certificates Pebble issues (it makes a new one each start). */
  issuingRoot(): Promise<string>;
  log(): string;
  stop(): Promise<void>;
}

/** Configure a Pebble pair on free ports; nothing runs until `start()` (so a test can have the CA down first). */
export async function preparePebble(o: PebbleOptions): Promise<PebbleCa> {
  const pki = new TestPki('Pebble HTTPS test CA');
  const tlsCert = pki.issue('pebble', ['localhost', '127.0.0.1']);
  const [listen, management, dns, dnsManagement] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const configFile = join(pki.dir, 'pebble.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${listen}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: tlsCert.certFile,
        privateKey: tlsCert.keyFile,
        httpPort: o.httpPort,
        tlsPort: o.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(o.validitySeconds ? { certificateValidityPeriod: o.validitySeconds } : {}),
      },
    }),
  );
  const children: ChildProcess[] = [];
  let log = '';
  const agent = new Agent({ ca: readFileSync(pki.caCert, 'utf8') });
  const get = (url: string) => {
    const u = new URL(url);
    return httpsGet({ host: u.hostname, port: u.port, path: u.pathname, agent });
  };
  const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    children.push(child);
  };
  return {
    directoryUrl: `https://127.0.0.1:${listen}/dir`,
    httpsCaFile: pki.caCert,
    dnsServer: `127.0.0.1:${dns}`,
    dnsManagementUrl: `http://127.0.0.1:${dnsManagement}`,
    async start() {
      // No AAAA answers: Portico's test entrypoints listen on 127.0.0.1.
      run('pebble-challtestsrv', [
        '-dns01',
        `127.0.0.1:${dns}`,
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-management',
        `127.0.0.1:${dnsManagement}`,
        '-defaultIPv4',
        '127.0.0.1',
        '-defaultIPv6',
        '',
      ]);
      // No artificial sleeps, no rejected nonces, no reused authorizations: every order validates, and promptly.
      run('pebble', ['-config', configFile, '-dnsserver', `127.0.0.1:${dns}`, '-strict=false'], {
        PEBBLE_VA_NOSLEEP: '1',
        PEBBLE_WFE_NONCEREJECT: '0',
        PEBBLE_AUTHZREUSE: '0',
      });
      const end = Date.now() + 20_000;
      for (;;) {
        try {
          if ((await get(`https://127.0.0.1:${listen}/dir`)).status === 200) return;
        } catch {
          // not up yet
        }
        if (Date.now() > end) throw new Error(`pebble did not start within 20 s:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async issuingRoot() {
      const r = await get(`https://127.0.0.1:${management}/roots/0`);
      if (r.status !== 200) throw new Error(`pebble roots: ${r.status}`);
      return r.body;
    },
    log: () => log,
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGTERM');
            }),
        ),
      );
      agent.destroy();
    },
  };
}

/**
 * A lego `exec` DNS hook (`$0 present|cleanup <fqdn> <value>`) that sets and
 * clears the TXT record at pebble-challtestsrv with curl; each call is
 * appended to `callsFile` when given.
 */
export function writeExecDnsHook(ca: PebbleCa, file: string, callsFile?: string): void {
  writeFileSync(
    file,
    [
      '#!/bin/sh',
      ...(callsFile ? [`echo "$1 $2 $3" >> '${callsFile}'`] : []),
      'case "$1" in',
      `  present) exec curl -sf -X POST -d "{\\"host\\":\\"$2\\",\\"value\\":\\"$3\\"}" '${ca.dnsManagementUrl}/set-txt' ;;`,
      `  cleanup) exec curl -sf -X POST -d "{\\"host\\":\\"$2\\"}" '${ca.dnsManagementUrl}/clear-txt' ;;`,
      'esac',
      'echo "unknown action $1" >&2',
      'exit 2',
      '',
    ].join('\n'),
  );
  chmodSync(file, 0o755);
}
