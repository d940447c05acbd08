import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { MongooseInstrumentation } from '@opentelemetry/instrumentation-mongoose';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { markTracingActive } from '../../core/tracing';
import type { TelemetrySettings } from '../../core/telemetry-settings';
import { packageVersion } from '../../core/version';

/** The span exporter the settings name. */
function exporterOf(settings: TelemetrySettings): SpanExporter {
  if (settings.exporter === 'console') return new ConsoleSpanExporter();
  const options = settings.tracesUrl ? { url: settings.tracesUrl } : {};
  return settings.protocol === 'grpc' ? new OtlpGrpcExporter(options) : new OtlpProtoExporter(options);
}

/**
 * Starts OpenTelemetry's Node SDK: the maintained instrumentations of the packages the server
 * uses, W3C trace context (the SDK's default propagator, so a caller's `traceparent` is
 * continued), the sampler of `OTEL_TRACES_SAMPLER` (default parent-based always-on), and the
 * configured exporter behind a batch processor. Returns the SDK's shutdown (flushes pending spans).
 */
export function startTracing(settings: TelemetrySettings): () => Promise<void> {
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName, 'service.version': packageVersion() }),
    spanProcessors: [new BatchSpanProcessor(exporterOf(settings))],
    instrumentations: [
      new HttpInstrumentation({
        // Probes and metrics scrapes would drown the traces that matter.
        ignoreIncomingRequestHook: (req) => /^\/(?:healthz|readyz|metrics)(?:\?|$)/.test(req.url ?? ''),
      }),
      new ExpressInstrumentation(),
      new GraphQLInstrumentation({ mergeItems: true, ignoreTrivialResolveSpans: true }),
      new MongoDBInstrumentation(),
      new MongooseInstrumentation(),
      new IORedisInstrumentation(),
    ],
    // Traces only: no metrics or logs pipelines (Prometheus serves metrics at /metrics).
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  markTracingActive();
  return () => sdk.shutdown();
}
