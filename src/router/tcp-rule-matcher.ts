/**
 * TCP router rules (Traefik v3): HostSNI, HostSNIRegexp, ClientIP and ALPN,
 * combined with &&, || and !, compiled once into a predicate over what is
 * known of a connection before any byte of it is forwarded: the ClientHello's
 * server name and ALPN offer (TLS connections) and the client address.
 */
import type { TcpMatcherNode, TcpRuleNode } from './rule-ast.js';
import { parseTcpRule } from './rule-parser.js';
import { ruleRegexp } from './rule-arguments.js';
import { IpRangeSet } from '../net/ip-range.js';
import { RuleSyntaxError } from './rule-syntax-error.js';

export interface TcpConnectionFacts {
  /** The ClientHello's server name (lower-case); undefined in clear or without SNI. */
  serverName: string | undefined;
  /** ALPN protocols the client offered; empty in clear. */
  alpn: readonly string[];
  clientIp: string;
}

export type TcpRuleMatcher = (facts: TcpConnectionFacts) => boolean;

/** Parse and compile; `tls`: whether the router matches TLS connections (only HostSNI(`*`) can match clear ones, as in Traefik). Throws RuleSyntaxError. */
export function compileTcpRule(rule: string, tls: boolean): TcpRuleMatcher {
  const ast = parseTcpRule(rule);
  if (!tls) {
    const named = findMatcher(ast, (m) => (m.name === 'HostSNI' && m.args[0] !== '*') || m.name === 'HostSNIRegexp' || m.name === 'ALPN');
    if (named)
      throw new RuleSyntaxError(`${named.name} needs TLS (a router without tls sees no server name or ALPN): use HostSNI(\`*\`), or add tls`, named.column);
  }
  return compile(ast);
}

function findMatcher(node: TcpRuleNode, test: (m: TcpMatcherNode) => boolean): TcpMatcherNode | undefined {
  if (node.kind === 'matcher') return test(node) ? node : undefined;
  if (node.kind === 'not') return findMatcher(node.operand, test);
  return findMatcher(node.left, test) ?? findMatcher(node.right, test);
}

function compile(node: TcpRuleNode): TcpRuleMatcher {
  switch (node.kind) {
    case 'and': {
      const l = compile(node.left);
      const r = compile(node.right);
      return (f) => l(f) && r(f);
    }
    case 'or': {
      const l = compile(node.left);
      const r = compile(node.right);
      return (f) => l(f) || r(f);
    }
    case 'not': {
      const o = compile(node.operand);
      return (f) => !o(f);
    }
    case 'matcher':
      return compileMatcher(node);
  }
}

function compileMatcher(node: TcpMatcherNode): TcpRuleMatcher {
  const a = node.args[0]!;
  switch (node.name) {
    case 'HostSNI': {
      if (a === '*') return () => true;
      const name = a.toLowerCase().replace(/\.$/, '');
      return (f) => f.serverName === name;
    }
    case 'HostSNIRegexp': {
      const re = ruleRegexp(a, node.argColumns[0]!, node.name);
      return (f) => f.serverName !== undefined && re.test(f.serverName);
    }
    case 'ALPN':
      return (f) => f.alpn.includes(a);
    case 'ClientIP': {
      const set = new IpRangeSet([a]);
      return (f) => set.contains(f.clientIp);
    }
  }
}
