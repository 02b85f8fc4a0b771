/**
 * TraefikService → `<ns>-<name>`: a weighted, mirroring or failover service
 * over Kubernetes Services and other TraefikServices. Each reference to a
 * Kubernetes Service stages a load balancer of its own, as Traefik does.
 */
import type { KubeObject } from './kube-objects.js';
import { Problem, asArray, asObject, checkKeys, optBoolean, optInteger, type ConversionContext } from './conversion-context.js';
import { resolveServiceReference, sticky } from './service-reference.js';
import type { MirroringService, Service } from '../../dynamic/model.js';

const KINDS = ['weighted', 'mirroring', 'failover'];

export function convertTraefikService(o: KubeObject, ctx: ConversionContext): Service {
  const spec = asObject(o.spec, 'spec');
  checkKeys(spec, [...KINDS, 'highestRandomWeight'], 'spec');
  if (spec.highestRandomWeight !== undefined)
    throw new Problem('spec.highestRandomWeight', 'highestRandomWeight TraefikServices are not supported; use weighted');
  const present = KINDS.filter((k) => spec[k] !== undefined);
  if (present.length !== 1)
    throw new Problem('spec', `exactly one of ${KINDS.join(', ')} is required${present.length ? `, got ${present.join(' and ')}` : ''}`);
  if (spec.mirroring !== undefined) return { mirroring: mirroring(spec.mirroring, ctx) };
  if (spec.failover !== undefined) return { failover: failover(spec.failover, ctx) };
  const w = asObject(spec.weighted, 'spec.weighted');
  checkKeys(w, ['services', 'sticky'], 'spec.weighted');
  const refs = asArray(w.services, 'spec.weighted.services');
  if (refs.length === 0) throw new Problem('spec.weighted.services', 'at least one service is required');
  const services = refs.map((s, i) => {
    const at = `spec.weighted.services[${i}]`;
    const ref = resolveServiceReference(s, ctx, at);
    return { name: serviceName(ref, ctx), weight: ref.weight };
  });
  return { weighted: w.sticky === undefined ? { services } : { services, sticky: sticky(w.sticky, 'spec.weighted.sticky') } };
}

/** The dynamic name a reference resolves to; a Kubernetes Service's load balancer is staged under its default name. */
function serviceName(ref: ReturnType<typeof resolveServiceReference>, ctx: ConversionContext): string {
  if (ref.kind === 'name') return ref.name;
  ctx.staged.http.services[ref.defaultName] = ref.service;
  return ref.defaultName;
}

function mirroring(raw: unknown, ctx: ConversionContext): MirroringService {
  const at = 'spec.mirroring';
  const m = asObject(raw, at);
  const main = resolveServiceReference(m, ctx, at, ['mirrorBody', 'maxBodySize', 'mirrors']);
  const out: MirroringService = { service: serviceName(main, ctx) };
  const mirrorBody = optBoolean(m.mirrorBody, `${at}.mirrorBody`);
  if (mirrorBody !== undefined) out.mirrorBody = mirrorBody;
  const maxBodySize = optInteger(m.maxBodySize, `${at}.maxBodySize`, -1);
  if (maxBodySize !== undefined) out.maxBodySize = maxBodySize;
  if (m.mirrors !== undefined)
    out.mirrors = asArray(m.mirrors, `${at}.mirrors`).map((raw, i) => {
      const mat = `${at}.mirrors[${i}]`;
      const ref = resolveServiceReference(raw, ctx, mat, ['percent']);
      const percent = optInteger(asObject(raw, mat).percent, `${mat}.percent`, 0) ?? 0;
      if (percent > 100) throw new Problem(`${mat}.percent`, `must be at most 100, got ${percent}`);
      return { name: serviceName(ref, ctx), percent };
    });
  return out;
}

function failover(raw: unknown, ctx: ConversionContext): { service: string; fallback: string } {
  const at = 'spec.failover';
  const f = asObject(raw, at);
  checkKeys(f, ['service', 'fallback', 'errors'], at);
  if (f.errors !== undefined) throw new Problem(`${at}.errors`, 'failover on error statuses is not supported; failover follows the main service health check');
  if (f.service === undefined) throw new Problem(`${at}.service`, 'is required');
  if (f.fallback === undefined) throw new Problem(`${at}.fallback`, 'is required');
  return {
    service: serviceName(resolveServiceReference(f.service, ctx, `${at}.service`), ctx),
    fallback: serviceName(resolveServiceReference(f.fallback, ctx, `${at}.fallback`), ctx),
  };
}
