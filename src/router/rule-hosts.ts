/**
 * The exact hosts a rule can only ever match, or undefined when it is not
 * limited to a fixed set (HostRegexp, `!`, or no host condition). Used to
 * index routes by host and to pick TLS options per SNI.
 */
import type { RuleNode } from './rule-ast.js';
import { parseRule } from './rule-parser.js';

export function hostsOfAst(node: RuleNode): Set<string> | undefined {
  switch (node.kind) {
    case 'matcher':
      return node.name === 'Host' ? new Set([node.args[0]!.toLowerCase().replace(/\.$/, '')]) : undefined;
    case 'not':
      return undefined;
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

export function hostsOfRule(rule: string): string[] | undefined {
  const hosts = hostsOfAst(parseRule(rule));
  return hosts ? [...hosts] : undefined;
}
