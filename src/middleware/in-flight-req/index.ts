/** `inFlightReq`: at most `amount` simultaneous requests per source (until each response is complete); more get 429. */
import type { MiddlewareType } from '../middleware-type.js';
import { sourceCriterionSchema } from '../options-schema.js';
import { sourceCriterionProblems, sourceKey, type SourceCriterion } from '../source-criterion.js';

export const inFlightReq: MiddlewareType<{ amount: number; sourceCriterion?: SourceCriterion }> = {
  type: 'inFlightReq',
  optionsSchema: { required: ['amount'], properties: { amount: { type: 'integer', minimum: 1 }, sourceCriterion: sourceCriterionSchema } },
  validate: (o) => sourceCriterionProblems(o.sourceCriterion),
  build: ({ amount, sourceCriterion }) => {
    const inFlight = new Map<string, number>();
    const key = sourceKey(sourceCriterion);
    return (next) => async (ex) => {
      const k = key(ex);
      const n = inFlight.get(k) ?? 0;
      if (n >= amount) {
        ex.respond(429, { 'content-type': 'text/plain; charset=utf-8' }, '429 Too Many Requests\n');
        return;
      }
      inFlight.set(k, n + 1);
      try {
        await next(ex);
      } finally {
        const left = (inFlight.get(k) ?? 1) - 1;
        if (left <= 0) inFlight.delete(k);
        else inFlight.set(k, left);
      }
    };
  },
};
