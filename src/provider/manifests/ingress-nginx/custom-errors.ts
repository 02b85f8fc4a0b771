/**
 * `default-backend` and `custom-http-errors`, as ingress-nginx applies them:
 * the default backend (a Service of the Ingress's namespace, on its first
 * port) serves the locations whose Service has no ready endpoint, and, with
 * custom-http-errors, the error pages for those statuses: the backend's answer
 * is replaced by the default backend's for the same request, sent with the
 * headers ingress-nginx sends (X-Code, X-Format, X-Original-URI, …), under
 * the original status.
 */
import type { Middleware, Service } from '../../../dynamic/model.js';
import { normalizeName, type ConversionContext } from '../conversion-context.js';
import { resolveServiceReference } from '../service-reference.js';
import { NginxAnnotations } from './nginx-annotations.js';

export interface DefaultBackend {
  /** The staged service's name. */
  service: string;
  /** Custom error statuses (custom-http-errors), when set. */
  errorCodes?: string[];
}

/** The Ingress's default backend, staged as a service, or undefined (problems reported). */
export function defaultBackend(ann: NginxAnnotations, ctx: ConversionContext): DefaultBackend | undefined {
  const name = ann.string('default-backend');
  const codes = ann.list('custom-http-errors');
  const badCode = codes?.find((c) => !/^[1-5]\d\d$/.test(c));
  if (badCode !== undefined) ann.report('custom-http-errors', `"${badCode}" is not an HTTP status code; custom error pages are off for this Ingress`);
  if (name === undefined) {
    if (codes !== undefined && badCode === undefined)
      ann.report(
        'custom-http-errors',
        "needs default-backend on the same Ingress (Portico has no controller-wide default backend); the backend's own error pages are served",
      );
    return undefined;
  }
  const ports = ctx.index.directory.ports(ctx.ns, name);
  if (!ports) {
    ann.report('default-backend', `no Service ${ctx.ns}/${name}; ignored`);
    return undefined;
  }
  if (ports.length === 0) {
    ann.report('default-backend', `Service ${ctx.ns}/${name} has no ports; ignored`);
    return undefined;
  }
  // ingress-nginx sends to the default backend's first port.
  const ref = resolveServiceReference({ name, port: ports[0] }, ctx, NginxAnnotations.at('default-backend'));
  const service = ref.kind === 'name' ? ref.name : ref.defaultName;
  if (ref.kind === 'loadBalancer') ctx.staged.http.services[service] = ref.service;
  return { service, ...(codes?.length && badCode === undefined ? { errorCodes: codes } : {}) };
}

/** The errors middleware for one location's backend (ingress-nginx names the location's Service in the headers it sends). */
export function customErrorsMiddleware(backend: DefaultBackend, ctx: ConversionContext, serviceName: string, servicePort: string): Middleware | undefined {
  if (!backend.errorCodes) return undefined;
  return {
    errors: {
      status: backend.errorCodes,
      service: backend.service,
      // ingress-nginx rewrites the error request's path to `/`.
      query: '/',
      ingressNginxHeaders: { namespace: ctx.ns, ingressName: ctx.name, serviceName, servicePort },
    },
  };
}

/** A location's service when its Service has no ready endpoint: the default backend, as ingress-nginx falls back. */
export function withoutEndpoints(service: Service | undefined): boolean {
  const lb = service?.loadBalancer;
  return lb !== undefined && lb.servers.length === 0;
}

export function errorsMiddlewareName(prefix: string, serviceName: string, servicePort: string): string {
  return normalizeName(`${prefix}-nginx-errors-${serviceName}-${servicePort}`);
}
