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

export interface MatcherNode {
  kind: 'matcher';
  name: MatcherName;
  /** Argument values, Go string literals already unquoted. */
  args: string[];
  /** 1-based column of the matcher name. */
  column: number;
  /** 1-based column of each argument's opening quote. */
  argColumns: number[];
}

export type RuleNode = MatcherNode | { kind: 'and' | 'or'; left: RuleNode; right: RuleNode } | { kind: 'not'; operand: RuleNode };

/** How many arguments each matcher takes in Traefik v3: [min, max]. */
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
  QueryRegexp: [1, 2],
  ClientIP: [1, 1],
};

/** Traefik v2 spellings that v3 renamed, so the error can say what to write instead. */
export const V2_MATCHERS: Record<string, string> = {
  Headers: 'Header',
  HeadersRegexp: 'HeaderRegexp',
  HostHeader: 'Host',
};
