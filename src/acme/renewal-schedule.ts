/**
 * When to renew and when to try again. A certificate is renewed when a third
 * of its lifetime is left (Let's Encrypt's advice; two thirds in, whatever the
 * lifetime), or inside the window the CA suggests through ARI (RFC 9773) when
 * it offers one. A failed order is retried with exponential backoff, so a
 * CA that is down or refusing is not hammered and its rate limits are respected.
 */

/** Two thirds through the certificate's life. */
export function renewalTime(notBefore: Date, notAfter: Date): Date {
  const life = notAfter.getTime() - notBefore.getTime();
  return new Date(notAfter.getTime() - life / 3);
}

/** A moment inside the CA's suggested window (uniformly random, as RFC 9773 §4.2 advises, so a fleet does not renew at once). */
export function timeInWindow(start: Date, end: Date, random = Math.random): Date {
  const span = Math.max(0, end.getTime() - start.getTime());
  return new Date(start.getTime() + span * random());
}

/**
 * How often a resolver re-checks renewal when no timer is due sooner, from
 * `certificatesDuration` (hours) as Traefik does: daily for certificates of a
 * week or more, hourly for a day or more, every minute for shorter ones.
 */
export function checkIntervalMs(certificatesDurationHours: number): number {
  if (certificatesDurationHours >= 7 * 24) return 24 * 3600_000;
  if (certificatesDurationHours >= 24) return 3600_000;
  return 60_000;
}

export const FIRST_RETRY_MS = 10_000;
export const MAX_RETRY_MS = 3600_000;

/** Delay before attempt `failures + 1` after `failures` failures in a row: 10 s, 20 s, 40 s … up to an hour, with 10% jitter. */
export function retryDelayMs(failures: number, random = Math.random): number {
  const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (1 + 0.1 * random()));
}
