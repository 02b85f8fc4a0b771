/**
 * acme-client's HTTP, set up once per process. Which CAs the ACME client trusts for the CA's own HTTPS. Node's default
 * (the system roots plus NODE_EXTRA_CA_CERTS) serves unless a resolver lists
 * `caCertificates` (a private CA, Pebble in tests); then those are trusted
 * too, with the system roots unless `caSystemCertPool: false`.
 *
 * acme-client talks through one axios instance for the whole process, so the
 * trust is the union over the resolvers: a resolver's extra CA can vouch for
 * another resolver's CA server. Its retries are shortened as well: a failed
 * order is retried by the resolver's own backoff, not inside one attempt.
 *
 * And a CA that cannot be reached reports why: acme-client 5.4's retry
 * interceptor, out of retries on a request that got no response at all
 * (connection refused, DNS, TLS), reads `response.config` of the missing
 * response and throws a TypeError in place of the network error.
 */
import { Agent } from 'node:https';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { axios } from 'acme-client';
import type { AcmeResolverConfig } from '../config/static-config.js';

/** Throws naming the file when a CA file cannot be read. */
export function configureAcmeHttp(resolvers: readonly AcmeResolverConfig[]): void {
  const settings = (axios.defaults as { acmeSettings?: { retryMaxAttempts: number; retryDefaultDelay: number } }).acmeSettings;
  if (settings) {
    settings.retryMaxAttempts = 2;
    settings.retryDefaultDelay = 1;
  }
  axios.defaults.timeout = 30_000;
  keepNetworkErrors();
  const files = resolvers.flatMap((r) => r.caCertificates ?? []);
  if (!files.length) return;
  const extra = files.map((f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch (err) {
      throw new Error(`certificatesResolvers: cannot read caCertificates file ${f}: ${(err as Error).message}`, { cause: err });
    }
  });
  const system = resolvers.some((r) => r.caCertificates?.length && r.caSystemCertPool !== false) ? [...rootCertificates, ...nodeExtraCaCertificates()] : [];
  axios.defaults.httpsAgent = new Agent({ ca: [...system, ...extra], keepAlive: true });
}

/** Node adds NODE_EXTRA_CA_CERTS to its default store only; an agent with its own `ca` list must add it itself. */
function nodeExtraCaCertificates(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return [readFileSync(file, 'utf8')];
  } catch {
    return [];
  }
}

type Rejected = (error: unknown) => unknown;
const wrapped = new WeakSet<Rejected>();

/** Wrap acme-client's response error interceptor so an unanswered request fails with its own error (ECONNREFUSED…), not a TypeError. */
function keepNetworkErrors(): void {
  const handlers = (axios.interceptors.response as unknown as { handlers?: Array<{ rejected?: Rejected } | null> }).handlers ?? [];
  for (const h of handlers) {
    const original = h?.rejected;
    if (!h || !original || wrapped.has(original)) continue;
    const rejected: Rejected = (error) => {
      const unanswered = error instanceof Error && 'config' in error && !(error as { response?: unknown }).response;
      const result = original(error);
      if (!unanswered) return result;
      return Promise.resolve(result).catch((err: unknown) => Promise.reject(err instanceof TypeError ? error : (err as Error)));
    };
    wrapped.add(rejected);
    h.rejected = rejected;
  }
}
