/**
 * Where a DNS-01 challenge's TXT record is put and taken away: lego's `exec`
 * (a program of the user's) or `httpreq` (an HTTP endpoint of the user's),
 * set up by lego's environment variables so a Traefik configuration of these
 * carries over (src/config/acme-dns-providers.ts names the two). Every other
 * provider name is refused when the static configuration is loaded.
 */
import { readFileSync } from 'node:fs';
import { legoEnv, type AcmeDnsProviderName } from '../config/acme-dns-providers.js';
import type { DnsChallengeProvider, LegoEnv } from './dns-provider-contract.js';
import { execDnsProvider } from './dns-exec-provider.js';
import { httpreqDnsProvider } from './dns-httpreq-provider.js';

export type { DnsChallengeProvider, DnsChallengeRecord } from './dns-provider-contract.js';

/** Throws naming the variable when the provider's environment is incomplete or wrong. */
export function dnsChallengeProvider(name: AcmeDnsProviderName, env: NodeJS.ProcessEnv = process.env): DnsChallengeProvider {
  const read: LegoEnv = (variable) => legoEnv(env, variable, (path) => readFileSync(path, 'utf8'));
  return name === 'exec' ? execDnsProvider(read) : httpreqDnsProvider(read);
}
