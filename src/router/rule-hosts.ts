/**
 * The exact hosts a rule can only ever match, or undefined when it is not
 * limited to a fixed set. Used to index routes by host and to pick TLS
 * options per SNI.
 *
 * - `Host(a)` → {a}; HostRegexp and every other matcher → unconstrained;
 * - `x && y` → the intersection when both sides are constrained, else the
 *   constrained side (an empty set: the rule can never match);
 * - `x || y` → the union when both sides are constrained, else unconstrained;
 * - `!x` → unconstrained, except `!!x`, which is x.
 */
import type { RuleNode } from './rule-ast.js';
import { parseRule } from './rule-parser.js';
import { ruleHost } from './rule-arguments.js';

export function hostsOfAst(node: RuleNode): Set<string> | undefined {
  switch (node.kind) {
    case 'matcher':
      return node.name === 'Host' ? new Set([ruleHost(node.args[0]!)]) : undefined;
    case 'not':
      return node.operand.kind === 'not' ? hostsOfAst(node.operand.operand) : undefined;
    case 'and': {
      const l = hostsOfAst(node.left);
      const r = hostsOfAst(node.right);
      if (l && r) return new Set([...l].filter((h) => r.has(h)));
      return l ?? r;
    }
    case 'or': {
      const l = hostsOfAst(node.left);
      const r = hostsOfAst(node.right);
      return l && r ? new Set([...l, ...r]) : undefined;
    }
  }
}

/** Hosts of a rule string (see hostsOfAst); throws RuleSyntaxError when the rule does not parse. */
export function hostsOfRule(rule: string): string[] | undefined {
  const hosts = hostsOfAst(parseRule(rule));
  return hosts ? [...hosts] : undefined;
}
