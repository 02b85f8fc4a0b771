/**
 * An immutable, host-indexed table of compiled routes for one entrypoint.
 *
 * Order: higher priority first. The default priority (also for an explicit
 * 0, as in Traefik) is the rule's length in bytes. Equal priorities are
 * broken by name (code-unit order, so "a" < "b" < "b2"), then by position in
 * the definition list — the same input always gives the same order.
 *
 * Index: a route whose rule can only match a fixed set of hosts (see
 * rule-hosts.ts) is put in each of those hosts' buckets; every other route
 * (no Host, HostRegexp, `!Host`, `Host(a) || Path(/x)`…) goes in one shared
 * list. A lookup walks the request host's bucket and the shared list merged
 * by order, so its cost depends on the routes that could match that host,
 * not on how many routes the table holds.
 */
import type { RequestFacts } from './request-facts.js';
import { parseRule } from './rule-parser.js';
import { RuleSyntaxError } from './rule-syntax-error.js';
import { compileRule, compileRuleForHost, type FoldedMatcher, type RuleMatcher } from './rule-matcher.js';
import { hostsOfAst } from './rule-hosts.js';

export interface RouteDefinition<T> {
  name: string;
  rule: string;
  /** Higher wins; absent or 0 means the rule's length in bytes. */
  priority?: number;
  value: T;
}

export interface RouteError {
  name: string;
  message: string;
  /** 1-based column in the rule, for syntax errors. */
  column?: number;
}

export interface RouteMatch<T> {
  readonly name: string;
  readonly value: T;
}

/** A route ready for the table (what buildRouteTable makes of a definition). */
export interface CompiledRouteInput<T> {
  name: string;
  priority: number;
  match: RuleMatcher;
  /** Hosts the rule is limited to, or undefined when unconstrained. */
  hosts: ReadonlySet<string> | undefined;
  /** The rule compiled for requests known to carry one of those hosts (Host tests decided); defaults to `match`. */
  matchForHost?: (host: string) => FoldedMatcher;
  value: T;
}

interface CompiledRoute<T> extends RouteMatch<T> {
  readonly order: number;
  readonly priority: number;
  /** null: matches every request that reaches it (e.g. a plain Host rule in its host's bucket). */
  readonly match: RuleMatcher | null;
}

export class RouteTable<T> {
  private readonly byHost = new Map<string, CompiledRoute<T>[]>();
  private readonly anyHost: CompiledRoute<T>[] = [];
  private readonly ordered: CompiledRoute<T>[];
  readonly size: number;

  constructor(routes: ReadonlyArray<CompiledRouteInput<T>>) {
    const sorted = routes
      .map((r, index) => ({ r, index }))
      .sort((x, y) => y.r.priority - x.r.priority || (x.r.name < y.r.name ? -1 : x.r.name > y.r.name ? 1 : 0) || x.index - y.index);
    this.ordered = sorted.map(({ r }, order) => {
      const c: CompiledRoute<T> = { name: r.name, value: r.value, order, priority: r.priority, match: r.match };
      if (!r.hosts) this.anyHost.push(c);
      else
        for (const h of r.hosts) {
          const folded = r.matchForHost ? r.matchForHost(h) : r.match;
          if (folded === false) continue;
          const entry = folded === r.match ? c : { ...c, match: folded === true ? null : folded };
          const bucket = this.byHost.get(h);
          if (bucket) bucket.push(entry);
          else this.byHost.set(h, [entry]);
        }
      return c;
    });
    this.size = sorted.length;
  }

  /** The first route, in priority order, whose rule matches; undefined when none does. */
  match(facts: RequestFacts): RouteMatch<T> | undefined {
    const bucket = this.byHost.get(facts.host);
    const any = this.anyHost;
    if (bucket === undefined) {
      for (let j = 0; j < any.length; j++) if (any[j]!.match!(facts)) return any[j]!;
      return undefined;
    }
    let i = 0;
    let j = 0;
    while (i < bucket.length && j < any.length) {
      if (bucket[i]!.order < any[j]!.order) {
        const b = bucket[i++]!;
        if (b.match === null || b.match(facts)) return b;
      } else if (any[j]!.match!(facts)) return any[j]!;
      else j++;
    }
    for (; i < bucket.length; i++) {
      const b = bucket[i]!;
      if (b.match === null || b.match(facts)) return b;
    }
    for (; j < any.length; j++) if (any[j]!.match!(facts)) return any[j]!;
    return undefined;
  }

  /** Routes in matching order, with their effective priority (for the API and debugging). */
  routes(): Array<{ name: string; priority: number }> {
    return this.ordered.map((r) => ({ name: r.name, priority: r.priority }));
  }

  /** How many routes a lookup for this host may have to test (its bucket plus the shared list). */
  candidatesFor(host: string): number {
    return (this.byHost.get(host)?.length ?? 0) + this.anyHost.length;
  }
}

/** Traefik's default priority: the rule's length (Go's len, i.e. UTF-8 bytes). */
export function defaultPriority(rule: string): number {
  return Buffer.byteLength(rule, 'utf8');
}

/** Parse and compile every route; invalid ones are reported and left out. */
export function buildRouteTable<T>(defs: ReadonlyArray<RouteDefinition<T>>): { table: RouteTable<T>; errors: RouteError[] } {
  const errors: RouteError[] = [];
  const routes: CompiledRouteInput<T>[] = [];
  for (const d of defs) {
    try {
      const ast = parseRule(d.rule);
      const hosts = hostsOfAst(ast);
      if (hosts === undefined) {
        routes.push({ name: d.name, priority: d.priority || defaultPriority(d.rule), match: compileRule(ast), hosts, value: d.value });
        continue;
      }
      // Host-limited routes are only ever tested from their hosts' buckets, through the per-host
      // compilation; the generic matcher is compiled only if someone asks for it.
      let generic: RuleMatcher | undefined;
      routes.push({
        name: d.name,
        priority: d.priority || defaultPriority(d.rule),
        match: (f) => (generic ??= compileRule(ast))(f),
        hosts,
        matchForHost: (h) => compileRuleForHost(ast, h),
        value: d.value,
      });
    } catch (err) {
      if (err instanceof RuleSyntaxError) errors.push({ name: d.name, message: err.message, column: err.column });
      else errors.push({ name: d.name, message: (err as Error).message });
    }
  }
  return { table: new RouteTable(routes), errors };
}
