/**
 * lego's `httpreq` DNS provider: a JSON POST to `HTTPREQ_ENDPOINT` + `/present`
 * and `/cleanup`, `{"fqdn": "_acme-challenge.example.com.", "value": "…"}`, or
 * with `HTTPREQ_MODE=RAW` `{"domain", "token", "keyAuth"}`; basic
 * authentication with `HTTPREQ_USERNAME` and `HTTPREQ_PASSWORD`; a status
 * other than 2xx fails the order. `HTTPREQ_HTTP_TIMEOUT` (default 30),
 * `HTTPREQ_PROPAGATION_TIMEOUT` (60) and `HTTPREQ_POLLING_INTERVAL` (2), in
 * seconds, as lego.
 */
import type { DnsChallengeProvider, DnsChallengeRecord, LegoEnv } from './dns-provider-contract.js';
import { legoMode, legoPropagationTimings, legoSeconds } from './dns-provider-contract.js';

/** What of the endpoint's answer goes into the error. */
const BODY_IN_ERROR = 300;

export function httpreqDnsProvider(read: LegoEnv): DnsChallengeProvider {
  const endpoint = read('HTTPREQ_ENDPOINT');
  if (!endpoint) throw new Error('the httpreq DNS provider needs HTTPREQ_ENDPOINT (the URL that takes POST /present and /cleanup)');
  let base: URL;
  try {
    base = new URL(endpoint);
  } catch {
    throw new Error(`HTTPREQ_ENDPOINT: "${endpoint}" is not a URL`);
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const mode = legoMode(read, 'HTTPREQ_MODE');
  const username = read('HTTPREQ_USERNAME');
  const password = read('HTTPREQ_PASSWORD');
  const timeoutMs = legoSeconds(read, 'HTTPREQ_HTTP_TIMEOUT', 30);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (username || password) headers.authorization = `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}`;
  const post = async (action: 'present' | 'cleanup', r: DnsChallengeRecord) => {
    const url = new URL(action, base);
    const body = mode === 'raw' ? { domain: r.domain, token: r.token, keyAuth: r.keyAuthorization } : { fqdn: r.fqdn, value: r.value };
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new Error(`HTTPREQ_ENDPOINT ${url.origin}${url.pathname}: ${cause}`, { cause: err });
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new Error(`HTTPREQ_ENDPOINT ${url.origin}${url.pathname} answered ${res.status}${text ? `: ${text.slice(0, BODY_IN_ERROR)}` : ''}`);
  };
  return {
    name: 'httpreq',
    present: (r) => post('present', r),
    cleanup: (r) => post('cleanup', r),
    ...legoPropagationTimings(read, 'HTTPREQ'),
  };
}
