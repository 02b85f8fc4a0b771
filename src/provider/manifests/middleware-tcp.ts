/** MiddlewareTCP → `tcp.middlewares.<ns>-<name>`: ipAllowList or inFlightConn, Traefik's two TCP middlewares. */
import type { TcpMiddleware } from '../../dynamic/tcp-model.js';
import type { KubeObject } from './kube-objects.js';
import { Problem, asObject, checkKeys, optInteger, stringList } from './conversion-context.js';

export function convertMiddlewareTcp(o: KubeObject): TcpMiddleware {
  const spec = asObject(o.spec, 'spec');
  if ('ipWhiteList' in spec) throw new Problem('spec.ipWhiteList', 'ipWhiteList was renamed ipAllowList in Traefik v3; rename the key');
  checkKeys(spec, ['ipAllowList', 'inFlightConn'], 'spec');
  const types = Object.keys(spec);
  if (types.length !== 1) throw new Problem('spec', `a MiddlewareTCP sets exactly one type, found ${types.length ? types.join(', ') : 'none'}`);
  if (spec.ipAllowList !== undefined) {
    const allow = asObject(spec.ipAllowList, 'spec.ipAllowList');
    checkKeys(allow, ['sourceRange'], 'spec.ipAllowList');
    const sourceRange = stringList(allow.sourceRange, 'spec.ipAllowList.sourceRange');
    // An empty list would refuse every connection: Traefik requires at least one range.
    if (sourceRange.length === 0) throw new Problem('spec.ipAllowList.sourceRange', 'at least one IP or CIDR range is required');
    return { ipAllowList: { sourceRange } };
  }
  const inFlight = asObject(spec.inFlightConn, 'spec.inFlightConn');
  checkKeys(inFlight, ['amount'], 'spec.inFlightConn');
  const amount = optInteger(inFlight.amount, 'spec.inFlightConn.amount', 1);
  if (amount === undefined) throw new Problem('spec.inFlightConn.amount', 'is required (the most connections at once per client IP)');
  return { inFlightConn: { amount } };
}
