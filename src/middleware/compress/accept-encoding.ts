/**
 * Choose a content-coding from Accept-Encoding (RFC 9110 §12.5.3): the
 * client's highest q-value wins, ties go to our preference order; `*`
 * stands for any coding not listed; q=0 refuses. Clients send a handful of
 * distinct header values, so answers are remembered per value.
 */
export class EncodingNegotiator {
  private readonly cache = new Map<string, string | undefined>();

  constructor(
    /** Codings we can produce, most preferred first. */
    private readonly supported: readonly string[],
    /** What to use for a bare `*` (Traefik's defaultEncoding); else our first. */
    private readonly defaultEncoding?: string,
  ) {}

  /** `undefined` (no header): the default encoding if one is configured, else none (RFC 9110 leaves it to us; Traefik's choice). */
  choose(acceptEncoding: string | undefined): string | undefined {
    if (this.supported.length === 0) return undefined;
    if (acceptEncoding === undefined) return this.defaultEncoding && this.supported.includes(this.defaultEncoding) ? this.defaultEncoding : undefined;
    const cached = this.cache.get(acceptEncoding);
    if (cached !== undefined || this.cache.has(acceptEncoding)) return cached;
    const chosen = this.negotiate(acceptEncoding);
    if (this.cache.size >= 256) this.cache.clear();
    this.cache.set(acceptEncoding, chosen);
    return chosen;
  }

  private negotiate(header: string): string | undefined {
    const q = new Map<string, number>();
    for (const part of header.split(',')) {
      const [rawName, ...params] = part.split(';');
      const name = rawName!.trim().toLowerCase();
      if (!name) continue;
      let weight = 1;
      for (const p of params) {
        const [k, v] = p.split('=');
        if (k?.trim().toLowerCase() === 'q') {
          const n = Number(v?.trim());
          weight = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 0;
        }
      }
      q.set(name, weight);
    }
    const wildcard = q.get('*');
    let best: string | undefined;
    let bestQ = 0;
    // A bare `*` means "anything": prefer the configured default there.
    const order =
      wildcard !== undefined && this.defaultEncoding && this.supported.includes(this.defaultEncoding)
        ? [this.defaultEncoding, ...this.supported.filter((e) => e !== this.defaultEncoding)]
        : this.supported;
    for (const coding of order) {
      const weight = q.get(coding) ?? wildcard ?? 0;
      if (weight > bestQ) {
        best = coding;
        bestQ = weight;
      }
    }
    return best;
  }
}
