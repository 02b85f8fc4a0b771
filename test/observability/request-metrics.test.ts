import { describe, expect, test } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS, RequestMetrics } from '../../src/observability/request-metrics.js';

describe('RequestMetrics', () => {
  test('renders exactly what prom-client Counter and Histogram render for the same observations', async () => {
    const ours = new Registry();
    const metrics = new RequestMetrics(ours);
    const reference = new Registry();
    const counter = new Counter({
      name: 'portico_entrypoint_requests_total',
      help: 'Requests handled, by entrypoint, protocol and status code',
      labelNames: ['entrypoint', 'protocol', 'code'],
      registers: [reference],
    });
    const histogram = new Histogram({
      name: 'portico_entrypoint_request_duration_seconds',
      help: 'Time from request head to response end',
      labelNames: ['entrypoint', 'protocol'],
      buckets: [...DURATION_BUCKETS],
      registers: [reference],
    });
    const samples: Array<[string, string, number, number]> = [
      ['websecure', 'HTTP/2.0', 200, 0.0004],
      ['websecure', 'HTTP/2.0', 200, 0.001], // on a bound: counted in le="0.001"
      ['websecure', 'HTTP/2.0', 404, 0.02],
      ['websecure', 'HTTP/1.1', 200, 7], // above every bound: only +Inf
      ['web', 'HTTP/1.1', 301, 0.3],
      ['websecure', 'HTTP/3.0', 502, 0.05],
    ];
    for (const [ep, protocol, code, seconds] of samples) {
      metrics.forEntryPoint(ep).record(protocol, code, seconds);
      counter.inc({ entrypoint: ep, protocol, code: String(code) });
      histogram.observe({ entrypoint: ep, protocol }, seconds);
    }
    const sortLines = (s: string) => s.split('\n').sort().join('\n');
    for (const name of ['portico_entrypoint_requests_total', 'portico_entrypoint_request_duration_seconds']) {
      expect(sortLines(await ours.getSingleMetricAsString(name))).toBe(sortLines(await reference.getSingleMetricAsString(name)));
    }
    const text = await ours.metrics();
    expect(text).toContain('portico_entrypoint_request_duration_seconds_bucket{le="0.001",entrypoint="websecure",protocol="HTTP/2.0"} 2');
    expect(text).toContain('portico_entrypoint_request_duration_seconds_count{entrypoint="websecure",protocol="HTTP/1.1"} 1');
    expect(text).toContain('portico_entrypoint_requests_total{entrypoint="websecure",protocol="HTTP/2.0",code="404"} 1');
  });

  test('nothing recorded: the families exist with no series', async () => {
    const r = new Registry();
    new RequestMetrics(r);
    expect(await r.metrics()).toContain('# TYPE portico_entrypoint_requests_total counter');
    expect(await r.metrics()).toContain('# TYPE portico_entrypoint_request_duration_seconds histogram');
  });
});
