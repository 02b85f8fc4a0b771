import { describe, expect, test } from 'vitest';
import { parseCondition, type BreakerMetrics } from '../../../src/middleware/circuit-breaker/expression.js';
import { RollingMetrics } from '../../../src/middleware/circuit-breaker/rolling-metrics.js';
import { problems } from '../support/compile.js';

const fixed = (net: number, ratio: number, latency: number): BreakerMetrics & { calls: unknown[][] } => {
  const calls: unknown[][] = [];
  return {
    calls,
    networkErrorRatio: () => net,
    responseCodeRatio: (...a) => (calls.push(['rc', ...a]), ratio),
    latencyAtQuantileMs: (q) => (calls.push(['lat', q]), latency),
  };
};

describe('circuit breaker expression', () => {
  test('comparisons, && binding tighter than ||, parentheses, arguments passed through', () => {
    expect(parseCondition('NetworkErrorRatio() > 0.5')(fixed(0.6, 0, 0))).toBe(true);
    expect(parseCondition('NetworkErrorRatio() > 0.5')(fixed(0.5, 0, 0))).toBe(false);
    expect(parseCondition('NetworkErrorRatio() >= 0.5')(fixed(0.5, 0, 0))).toBe(true);
    const m = fixed(0, 0.3, 120);
    expect(parseCondition('ResponseCodeRatio(500, 600, 0, 600) > 0.25 && LatencyAtQuantileMS(50.0) > 100')(m)).toBe(true);
    expect(m.calls).toEqual([
      ['rc', 500, 600, 0, 600],
      ['lat', 50],
    ]);
    // a || b && c is a || (b && c): true here; (a || b) && c would be false.
    expect(parseCondition('NetworkErrorRatio() > 0 || LatencyAtQuantileMS(50) > 100 && ResponseCodeRatio(500,600,0,600) < 0')(fixed(0.1, 0.3, 120))).toBe(true);
    expect(parseCondition('(NetworkErrorRatio() > 0 || LatencyAtQuantileMS(50) > 100) && ResponseCodeRatio(500,600,0,600) < 0')(fixed(0.1, 0.3, 120))).toBe(
      false,
    );
    expect(
      parseCondition('LatencyAtQuantileMS(99) != 3 && LatencyAtQuantileMS(99) <= 120 && LatencyAtQuantileMS(99) == 120 && LatencyAtQuantileMS(99) < 121')(
        fixed(0, 0, 120),
      ),
    ).toBe(true);
  });

  test('mistakes are errors that say what and where', () => {
    expect(() => parseCondition('')).toThrow('empty expression');
    expect(() => parseCondition('NetworkErrorRatio > 0.5')).toThrow('expected "(", found ">" at offset 18');
    expect(() => parseCondition('Latency(50) > 1')).toThrow(/unknown function "Latency"/);
    expect(() => parseCondition('ResponseCodeRatio(500, 600) > 0.5')).toThrow('ResponseCodeRatio takes 4 arguments, got 2');
    expect(() => parseCondition('NetworkErrorRatio() 0.5')).toThrow(/expected a comparison/);
    expect(() => parseCondition('NetworkErrorRatio() > 0.5 &')).toThrow(/unexpected "&"/);
    expect(() => parseCondition('NetworkErrorRatio() > 0.5 NetworkErrorRatio() > 1')).toThrow(/expected && or \|\|/);
    expect(() => parseCondition('(NetworkErrorRatio() > 0.5')).toThrow('expected ")" at the end of the expression');
    expect(problems('circuitBreaker', { expression: 'Nope() > 1' })[0]).toMatch(/^http\.middlewares\.m\.circuitBreaker\.expression: unknown function "Nope"/);
    expect(problems('circuitBreaker', { expression: 'NetworkErrorRatio() > 1', checkPeriod: 'soon' })[0]).toMatch(/checkPeriod: .*cannot parse "soon"/);
    expect(problems('circuitBreaker', {})).toEqual(['http.middlewares.m.circuitBreaker.expression: is required']);
  });
});

describe('rolling metrics', () => {
  test('ratios and quantiles over the last ten seconds only', () => {
    let now = 100_000;
    const m = new RollingMetrics(() => now);
    for (const [status, ms] of [
      [200, 10],
      [200, 20],
      [500, 30],
      [502, 40],
      [504, 50],
    ] as const)
      m.record(status, ms);
    expect(m.networkErrorRatio()).toBeCloseTo(0.4);
    expect(m.responseCodeRatio(500, 600, 0, 600)).toBeCloseTo(0.6);
    expect(m.responseCodeRatio(500, 600, 700, 800)).toBe(0);
    expect(m.latencyAtQuantileMs(50)).toBe(30);
    expect(m.latencyAtQuantileMs(100)).toBe(50);
    now += 9_000;
    m.record(200, 5);
    expect(m.networkErrorRatio()).toBeCloseTo(2 / 6);
    now += 2_000; // the first second's results have left the window
    expect(m.networkErrorRatio()).toBe(0);
    expect(m.latencyAtQuantileMs(50)).toBe(5);
  });
});
