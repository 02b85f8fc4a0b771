/**
 * IngressRoute → routers (one per route, named `<ns>-<name>-<hash of match>`
 * as Traefik does), the route's service (a route with one Kubernetes Service
 * gets a load balancer named like its router; several services a weighted
 * service of that name), and the certificate of `tls.secretName`.
 */
import type { Router, RouterTls } from '../../dynamic/model.js';
import type { KubeObject } from './kube-objects.js';
import {
  Problem,
  asArray,
  asObject,
  certificateFromSecret,
  checkKeys,
  objectReference,
  optInteger,
  optString,
  referencedNamespace,
  reqString,
  routeKey,
  stagingConfig,
  stringList,
  type ConversionContext,
} from './conversion-context.js';
import { resolveServiceReference } from './service-reference.js';
import { routeTlsOptions } from './tls.js';
import type { CertificateRef } from '../../dynamic/model.js';

export function convertIngressRoute(o: KubeObject, ctx: ConversionContext, certificates: CertificateRef[]): void {
  const spec = asObject(o.spec, 'spec');
  checkKeys(spec, ['entryPoints', 'routes', 'tls', 'parentRefs'], 'spec');
  const parentRefs = spec.parentRefs === undefined ? undefined : parentRouters(spec.parentRefs, ctx);
  const routes = asArray(spec.routes, 'spec.routes');
  if (routes.length === 0) throw new Problem('spec.routes', 'at least one route is required');
  const entryPoints = spec.entryPoints === undefined ? undefined : stringList(spec.entryPoints, 'spec.entryPoints');
  const tls = spec.tls === undefined ? undefined : routerTls(spec.tls, ctx, certificates);

  // A bad route is reported and left out; the other routes stay (Traefik's behaviour).
  routes.forEach((raw, i) => {
    const routeCtx: ConversionContext = { ...ctx, staged: stagingConfig() };
    try {
      convertRoute(raw, `spec.routes[${i}]`, routeCtx, entryPoints, tls, parentRefs);
    } catch (err) {
      if (!(err instanceof Problem)) throw err;
      ctx.partial.push(err);
      return;
    }
    const key = Object.keys(routeCtx.staged.http.routers)[0]!;
    if (ctx.staged.http.routers[key]) {
      ctx.partial.push(new Problem(`spec.routes[${i}].match`, 'the same match appears twice in this IngressRoute; merge the routes'));
      return;
    }
    Object.assign(ctx.staged.http.routers, routeCtx.staged.http.routers);
    Object.assign(ctx.staged.http.services, routeCtx.staged.http.services);
  });
  if (Object.keys(ctx.staged.http.routers).length === 0 && ctx.partial.length) throw ctx.partial.pop()!;
}

/**
 * `spec.parentRefs` (Traefik's multi-layer routing): every route of each named IngressRoute is a
 * parent of every route of this one, by the router names those routes get (routeKey).
 */
function parentRouters(raw: unknown, ctx: ConversionContext): string[] {
  const out: string[] = [];
  asArray(raw, 'spec.parentRefs').forEach((r, i) => {
    const at = `spec.parentRefs[${i}]`;
    const ref = asObject(r, at);
    checkKeys(ref, ['name', 'namespace'], at);
    const name = reqString(ref.name, `${at}.name`);
    const ns = referencedNamespace(ref.namespace, ctx, at);
    const parent = ctx.index.ingressRoutes.get(`${ns}/${name}`);
    if (!parent) throw new Problem(`${at}.name`, `no IngressRoute ${ns}/${name}`);
    const routes = (parent.spec as { routes?: unknown } | undefined)?.routes;
    for (const route of Array.isArray(routes) ? routes : []) {
      const match = (route as { match?: unknown } | null)?.match;
      if (typeof match === 'string') out.push(routeKey(ns, name, match.trim()));
    }
  });
  return out;
}

/** Whether another IngressRoute names this one in its parentRefs. */
function namedAsParent(ctx: ConversionContext): boolean {
  for (const ir of ctx.index.ingressRoutes.values()) {
    const refs = (ir.spec as { parentRefs?: unknown } | undefined)?.parentRefs;
    if (!Array.isArray(refs)) continue;
    for (const ref of refs as Array<{ name?: unknown; namespace?: unknown } | null>)
      if (ref?.name === ctx.name && (ref.namespace ?? ir.metadata.namespace) === ctx.ns) return true;
  }
  return false;
}

function convertRoute(
  raw: unknown,
  at: string,
  ctx: ConversionContext,
  entryPoints: string[] | undefined,
  tls: RouterTls | undefined,
  parentRefs: string[] | undefined,
): void {
  // A block of its own so this body keeps the indentation it had inside the loop (concurrent edits merge).
  {
    const r = asObject(raw, at);
    checkKeys(r, ['match', 'kind', 'priority', 'middlewares', 'services', 'syntax', 'observability'], at);
    const match = reqString(r.match, `${at}.match`).trim();
    if (r.kind !== undefined && r.kind !== 'Rule') throw new Problem(`${at}.kind`, `must be "Rule", got ${JSON.stringify(r.kind)}`);
    if (r.syntax !== undefined && r.syntax !== 'v3') throw new Problem(`${at}.syntax`, 'only the v3 rule syntax is supported');
    if (r.observability !== undefined) throw new Problem(`${at}.observability`, 'per-route observability is not supported; remove it');
    const priority = optInteger(r.priority, `${at}.priority`);
    const key = routeKey(ctx.ns, ctx.name, match);

    // Without services the route must be a parent in multi-layer routing (another IngressRoute names this one): its children choose.
    const services = r.services === undefined ? [] : asArray(r.services, `${at}.services`);
    if (services.length === 0 && !namedAsParent(ctx)) throw new Problem(`${at}.services`, 'at least one service is required');
    const resolved = services.map((s, j) => resolveServiceReference(s, ctx, `${at}.services[${j}]`));
    let service: string | undefined;
    if (resolved.length === 0) service = undefined;
    else if (resolved.length === 1) {
      const only = resolved[0]!;
      if (only.kind === 'loadBalancer') {
        ctx.staged.http.services[key] = only.service;
        service = key;
      } else service = only.name;
    } else {
      const weighted = resolved.map((ref) => {
        if (ref.kind === 'name') return { name: ref.name, weight: ref.weight };
        ctx.staged.http.services[ref.defaultName] = ref.service;
        return { name: ref.defaultName, weight: ref.weight };
      });
      ctx.staged.http.services[key] = { weighted: { services: weighted } };
      service = key;
    }

    const middlewares = asArray(r.middlewares, `${at}.middlewares`).map((m, j) => {
      const mat = `${at}.middlewares[${j}]`;
      const ref = asObject(m, mat);
      checkKeys(ref, ['name', 'namespace'], mat);
      return objectReference(ref as { name: unknown; namespace?: unknown }, ctx, mat, 'Middleware', ctx.index.middlewares);
    });

    const router: Router = { rule: match };
    if (service !== undefined) router.service = service;
    if (parentRefs) router.parentRefs = parentRefs;
    if (entryPoints) router.entryPoints = entryPoints;
    if (middlewares.length) router.middlewares = middlewares;
    if (priority) router.priority = priority;
    if (tls) router.tls = tls;
    ctx.staged.http.routers[key] = router;
  }
}

function routerTls(raw: unknown, ctx: ConversionContext, certificates: CertificateRef[]): RouterTls {
  const t = asObject(raw ?? {}, 'spec.tls');
  checkKeys(t, ['secretName', 'options', 'store', 'domains', 'certResolver'], 'spec.tls');
  const tls: RouterTls = {};
  const options = routeTlsOptions(t, ctx, 'IngressRoute');
  if (options) tls.options = options;
  if (t.domains !== undefined) {
    tls.domains = asArray(t.domains, 'spec.tls.domains').map((d, i) => {
      const dat = `spec.tls.domains[${i}]`;
      const dom = asObject(d, dat);
      checkKeys(dom, ['main', 'sans'], dat);
      const out: { main: string; sans?: string[] } = { main: reqString(dom.main, `${dat}.main`) };
      if (dom.sans !== undefined) out.sans = stringList(dom.sans, `${dat}.sans`);
      return out;
    });
  }
  const certResolver = optString(t.certResolver, 'spec.tls.certResolver');
  if (certResolver) tls.certResolver = certResolver;
  const secretName = optString(t.secretName, 'spec.tls.secretName');
  if (secretName) certificates.push(certificateFromSecret(ctx.ns, secretName, ctx, 'spec.tls.secretName'));
  return tls;
}
