/**
 * A Prometheus metric family whose values are read only when it is scraped,
 * from numbers the hot path keeps as plain fields. The registry renders any
 * object of this shape: it is what its own Counter/Histogram return from get().
 */
import type { Metric } from 'prom-client';

export interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  /** For histogram parts: `<name>_bucket`, `_sum`, `_count`. */
  metricName?: string;
}

/**
 * `aggregator` is how the primary combines the workers' values (`workers: N`): `sum` for what each worker
 * counts on its own, `max` for what every worker knows alike (config reloads, certificates, server health).
 */
export function scrapeTimeMetric(
  name: string,
  help: string,
  type: 'counter' | 'gauge' | 'histogram',
  values: () => MetricValue[],
  aggregator: 'sum' | 'max' = 'sum',
): Metric {
  const metric = {
    name,
    help,
    type,
    aggregator,
    get: async () => ({ name, help, type, values: values(), aggregator }),
    reset: () => undefined,
  };
  return metric as unknown as Metric;
}
