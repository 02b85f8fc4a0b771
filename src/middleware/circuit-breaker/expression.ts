/**
 * Traefik's circuit breaker expression: metric calls compared with numbers,
 * joined by `&&` and `||` (`&&` binds tighter), with parentheses:
 *
 *   NetworkErrorRatio() > 0.5 || ResponseCodeRatio(500, 600, 0, 600) > 0.25
 *   LatencyAtQuantileMS(50.0) > 100 && NetworkErrorRatio() > 0.1
 *
 * Parsed once into a function of the current metrics.
 */
export interface BreakerMetrics {
  /** Share of requests that ended in a network error (502/504 from the proxy). */
  networkErrorRatio(): number;
  /** Requests with a status in [from, to) divided by those in [dividendFrom, dividendTo); 0 when the divisor is 0. */
  responseCodeRatio(from: number, to: number, dividendFrom: number, dividendTo: number): number;
  /** Latency in milliseconds at this quantile (0–100). */
  latencyAtQuantileMs(quantile: number): number;
}

export type Condition = (metrics: BreakerMetrics) => boolean;

type Token = { kind: 'name' | 'number' | 'op' | 'punct'; text: string; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(-?\d+(?:\.\d+)?)|(&&|\|\||>=|<=|==|!=|>|<)|([(),]))/y;
  let at = 0;
  while (at < source.length) {
    if (/^\s*$/.test(source.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(source);
    if (!m) throw new Error(`unexpected "${source.slice(at).trim()[0]}" at offset ${at}`);
    const start = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? m[4]!).length;
    if (m[1]) tokens.push({ kind: 'name', text: m[1], at: start });
    else if (m[2]) tokens.push({ kind: 'number', text: m[2], at: start });
    else if (m[3]) tokens.push({ kind: 'op', text: m[3], at: start });
    else tokens.push({ kind: 'punct', text: m[4]!, at: start });
    at = re.lastIndex;
  }
  return tokens;
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

const METRICS: Record<string, { arity: number; read: (m: BreakerMetrics, args: number[]) => number }> = {
  NetworkErrorRatio: { arity: 0, read: (m) => m.networkErrorRatio() },
  ResponseCodeRatio: { arity: 4, read: (m, a) => m.responseCodeRatio(a[0]!, a[1]!, a[2]!, a[3]!) },
  LatencyAtQuantileMS: { arity: 1, read: (m, a) => m.latencyAtQuantileMs(a[0]!) },
};

/** Parse an expression; throws with a message naming what is wrong and where. */
export function parseCondition(source: string): Condition {
  const tokens = tokenize(source);
  let i = 0;
  const peek = () => tokens[i];
  const fail = (what: string): never => {
    const t = peek();
    throw new Error(t ? `${what}, found "${t.text}" at offset ${t.at}` : `${what} at the end of the expression`);
  };
  const expect = (text: string) => (peek()?.text === text ? i++ : fail(`expected "${text}"`));

  const number = (): number => (peek()?.kind === 'number' ? Number(tokens[i++]!.text) : fail('expected a number'));

  const comparison = (): Condition => {
    if (peek()?.text === '(') {
      i++;
      const inner = or();
      expect(')');
      return inner;
    }
    const name = peek()?.kind === 'name' ? tokens[i++]!.text : fail('expected NetworkErrorRatio(), ResponseCodeRatio(…) or LatencyAtQuantileMS(…)');
    const metric = METRICS[name];
    if (!metric)
      throw new Error(
        `unknown function "${name}": use NetworkErrorRatio(), ResponseCodeRatio(from, to, dividendFrom, dividendTo) or LatencyAtQuantileMS(quantile)`,
      );
    expect('(');
    const args: number[] = [];
    while (peek()?.text !== ')') {
      if (args.length) expect(',');
      args.push(number());
    }
    expect(')');
    if (args.length !== metric.arity) throw new Error(`${name} takes ${metric.arity} argument${metric.arity === 1 ? '' : 's'}, got ${args.length}`);
    const op = peek()?.kind === 'op' && COMPARE[peek()!.text] ? tokens[i++]!.text : fail('expected a comparison (>, <, >=, <=, ==, !=)');
    const threshold = number();
    const compare = COMPARE[op]!;
    return (m) => compare(metric.read(m, args), threshold);
  };

  /** operand (op operand)*, folded left with `join`. */
  const sequence = (op: string, operand: () => Condition, join: (l: Condition, r: Condition) => Condition) => (): Condition => {
    let left = operand();
    while (peek()?.text === op) {
      i++;
      left = join(left, operand());
    }
    return left;
  };
  const and = sequence('&&', comparison, (l, r) => (m) => l(m) && r(m));
  const or: () => Condition = sequence('||', and, (l, r) => (m) => l(m) || r(m));

  if (!tokens.length) throw new Error('empty expression');
  const condition = or();
  if (i < tokens.length) fail('expected && or ||');
  return condition;
}
