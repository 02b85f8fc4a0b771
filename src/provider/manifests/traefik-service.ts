/** TraefikService → `<ns>-<name>`: a weighted service over Kubernetes Services and other TraefikServices. */
import type { KubeObject } from './kube-objects.js';
import { Problem, asArray, asObject, checkKeys, type ConversionContext } from './conversion-context.js';
import { resolveServiceReference } from './service-reference.js';
import type { Service } from '../../dynamic/model.js';

export function convertTraefikService(o: KubeObject, ctx: ConversionContext): Service {
  const spec = asObject(o.spec, 'spec');
  checkKeys(spec, ['weighted', 'mirroring', 'highestRandomWeight', 'failover'], 'spec');
  for (const k of ['mirroring', 'highestRandomWeight', 'failover'])
    if (spec[k] !== undefined) throw new Problem(`spec.${k}`, `${k} TraefikServices are not supported; use weighted`);
  if (spec.weighted === undefined) throw new Problem('spec.weighted', 'is required');
  const w = asObject(spec.weighted, 'spec.weighted');
  checkKeys(w, ['services', 'sticky'], 'spec.weighted');
  if (w.sticky !== undefined) throw new Problem('spec.weighted.sticky', 'sticky weighted services are not supported; set sticky on the Kubernetes Service reference');
  const refs = asArray(w.services, 'spec.weighted.services');
  if (refs.length === 0) throw new Problem('spec.weighted.services', 'at least one service is required');
  const services = refs.map((s, i) => {
    const ref = resolveServiceReference(s, ctx, `spec.weighted.services[${i}]`);
    if (ref.kind === 'name') return { name: ref.name, weight: ref.weight };
    ctx.staged.http.services[ref.defaultName] = ref.service;
    return { name: ref.defaultName, weight: ref.weight };
  });
  return { weighted: { services } };
}
