/**
 * An immutable, host-indexed table of compiled routes for one entrypoint.
 * Routes are ordered by priority (default: rule length), ties by name. A route
 * limited to fixed hosts lives in those hosts' buckets; the others in a shared
 * list. A lookup merges the request host's bucket with the shared list in
 * order, so 10,000 host routes cost about what 10 do.
 */
import type { RequestFacts } from './request-facts.js';
import { parseRule, RuleSyntaxError } from './rule-parser.js';
import { compileRule, type RuleMatcher } from './rule-matcher.js';
import { hostsOfAst } from './rule-hosts.js';

export interface RouteDefinition<T> {
  name: string;
  rule: string;
  priority?: number;
  value: T;
}

export interface RouteError {
  name: string;
  message: string;
  column?: number;
}

interface CompiledRoute<T> {
  name: string;
  order: number;
  match: RuleMatcher;
  value: T;
}

export class RouteTable<T> {
  private readonly byHost = new Map<string, CompiledRoute<T>[]>();
  private readonly anyHost: CompiledRoute<T>[] = [];
  readonly size: number;

  constructor(routes: Array<{ name: string; priority: number; match: RuleMatcher; hosts: Set<string> | undefined; value: T }>) {
    const sorted = [...routes].sort((x, y) => y.priority - x.priority || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    sorted.forEach((r, order) => {
      const c: CompiledRoute<T> = { name: r.name, order, match: r.match, value: r.value };
      if (!r.hosts) this.anyHost.push(c);
      else
        for (const h of r.hosts) {
          const bucket = this.byHost.get(h);
          if (bucket) bucket.push(c);
          else this.byHost.set(h, [c]);
        }
    });
    this.size = sorted.length;
  }

  match(facts: RequestFacts): { name: string; value: T } | undefined {
    const bucket = this.byHost.get(facts.host);
    const any = this.anyHost;
    if (!bucket) {
      for (let i = 0; i < any.length; i++) if (any[i]!.match(facts)) return any[i]!;
      return undefined;
    }
    let i = 0;
    let j = 0;
    while (i < bucket.length || j < any.length) {
      const next = j >= any.length || (i < bucket.length && bucket[i]!.order < any[j]!.order) ? bucket[i++]! : any[j++]!;
      if (next.match(facts)) return next;
    }
    return undefined;
  }
}

/** Parse and compile every route; invalid ones are reported and left out. */
export function buildRouteTable<T>(defs: ReadonlyArray<RouteDefinition<T>>): { table: RouteTable<T>; errors: RouteError[] } {
  const errors: RouteError[] = [];
  const routes: ConstructorParameters<typeof RouteTable<T>>[0] = [];
  for (const d of defs) {
    try {
      const ast = parseRule(d.rule);
      routes.push({ name: d.name, priority: d.priority ?? d.rule.length, match: compileRule(ast), hosts: hostsOfAst(ast), value: d.value });
    } catch (err) {
      if (err instanceof RuleSyntaxError) errors.push({ name: d.name, message: err.message, column: err.column });
      else errors.push({ name: d.name, message: (err as Error).message });
    }
  }
  return { table: new RouteTable(routes), errors };
}
