/** `ipAllowList`: only client addresses within `sourceRange` pass; others get 403. */
import type { MiddlewareType } from '../middleware-type.js';
import { ipStrategySchema, optionsValidator, stringList } from '../options-schema.js';
import { IpRangeSet } from '../../net/ip-range.js';
import { clientIpResolver, ipStrategyProblems, type IpStrategy } from '../source-criterion.js';

interface Options {
  sourceRange: string[];
  ipStrategy?: IpStrategy;
  rejectStatusCode?: number;
}

export const ipAllowList: MiddlewareType<Options> = {
  type: 'ipAllowList',
  validate: (o) => {
    const problems = optionsValidator({
      required: ['sourceRange'],
      properties: { sourceRange: { ...stringList, minItems: 1 }, ipStrategy: ipStrategySchema, rejectStatusCode: { type: 'integer', minimum: 400, maximum: 599 } },
    })(o);
    (o as Options | undefined)?.sourceRange?.forEach((r, i) => {
      try {
        new IpRangeSet([r]);
      } catch (err) {
        problems.push([`sourceRange[${i}]`, (err as Error).message]);
      }
    });
    problems.push(...ipStrategyProblems((o as Options | undefined)?.ipStrategy, 'ipStrategy'));
    return problems;
  },
  build: (o) => {
    const allowed = new IpRangeSet(o.sourceRange);
    const clientIp = clientIpResolver(o.ipStrategy);
    const status = o.rejectStatusCode ?? 403;
    return (next) => (ex) => {
      if (allowed.contains(clientIp(ex))) return next(ex);
      ex.respond(status, { 'content-type': 'text/plain; charset=utf-8' }, status === 403 ? '403 Forbidden\n' : `${status}\n`);
    };
  },
};
