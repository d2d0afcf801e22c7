import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/**
 * OpenTelemetry tracing for one process: OTLP/HTTP export when OTEL_EXPORTER_OTLP_ENDPOINT is set,
 * nothing at all when it is not (the API's tracer stays the no-op one). Tests pass their own exporter.
 */
export interface Tracing {
  resource: Resource;
  /** The process's one span processor: workflow spans from the worker's sink go through it too, so they are batched like the rest. */
  processor: SpanProcessor;
  shutdown(): Promise<void>;
}

let installed: Tracing | undefined;

export function installTracing(serviceName: string, options: { env?: Record<string, string | undefined>; exporter?: SpanExporter } = {}): Tracing | undefined {
  if (installed) return installed;
  const endpoint = (options.env ?? process.env).OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!options.exporter && !endpoint) return undefined;
  // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS) itself, appending /v1/traces.
  const exporter = options.exporter ?? new OTLPTraceExporter();
  const resource = new Resource({ [ATTR_SERVICE_NAME]: serviceName });
  // A test's in-memory exporter sees each span at once; production batches.
  const processor = options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  installed = { resource, processor, shutdown: () => provider.shutdown() };
  return installed;
}

/** The tracing this process installed, if any (the worker exports workflow spans through it). */
export function currentTracing(): Tracing | undefined {
  return installed;
}
