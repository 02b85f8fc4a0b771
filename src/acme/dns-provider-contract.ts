/**
 * What a DNS-01 provider is to the resolver (present and clean up one TXT
 * record; how long to wait for it to be visible), and how lego's providers
 * read their environment variables: whole seconds, `RAW` modes.
 */
import type { AcmeDnsProviderName } from '../config/acme-dns-providers.js';

/** One challenge's record, in both of lego's shapes: the TXT name and value, and the raw values (`*_MODE=RAW`). */
export interface DnsChallengeRecord {
  /** The name asked for, without `*.` (`example.com` for `*.example.com`). */
  domain: string;
  /** `_acme-challenge.example.com.`, with the trailing dot, as lego gives it. */
  fqdn: string;
  /** The TXT value: base64url of the key authorization's SHA-256. */
  value: string;
  token: string;
  keyAuthorization: string;
}

export interface DnsChallengeProvider {
  readonly name: AcmeDnsProviderName;
  present(record: DnsChallengeRecord): Promise<void>;
  cleanup(record: DnsChallengeRecord): Promise<void>;
  /** How long to wait for the record to be visible, and how often to look (lego's `<PROVIDER>_PROPAGATION_TIMEOUT`, `_POLLING_INTERVAL`). */
  readonly propagationTimeoutMs: number;
  readonly pollingIntervalMs: number;
}

/** Reads lego's variables for a provider (`NAME` or `NAME_FILE`). */
export type LegoEnv = (name: string) => string | undefined;

/** lego's durations in these variables are whole seconds; `fallback` seconds when unset. Throws naming the variable. */
export function legoSeconds(read: LegoEnv, variable: string, fallback: number): number {
  const text = read(variable);
  if (text === undefined || text === '') return fallback * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`${variable}: "${text}" is not a number of seconds`);
  return seconds * 1000;
}

/** `<PREFIX>_PROPAGATION_TIMEOUT` and `<PREFIX>_POLLING_INTERVAL`, lego's defaults 60 s and 2 s. */
export function legoPropagationTimings(read: LegoEnv, prefix: string): Pick<DnsChallengeProvider, 'propagationTimeoutMs' | 'pollingIntervalMs'> {
  return {
    propagationTimeoutMs: legoSeconds(read, `${prefix}_PROPAGATION_TIMEOUT`, 60),
    pollingIntervalMs: legoSeconds(read, `${prefix}_POLLING_INTERVAL`, 2),
  };
}

/** `*_MODE`: lego's default shape, or RAW. Throws naming the variable on anything else. */
export function legoMode(read: LegoEnv, variable: string): 'default' | 'raw' {
  const mode = read(variable) ?? '';
  if (mode === '') return 'default';
  if (mode.toUpperCase() === 'RAW') return 'raw';
  throw new Error(`${variable}: "${mode}" is not a mode; leave it unset or set RAW`);
}
