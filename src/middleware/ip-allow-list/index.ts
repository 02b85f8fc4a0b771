/** `ipAllowList`: only client addresses within `sourceRange` pass; others get 403. */
import type { MiddlewareType, OptionProblem } from '../middleware-type.js';
import { ipStrategySchema, stringList } from '../options-schema.js';
import { IpRangeSet } from '../../net/ip-range.js';
import { clientIpResolver, ipStrategyProblems, type IpStrategy } from '../source-criterion.js';

interface Options {
  sourceRange: string[];
  ipStrategy?: IpStrategy;
  rejectStatusCode?: number;
}

export const ipAllowList: MiddlewareType<Options> = {
  type: 'ipAllowList',
  optionsSchema: {
    required: ['sourceRange'],
    properties: {
      sourceRange: { ...stringList, minItems: 1 },
      ipStrategy: ipStrategySchema,
      rejectStatusCode: { type: 'integer', minimum: 400, maximum: 599 },
    },
  },
  validate: (o) => {
    const problems: OptionProblem[] = [];
    o.sourceRange.forEach((r, i) => {
      try {
        new IpRangeSet([r]);
      } catch (err) {
        problems.push([`sourceRange[${i}]`, (err as Error).message]);
      }
    });
    problems.push(...ipStrategyProblems(o.ipStrategy, 'ipStrategy'));
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
