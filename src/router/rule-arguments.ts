/**
 * Checks of matcher arguments, done at parse time so that a rule that parses
 * is a rule that compiles, and errors point at the argument's column.
 * Mirrors what Traefik v3 refuses (non-ASCII hosts, paths not starting with
 * `/`, invalid regexps and IP ranges) and adds refusals for arguments that
 * could never match a request here (a Host with a port, a Path that request
 * normalisation would rewrite).
 */
import type { MatcherNode, TcpMatcherNode } from './rule-ast.js';
import { RuleSyntaxError } from './rule-syntax-error.js';
import { compileGoRegexp, GoRegexpError } from './go-regexp.js';
import { canonicalPathEncoding, normalizeOriginPath } from './normalize-path.js';
import { isIpAddress, parseIpRange } from '../net/ip-range.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The host a Host(...) argument stands for, as RequestFacts carry hosts: lower-case, no trailing dot, no brackets. */
export function ruleHost(arg: string): string {
  let h = arg.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** A Path/PathPrefix argument in the encoding request paths are normalised to (`/café` → `/caf%C3%A9`). */
export function rulePath(arg: string): string {
  const enc = canonicalPathEncoding(arg.replaceAll(' ', '%20'), 'unicode');
  return enc.ok ? enc.path : arg;
}

/** Compile a Go regexp argument; errors carry the column inside the rule. */
export function ruleRegexp(source: string, argColumn: number, matcher: string): RegExp {
  try {
    return compileGoRegexp(source);
  } catch (err) {
    const e = err as GoRegexpError;
    throw new RuleSyntaxError(`${matcher}: ${e.message}`, argColumn + 1 + (e instanceof GoRegexpError ? e.offset : 0));
  }
}

function nonAscii(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7e) return i;
  return -1;
}

export function checkMatcherArguments(node: MatcherNode): void {
  const { name, args, argColumns } = node;
  const fail: (reason: string, argIndex: number, offset?: number) => never = (reason, argIndex, offset = 0) => {
    throw new RuleSyntaxError(`${name}: ${reason}`, argColumns[argIndex]! + offset);
  };
  const a = args[0]!;
  switch (name) {
    case 'Host': {
      if (!a) fail('the domain is empty', 0);
      const bad = nonAscii(a);
      if (bad >= 0) fail(`non-ASCII characters are not allowed in "${a}": write the domain in punycode (xn--…)`, 0, bad + 1);
      const h = ruleHost(a);
      if (!h) fail('the domain is empty', 0);
      const unsafe = /[\s/\\?#@]/.exec(h);
      if (unsafe) fail(`"${a}" is not a domain (found "${unsafe[0]}")`, 0, unsafe.index + 1);
      if (h.includes(':') && !isIpAddress(h))
        fail(`"${a}" has a port or is not a domain; request hosts are compared without their port, so write Host(\`${h.slice(0, h.lastIndexOf(':'))}\`)`, 0);
      return;
    }
    case 'HostRegexp': {
      const bad = nonAscii(a);
      if (bad >= 0) fail('non-ASCII characters are not allowed: write the domain in punycode (xn--…)', 0, bad + 1);
      ruleRegexp(a, argColumns[0]!, name);
      return;
    }
    case 'Path':
    case 'PathPrefix': {
      if (!a.startsWith('/')) fail(`path "${a}" must start with "/"`, 0);
      if (a.includes('?')) fail(`"${a}" contains "?": match the query with Query(...)`, 0, a.indexOf('?') + 1);
      // Rules are written decoded, as in Traefik: a space stands for %20.
      const canon = canonicalPathEncoding(a.replaceAll(' ', '%20'), 'unicode');
      if (!canon.ok) fail(`"${a}" can never match: ${canon.reason} (such requests are answered 400)`, 0);
      // A prefix may end inside a segment (`/a/..` is a prefix of `/a/..x`): check its complete segments only.
      const whole = name === 'Path' ? canon.path : canon.path.slice(0, canon.path.lastIndexOf('/') + 1);
      const norm = normalizeOriginPath(whole);
      if (!norm.ok || norm.path !== whole)
        fail(`"${a}" can never match: request paths are normalised (dot segments resolved, "//" collapsed)${norm.ok ? `, e.g. to "${norm.path}"` : ''}`, 0);
      return;
    }
    case 'PathRegexp':
      ruleRegexp(a, argColumns[0]!, name);
      return;
    case 'Method':
      if (!TOKEN.test(a)) fail(`"${a}" is not an HTTP method`, 0);
      return;
    case 'Header':
    case 'HeaderRegexp':
      if (!TOKEN.test(a)) fail(`"${a}" is not a header name`, 0);
      if (name === 'HeaderRegexp') ruleRegexp(args[1]!, argColumns[1]!, name);
      return;
    case 'Query':
      return;
    case 'QueryRegexp':
      if (args.length === 2) ruleRegexp(args[1]!, argColumns[1]!, name);
      return;
    case 'ClientIP':
      try {
        parseIpRange(a);
      } catch (err) {
        fail((err as Error).message, 0);
      }
      return;
  }
}

/** TCP router matchers: as Traefik v3 checks them (HostSNI is a domain, `*`, or an IP; ALPN is not acme-tls/1, which Portico keeps for itself). */
export function checkTcpMatcherArguments(node: TcpMatcherNode): void {
  const { name, args, argColumns } = node;
  const a = args[0]!;
  const fail = (reason: string): never => {
    throw new RuleSyntaxError(`${name}: ${reason}`, argColumns[0]!);
  };
  switch (name) {
    case 'HostSNI': {
      if (!a) fail('the domain is empty (HostSNI(`*`) matches every connection)');
      if (nonAscii(a) >= 0) fail(`non-ASCII characters are not allowed in "${a}": write the domain in punycode (xn--…)`);
      if (a !== '*' && !/^[a-z0-9*._-]+$/i.test(a) && !isIpAddress(a)) fail(`"${a}" is not a domain name`);
      return;
    }
    case 'HostSNIRegexp':
      if (nonAscii(a) >= 0) fail('non-ASCII characters are not allowed: write the domain in punycode (xn--…)');
      ruleRegexp(a, argColumns[0]!, name);
      return;
    case 'ALPN':
      if (!a) fail('the protocol is empty');
      if (a === 'acme-tls/1') fail('acme-tls/1 is reserved for ACME TLS-ALPN challenges');
      return;
    case 'ClientIP':
      try {
        parseIpRange(a);
      } catch (err) {
        fail((err as Error).message);
      }
      return;
  }
}
