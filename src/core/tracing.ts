import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/*
 * Manual spans (docs/opentelemetry.md#trace-the-server). The OpenTelemetry API is a no-op until
 * an SDK registers itself, but even a no-op span costs a few allocations per call; with tracing
 * off (the default, src/app/telemetry/preload.ts never loads the SDK) every helper here runs the
 * wrapped function directly.
 */

let active = false;

/** Called once by the preload after the SDK started: from then on the helpers record spans. */
export function markTracingActive(): void {
  active = true;
}

/** Whether spans are recorded in this process. */
export function tracingActive(): boolean {
  return active;
}

const tracer = () => trace.getTracer('lab-events');

/** Options of a manual span. */
export interface SpanOptions {
  attributes?: Attributes;
  kind?: SpanKind;
}

/** Marks a span failed with `error`. */
function fail(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Runs `fn` inside a span named `name` (a child of the active span), ended when `fn` returns or,
 * when it returns a promise, when that settles; an error marks the span failed and is rethrown.
 * Without tracing, just `fn()`.
 */
export function traced<T>(name: string, options: SpanOptions, fn: () => T): T {
  if (!active) return fn();
  const spanOptions = { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes };
  return tracer().startActiveSpan(name, spanOptions, (span): T => {
    let result: T;
    try {
      result = fn();
    } catch (error) {
      fail(span, error);
      span.end();
      throw error;
    }
    if (!(result instanceof Promise)) {
      span.end();
      return result;
    }
    return result.then(
      (value: unknown) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        fail(span, error);
        span.end();
        throw error;
      },
    ) as T;
  });
}

/**
 * The trace and span ids of the span active here (hex, as W3C `traceparent` writes them), or null
 * when tracing is off or no sampled span is active: what an event logged here is stamped with.
 */
export function activeTraceIds(): { traceId: string; spanId: string } | null {
  if (!active) return null;
  const span = trace.getSpan(context.active());
  if (!span) return null;
  const { traceId, spanId, traceFlags } = span.spanContext();
  // Only sampled spans reach a backend: an id of a dropped span leads nowhere.
  if ((traceFlags & 1) === 0 || !trace.isSpanContextValid(span.spanContext())) return null;
  return { traceId, spanId };
}

export { SpanKind };
