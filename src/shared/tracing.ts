/**
 * Traces (OpenTelemetry). Off unless configured (config.ts reads the standard OTEL_* variables):
 * then no SDK is loaded or started, the global API stays the no-op one and every helper here is
 * one boolean test. On (`startTracing`): a NodeTracerProvider from @opentelemetry/sdk-node with a
 * batch processor and the OTLP/HTTP exporter (JSON) to the configured URL, registered globally
 * with the AsyncLocalStorage context manager and the W3C trace-context propagator, so spans
 * started in an async continuation nest under the one active there (the HTTP request span of
 * server/tracing.ts, the operation, the mutation's transaction) and logs (logger.ts) carry the
 * active span's ids.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from "@opentelemetry/api";

export interface TracingConfig {
  /** Full OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces. */
  tracesUrl: string;
  serviceName: string;
  /** Extra export headers (OTEL_EXPORTER_OTLP_HEADERS / _TRACES_HEADERS). */
  headers?: Record<string, string>;
}

export interface Tracing {
  /** Exports every span ended so far. */
  forceFlush(): Promise<void>;
  /** Flushes, stops the provider and gives back the global API (no-op again). */
  shutdown(): Promise<void>;
}

let tracer: Tracer | undefined;

/** True while a provider started by `startTracing` is registered. */
export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

/** Starts the SDK and registers it globally (one at a time per process). */
export async function startTracing(c: TracingConfig): Promise<Tracing> {
  if (tracer) throw new Error("tracing is already started");
  // Loaded only when configured: with tracing off none of the SDK is even imported.
  const [{ node, resources }, { OTLPTraceExporter }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
  ]);
  const exporter = new OTLPTraceExporter({ url: c.tracesUrl, headers: c.headers });
  const provider = new node.NodeTracerProvider({
    resource: resources.defaultResource().merge(resources.resourceFromAttributes({ "service.name": c.serviceName })),
    spanProcessors: [new node.BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  provider.register();
  tracer = trace.getTracer("julo-lending-gateway");
  let stopped = false;
  return {
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      if (stopped) return;
      stopped = true;
      tracer = undefined;
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}

function endWith(span: Span, err: unknown): void {
  if (err !== undefined) {
    span.recordException(err instanceof Error ? { name: err.name, message: err.message } : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}

/**
 * `fn` inside a span (active for everything it starts, sync or async) ended when `fn` returns or
 * its promise settles; errors set the span's status. Tracing off: just `fn(undefined)`.
 */
export function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span | undefined) => T, kind: SpanKind = SpanKind.INTERNAL): T {
  if (!tracer) return fn(undefined);
  return tracer.startActiveSpan(name, { kind, attributes }, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (err) {
      endWith(span, err);
      throw err;
    }
    if (result instanceof Promise) {
      return result.then(
        (v) => {
          endWith(span, undefined);
          return v;
        },
        (err) => {
          endWith(span, err);
          throw err;
        },
      ) as T;
    }
    endWith(span, undefined);
    return result;
  });
}

/** A child of the active span, not made active (Apollo's parse/validate/execute hooks); ended by the caller. */
export function startSpan(name: string, attributes: Attributes = {}): { end(err?: unknown): void } | undefined {
  if (!tracer) return undefined;
  const span = tracer.startSpan(name, { attributes });
  return { end: (err) => endWith(span, err ?? undefined) };
}

/**
 * An HTTP server request span continuing the caller's W3C `traceparent` (and `tracestate`),
 * active while `fn` runs; `status()` gives the response status once `fn` is done.
 */
export async function withServerSpan(name: string, headers: Record<string, unknown>, attributes: Attributes, fn: () => Promise<void>, status: () => number): Promise<void> {
  if (!tracer) return fn();
  const parent = propagation.extract(context.active(), headers);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  try {
    await context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    endWith(span, err);
    throw err;
  }
  const code = status();
  span.setAttribute("http.response.status_code", code);
  if (code >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** The SQL statement's first keyword (SELECT, INSERT, …) for the span name. */
export function sqlOperation(statement: string): string {
  const m = /^\s*(?:\(\s*)*([A-Za-z]+)/.exec(statement);
  return m ? m[1]!.toUpperCase() : "SQL";
}

/**
 * A span per SQL statement: its text (placeholders, never the values) on db.statement. Only
 * under a span (a request, an operation, a transaction, a delivery): the event bus's polls and
 * other background statements would otherwise each be a trace of their own.
 */
export function withStatementSpan<T>(statement: string, fn: () => Promise<T>): Promise<T> {
  if (!tracer || !trace.getActiveSpan()) return fn();
  const op = sqlOperation(statement);
  return withSpan(
    op,
    { "db.system": "postgresql", "db.system.name": "postgresql", "db.operation.name": op, "db.statement": statement, "db.query.text": statement },
    fn,
    SpanKind.CLIENT,
  );
}

export { SpanKind };
