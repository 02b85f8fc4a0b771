/** The parsed form of a Traefik v3 rule. */
export type MatcherName =
  | 'Host'
  | 'HostRegexp'
  | 'Path'
  | 'PathPrefix'
  | 'PathRegexp'
  | 'Method'
  | 'Header'
  | 'HeaderRegexp'
  | 'Query'
  | 'QueryRegexp'
  | 'ClientIP';

export type RuleNode =
  | { kind: 'matcher'; name: MatcherName; args: string[]; column: number }
  | { kind: 'and' | 'or'; left: RuleNode; right: RuleNode }
  | { kind: 'not'; operand: RuleNode };

/** Arity of each matcher in Traefik v3: [min, max] arguments. */
export const MATCHER_ARITY: Record<MatcherName, [number, number]> = {
  Host: [1, 1],
  HostRegexp: [1, 1],
  Path: [1, 1],
  PathPrefix: [1, 1],
  PathRegexp: [1, 1],
  Method: [1, 1],
  Header: [2, 2],
  HeaderRegexp: [2, 2],
  Query: [1, 2],
  QueryRegexp: [2, 2],
  ClientIP: [1, 1],
};
