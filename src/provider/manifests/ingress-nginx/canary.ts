/**
 * Canary Ingresses (`canary: "true"`): ingress-nginx merges them into the
 * main Ingress with the same host and path, which keeps its annotations;
 * the canary contributes its backend and the rules that pick it, in this
 * order: `canary-by-header` (`always`/`never`, or `-value` / `-pattern`),
 * then `canary-by-cookie` (`always`/`never`), then `canary-weight` out of
 * `canary-weight-total` (default 100).
 *
 * Here each rule is a router above the main one on the same location:
 * header routers at +5, cookie routers at +3, and the weight as a router at
 * +1 to a weighted service of the main and the canary backends.
 */
import type { Router, Service } from '../../../dynamic/model.js';
import { Problem } from '../conversion-context.js';
import { NginxAnnotations } from './nginx-annotations.js';

export const CANARY_ANNOTATIONS = [
  'canary',
  'canary-weight',
  'canary-weight-total',
  'canary-by-header',
  'canary-by-header-value',
  'canary-by-header-pattern',
  'canary-by-cookie',
];

export interface CanaryRules {
  weight?: number;
  total: number;
  header?: string;
  headerValue?: string;
  headerPattern?: string;
  cookie?: string;
}

/** The canary rules, or undefined when the Ingress is not a canary (its canary-* annotations are reported then). */
export function canaryRules(ann: NginxAnnotations): CanaryRules | undefined {
  if (!(ann.bool('canary') ?? false)) {
    for (const key of CANARY_ANNOTATIONS.slice(1)) if (ann.has(key)) ann.report(key, 'has no effect without nginx.ingress.kubernetes.io/canary: "true"');
    return undefined;
  }
  const total = ann.int('canary-weight-total', 1) ?? 100;
  const rules: CanaryRules = { total };
  const weight = ann.int('canary-weight');
  if (weight !== undefined) {
    if (weight > total) ann.report('canary-weight', `is above canary-weight-total (${total}); every request goes to the canary`);
    rules.weight = Math.min(weight, total);
  }
  const header = ann.string('canary-by-header');
  const value = ann.string('canary-by-header-value');
  const pattern = ann.string('canary-by-header-pattern');
  if (header) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) ann.report('canary-by-header', `"${header}" is not a header name; ignored`);
    else if ((value ?? pattern ?? '').includes('`'))
      ann.report(value ? 'canary-by-header-value' : 'canary-by-header-pattern', 'cannot contain a backtick; canary-by-header ignored');
    else {
      rules.header = header;
      if (value) rules.headerValue = value;
      else if (pattern) rules.headerPattern = pattern;
    }
  } else {
    if (value !== undefined) ann.report('canary-by-header-value', 'has no effect without canary-by-header');
    if (pattern !== undefined) ann.report('canary-by-header-pattern', 'has no effect without canary-by-header');
  }
  const cookie = ann.string('canary-by-cookie');
  if (cookie) {
    if (/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(cookie)) rules.cookie = cookie;
    else ann.report('canary-by-cookie', `"${cookie}" is not a cookie name; ignored`);
  }
  return rules;
}

/** The main location a canary joins. */
export interface MainLocation {
  rule: string;
  priority: number;
  middlewares: string[];
  service: string;
  entryPoints?: string[];
}

/** Routers (by name suffix) and the weighted service (if any) that put `canaryService` beside `main`. */
export function canaryRouters(
  rules: CanaryRules,
  main: MainLocation,
  canaryService: string,
  weightedName: string,
): { routers: Record<string, Router>; weighted?: Service } {
  const routers: Record<string, Router> = {};
  const route = (suffix: string, extra: string | undefined, service: string, offset: number) => {
    const r: Router = { rule: extra ? `(${main.rule}) && ${extra}` : main.rule, service, priority: main.priority + offset };
    if (main.middlewares.length) r.middlewares = main.middlewares;
    if (main.entryPoints) r.entryPoints = main.entryPoints;
    routers[suffix] = r;
  };
  if (rules.header) {
    const h = quote(rules.header);
    if (rules.headerValue !== undefined) route('header', `Header(${h}, ${quote(rules.headerValue)})`, canaryService, 5);
    else if (rules.headerPattern !== undefined) route('header', `HeaderRegexp(${h}, ${quote(rules.headerPattern)})`, canaryService, 5);
    else {
      route('header', `Header(${h}, \`always\`)`, canaryService, 5);
      route('header-never', `Header(${h}, \`never\`)`, main.service, 5);
    }
  }
  if (rules.cookie) {
    const cookie = (v: string) => `HeaderRegexp(\`Cookie\`, ${quote(`(^|;\\s*)${rules.cookie!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}=${v}(;|$)`)})`;
    route('cookie', cookie('always'), canaryService, 3);
    route('cookie-never', cookie('never'), main.service, 3);
  }
  if (rules.weight === undefined || rules.weight === 0) return { routers };
  route('weight', undefined, weightedName, 1);
  return {
    routers,
    weighted: {
      weighted: {
        services: [
          { name: main.service, weight: rules.total - rules.weight },
          { name: canaryService, weight: rules.weight },
        ],
      },
    },
  };
}

/** A rule argument: backticks cannot appear inside one, so such values are refused before they get here. */
function quote(v: string): string {
  if (v.includes('`')) throw new Problem(NginxAnnotations.at('canary-by-header'), `a canary rule value cannot contain a backtick: ${v}`);
  return `\`${v}\``;
}
