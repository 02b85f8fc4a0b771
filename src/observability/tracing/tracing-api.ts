/**
 * The OpenTelemetry modules tracing needs, imported only when `tracing` is
 * configured: with tracing off, nothing of OpenTelemetry is loaded.
 */
export type TracingApi = typeof import('@opentelemetry/api');

export interface TracingModules {
  api: TracingApi;
  core: typeof import('@opentelemetry/core');
  sdk: typeof import('@opentelemetry/sdk-trace-base');
  resources: typeof import('@opentelemetry/resources');
  exporter: typeof import('@opentelemetry/exporter-trace-otlp-http');
}

export async function loadTracingModules(): Promise<TracingModules> {
  const [api, core, sdk, resources, exporter] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  return { api, core, sdk, resources, exporter };
}
