/**
 * How long the `retry` middleware waits before each new attempt, as Traefik
 * does it (an exponential backoff whose growth is spread over the attempts):
 * the first wait is about `initialMs`, each next one a factor 2^(1/(attempts-1))
 * longer, so the last is about twice the first whatever the number of
 * attempts; each is randomised ±50 % so that clients that failed together do
 * not come back together. Without `initialMs`, retries follow at once.
 */

/** Traefik's backoff library caps one wait at a minute. */
const MAX_WAIT_MS = 60_000;
const RANDOMISATION = 0.5;

/** The wait before retry number `retry` (1 for the second attempt) out of `attempts` attempts. */
export function retryDelayMs(initialMs: number, attempts: number, retry: number, random: () => number = Math.random): number {
  if (initialMs <= 0 || attempts < 2) return 0;
  const growth = Math.pow(2, 1 / (attempts - 1));
  const interval = Math.min(initialMs * Math.pow(growth, retry - 1), MAX_WAIT_MS);
  const spread = interval * RANDOMISATION;
  return interval - spread + random() * 2 * spread;
}
