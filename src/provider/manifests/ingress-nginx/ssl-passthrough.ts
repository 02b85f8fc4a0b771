/**
 * `ssl-passthrough`, as ingress-nginx does it with --enable-ssl-passthrough
 * (here the provider's enableSSLPassthrough): TLS connections whose SNI is one
 * of the Ingress's hosts are relayed undecrypted to the backend of that
 * host's `/` path, a TCP router with HostSNI and tls.passthrough on the HTTPS
 * entrypoint. The HTTP routers stay for plain HTTP; on TLS the TCP router
 * wins, so the Ingress's other annotations do not apply there (as ingress-nginx
 * documents: passthrough works at layer 4).
 */
import { normalizeName, type ConversionContext } from '../conversion-context.js';
import { emptyTcpConfig } from '../../../dynamic/tcp-model.js';
import { ingressBackend, ingressPaths } from '../ingress.js';
import { serviceAddresses } from '../service-addresses.js';
import type { NginxAnnotations } from './nginx-annotations.js';

export interface SslPassthroughOptions {
  /** The provider's enableSSLPassthrough (ingress-nginx's --enable-ssl-passthrough). */
  enabled: boolean;
  /** The TCP routers' entry point (httpsEntryPoint); unset: every entry point. */
  entryPoint?: string;
}

export function sslPassthroughRouters(spec: Record<string, unknown>, ann: NginxAnnotations, ctx: ConversionContext, options: SslPassthroughOptions): void {
  if (ann.bool('ssl-passthrough') !== true) return;
  if (!options.enabled) {
    ann.report(
      'ssl-passthrough',
      'is ignored: enableSSLPassthrough is off on the kubernetesIngressNGINX provider (ingress-nginx needs --enable-ssl-passthrough too); TLS is terminated by Portico',
    );
    return;
  }
  const roots = new Map<string, { backend: unknown; at: string }>();
  let hostless = false;
  for (const { host, path, backend, at } of ingressPaths(spec)) {
    if (!host) hostless = true;
    else if ((path ?? '/') === '/' && !roots.has(host)) roots.set(host, { backend, at });
  }
  if (hostless) ann.report('ssl-passthrough', 'rules without a host cannot be told apart by SNI; they are served without passthrough');
  const tcp = (ctx.staged.tcp ??= emptyTcpConfig());
  for (const [host, { backend, at }] of roots) {
    const { name, port } = ingressBackend(backend, `${at}.backend`);
    const { addresses } = serviceAddresses({ name, port }, ctx, `${at}.backend.service`);
    const key = normalizeName(`${ctx.ns}-${ctx.name}-${host}-ssl-passthrough`);
    tcp.services[key] = { loadBalancer: { servers: addresses.map((address) => ({ address })) } };
    tcp.routers[key] = {
      // A wildcard host (`*.example.com`) covers one label, as in an Ingress rule.
      rule: host.startsWith('*.') ? `HostSNIRegexp(\`^[^.]+${host.slice(1).replace(/\./g, '\\.')}$\`)` : `HostSNI(\`${host}\`)`,
      service: key,
      tls: { passthrough: true },
      ...(options.entryPoint ? { entryPoints: [options.entryPoint] } : {}),
    };
  }
  if (roots.size === 0 && !hostless) ann.report('ssl-passthrough', 'no rule has a "/" path, whose backend passthrough sends to; ignored');
}
