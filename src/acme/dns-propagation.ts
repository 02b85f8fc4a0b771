/**
 * Wait until a challenge's TXT record can be seen before the CA is told to
 * look, as lego does: asking the `resolvers` of `dnsChallenge` (or the
 * system's), every polling interval, up to the provider's propagation
 * timeout. lego also asks the zone's authoritative name servers; Portico asks
 * the resolvers only (so `disableANSChecks` and `requireAllRNS` are refused).
 */
import { Resolver } from 'node:dns/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PropagationCheck {
  resolvers?: readonly string[];
  timeoutMs: number;
  intervalMs: number;
  /** Stop waiting (the resolver was stopped). */
  stopped(): boolean;
}

/** Resolves once `value` is among the TXT records of `fqdn`; throws after the timeout, saying what was seen. */
export async function waitForTxtRecord(fqdn: string, value: string, check: PropagationCheck): Promise<void> {
  const resolver = new Resolver({ timeout: Math.min(5_000, check.timeoutMs), tries: 1 });
  if (check.resolvers?.length) resolver.setServers([...check.resolvers]);
  const name = fqdn.replace(/\.$/, '');
  const end = Date.now() + check.timeoutMs;
  let seen: string;
  for (;;) {
    try {
      const records = (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
      if (records.includes(value)) return;
      seen = records.length ? `TXT ${records.map((r) => JSON.stringify(r)).join(', ')}` : 'no TXT record';
    } catch (err) {
      seen = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
    if (check.stopped()) throw new Error('stopped');
    if (Date.now() + check.intervalMs > end)
      throw new Error(`the TXT record ${fqdn} was not visible within ${check.timeoutMs / 1000} s (last answer: ${seen}); the CA was not asked to validate`);
    await sleep(check.intervalMs);
  }
}
