/**
 * HTTPRoute (and GRPCRoute) filters → our middlewares, in the rule's order:
 * RequestHeaderModifier and ResponseHeaderModifier (set, add, remove) as
 * `headers` (add with its append options), RequestRedirect as `redirectRegex` over the full URL,
 * URLRewrite as `replacePath`/`replacePathRegex` (and a Host header for the
 * hostname), ExtensionRef to our Middleware kind by its kubernetescrd name;
 * RequestMirror is a mirror of the rule's service. What Portico cannot do
 * exactly is refused with a reason, so the route's status says so.
 */
import type { Middleware } from '../../../dynamic/model.js';
import { normalizeName, shortHash } from '../conversion-context.js';

export interface FilterInput {
  filters: unknown;
  routeNs: string;
  routeName: string;
  /** The match's PathPrefix (ReplacePrefixMatch rewrites it), if it has one. */
  prefix: string | undefined;
  /** Whether the listener is HTTPS, and its port: a redirect's defaults. */
  https: boolean;
  listenerPort: number;
  /** Route kind: GRPCRoute has no redirect or rewrite filters. */
  kind: 'HTTPRoute' | 'GRPCRoute';
}

export interface CompiledFilters {
  middlewares: Array<{ name: string; definition?: Middleware }>;
  /** RequestMirror's backendRefs, with the share of requests each gets. */
  mirrors: Array<{ backendRef: Record<string, unknown>; percent: number }>;
  /** A filter Portico does not do: the route's Accepted is False (UnsupportedValue) with this. */
  unsupported?: string;
}

/** Traefik's Middleware kind (portico.dev or traefik.io), referred to as the kubernetesCRD provider names it. */
const EXTENSION_GROUPS = ['portico.dev', 'traefik.io'];

const escapeRegexp = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
const defaultPort = (scheme: string) => (scheme === 'https' ? 443 : scheme === 'http' ? 80 : undefined);

export function compileFilters(input: FilterInput): CompiledFilters {
  const out: CompiledFilters = { middlewares: [], mirrors: [] };
  const list = (Array.isArray(input.filters) ? input.filters : []) as Array<Record<string, unknown>>;
  const add = (type: string, options: Record<string, unknown>) => {
    const definition: Middleware = { [type]: options };
    out.middlewares.push({ name: normalizeName(`${input.routeNs}-${input.routeName}-${type}-${shortHash(JSON.stringify(definition))}`), definition });
  };
  const refuse = (message: string) => {
    out.unsupported ??= message;
  };
  list.forEach((f, i) => {
    const type = typeof f.type === 'string' ? f.type : '';
    const at = `filters[${i}] (${type})`;
    switch (type) {
      case 'RequestHeaderModifier':
      case 'ResponseHeaderModifier': {
        const m = (f[type === 'RequestHeaderModifier' ? 'requestHeaderModifier' : 'responseHeaderModifier'] ?? {}) as {
          set?: Array<{ name: string; value: string }>;
          add?: Array<{ name: string; value: string }>;
          remove?: string[];
        };
        const headers: Record<string, string> = {};
        for (const h of m.set ?? []) {
          if (h.value === '') return refuse(`${at}: setting ${h.name} to an empty value is not supported (an empty value removes the header here)`);
          headers[h.name] = h.value;
        }
        for (const name of m.remove ?? []) headers[name] = '';
        // `add` appends to what the header has (or creates it): the headers middleware's own append option.
        const appended: Record<string, string> = {};
        for (const h of m.add ?? []) appended[h.name] = h.value;
        const request = type === 'RequestHeaderModifier';
        add('headers', {
          ...(Object.keys(headers).length ? { [request ? 'customRequestHeaders' : 'customResponseHeaders']: headers } : {}),
          ...(Object.keys(appended).length ? { [request ? 'appendRequestHeaders' : 'appendResponseHeaders']: appended } : {}),
        });
        return;
      }
      case 'RequestRedirect': {
        if (input.kind !== 'HTTPRoute') return refuse(`${at}: not a GRPCRoute filter`);
        const r = (f.requestRedirect ?? {}) as {
          scheme?: string;
          hostname?: string;
          port?: number;
          statusCode?: number;
          path?: { type?: string; replaceFullPath?: string; replacePrefixMatch?: string };
        };
        const status = r.statusCode ?? 302;
        if (status !== 301 && status !== 302) return refuse(`${at}: statusCode ${status} is not supported (301 or 302)`);
        const scheme = r.scheme ?? (input.https ? 'https' : 'http');
        const port = r.port ?? (r.scheme ? defaultPort(r.scheme) : input.listenerPort);
        const portText = port === undefined || port === defaultPort(scheme) ? '' : `:${port}`;
        let pathRegexp = '(/[^?]*)?';
        let pathReplacement = '${4}';
        if (r.path?.type === 'ReplaceFullPath') pathReplacement = r.path.replaceFullPath ?? '/';
        else if (r.path) {
          const rewrite = prefixRewrite(r.path, input.prefix, '[^?]', '${4}');
          if ('error' in rewrite) return refuse(`${at}: ${rewrite.error}`);
          [pathRegexp, pathReplacement] = [rewrite.regexp, rewrite.replacement];
        }
        add('redirectRegex', {
          regex: `^([a-zA-Z][a-zA-Z0-9+.-]*)://(\\[[^\\]]+\\]|[^/:?]+)(:[0-9]+)?${pathRegexp}(\\?.*)?$`,
          replacement: `${scheme}://${r.hostname ?? '${2}'}${portText}${pathReplacement}\${5}`,
          permanent: status === 301,
        });
        return;
      }
      case 'URLRewrite': {
        if (input.kind !== 'HTTPRoute') return refuse(`${at}: not a GRPCRoute filter`);
        const u = (f.urlRewrite ?? {}) as { hostname?: string; path?: { type?: string; replaceFullPath?: string; replacePrefixMatch?: string } };
        if (u.hostname) add('headers', { customRequestHeaders: { Host: u.hostname } });
        if (u.path) {
          if (u.path.type === 'ReplaceFullPath') add('replacePath', { path: u.path.replaceFullPath ?? '/' });
          else {
            const rewrite = prefixRewrite(u.path, input.prefix, '.', '${1}');
            if ('error' in rewrite) return refuse(`${at}: ${rewrite.error}`);
            add('replacePathRegex', { regex: `^${rewrite.regexp}$`, replacement: rewrite.replacement });
          }
        }
        return;
      }
      case 'RequestMirror': {
        const m = (f.requestMirror ?? {}) as {
          backendRef?: Record<string, unknown>;
          percent?: number;
          fraction?: { numerator?: number; denominator?: number };
        };
        if (!m.backendRef) return refuse(`${at}: requestMirror.backendRef is required`);
        const percent = m.percent ?? (m.fraction ? Math.round(((m.fraction.numerator ?? 0) * 100) / (m.fraction.denominator || 100)) : 100);
        out.mirrors.push({ backendRef: m.backendRef, percent: Math.max(0, Math.min(100, percent)) });
        return;
      }
      case 'ExtensionRef': {
        const e = (f.extensionRef ?? {}) as { group?: string; kind?: string; name?: string };
        if (!EXTENSION_GROUPS.includes(e.group ?? '') || e.kind !== 'Middleware' || !e.name)
          return refuse(`${at}: only Middleware of ${EXTENSION_GROUPS.join(' or ')} can be referred to, got ${e.group ?? ''}/${e.kind ?? ''} ${e.name ?? ''}`);
        out.middlewares.push({ name: `${normalizeName(`${input.routeNs}-${e.name}`)}@kubernetescrd` });
        return;
      }
      default:
        return refuse(`${at}: filter type "${type}" is not supported by Portico`);
    }
  });
  return out;
}

/**
 * ReplacePrefixMatch of the match's prefix as a regular expression over the
 * path (unanchored; `rest` is what a path character is, `group` names the
 * capture of what follows the prefix) and its replacement. `/foo` replaced
 * by `/bar`: /foo → /bar, /foo/x → /bar/x; by `/`: /foo → /, /foo/x → /x.
 */
function prefixRewrite(
  p: { type?: string; replacePrefixMatch?: string },
  prefix: string | undefined,
  rest: string,
  group: string,
): { regexp: string; replacement: string } | { error: string } {
  if (p.type !== 'ReplacePrefixMatch') return { error: `path type "${p.type ?? ''}" is not ReplaceFullPath or ReplacePrefixMatch` };
  if (prefix === undefined) return { error: 'ReplacePrefixMatch needs the rule to match a PathPrefix' };
  const from = escapeRegexp(prefix.replace(/\/+$/, ''));
  const to = (p.replacePrefixMatch ?? '/').replace(/\/+$/, '');
  return to ? { regexp: `${from}(/${rest}*)?`, replacement: `${to}${group}` } : { regexp: `${from}/?(${rest}*)`, replacement: `/${group}` };
}
