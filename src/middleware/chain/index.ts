/** `chain`: several middlewares under one name, applied in order. */
import type { MiddlewareType } from '../middleware-type.js';
import type { MiddlewareHandler } from '../../exchange/exchange.js';
import { stringList } from '../options-schema.js';

export const chain: MiddlewareType<{ middlewares: string[] }> = {
  type: 'chain',
  optionsSchema: { required: ['middlewares'], properties: { middlewares: { ...stringList, minItems: 1 } } },
  build: ({ middlewares }, ctx) => {
    const resolved: MiddlewareHandler[] = middlewares.map((m) => ctx.resolve(m));
    return (next) => {
      let h = next;
      for (let i = resolved.length - 1; i >= 0; i--) h = resolved[i]!(h);
      return h;
    };
  },
};
