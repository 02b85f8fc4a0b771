/** The parsed form of a Traefik v3 rule. */
export type MatcherName =
  'Host' | 'HostRegexp' | 'Path' | 'PathPrefix' | 'PathRegexp' | 'Method' | 'Header' | 'HeaderRegexp' | 'Query' | 'QueryRegexp' | 'ClientIP';

/** Traefik v3's TCP router matchers. */
export type TcpMatcherName = 'HostSNI' | 'HostSNIRegexp' | 'ClientIP' | 'ALPN';

export interface MatcherNodeOf<N extends string> {
  kind: 'matcher';
  name: N;
  /** Argument values, Go string literals already unquoted. */
  args: string[];
  /** 1-based column of the matcher name. */
  column: number;
  /** 1-based column of each argument's opening quote. */
  argColumns: number[];
}

export type MatcherNode = MatcherNodeOf<MatcherName>;
export type TcpMatcherNode = MatcherNodeOf<TcpMatcherName>;

/** A rule's tree over matchers of one kind (HTTP or TCP). */
export type RuleTree<M> = M | { kind: 'and' | 'or'; left: RuleTree<M>; right: RuleTree<M> } | { kind: 'not'; operand: RuleTree<M> };
export type RuleNode = RuleTree<MatcherNode>;
export type TcpRuleNode = RuleTree<TcpMatcherNode>;

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

export const TCP_MATCHER_ARITY: Record<TcpMatcherName, [number, number]> = {
  HostSNI: [1, 1],
  HostSNIRegexp: [1, 1],
  ClientIP: [1, 1],
  ALPN: [1, 1],
};

/** Traefik v2 spellings that v3 renamed, so the error can say what to write instead. */
export const V2_MATCHERS: Record<string, string> = {
  Headers: 'Header',
  HeadersRegexp: 'HeaderRegexp',
  HostHeader: 'Host',
};
