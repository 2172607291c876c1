/**
 * The edge's trace spans (shared/tracing.ts; all no-ops with tracing off): the HTTP request span
 * continuing the caller's `traceparent` (http-routes.ts), and Apollo's parse / validate / execute
 * as children of the operation span graphql-execution.ts makes active around each operation.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApolloServerPlugin } from "@apollo/server";
import { trace } from "@opentelemetry/api";
import type { Context } from "../graphql/context.js";
import { startSpan, tracingEnabled, withServerSpan } from "../shared/tracing.js";

/** Routes named in span names as they are (any other path is named by the method alone). */
const NAMED_ROUTES = new Set(["/graphql", "/healthz", "/readyz", "/playground", "/dashboard"]);

/** `serve(req, res)` inside an HTTP server span (or just `serve` with tracing off). */
export function tracedRequest(req: IncomingMessage, res: ServerResponse, serve: () => Promise<void>): Promise<void> {
  if (!tracingEnabled()) return serve();
  const method = (req.method ?? "GET").toUpperCase();
  const path = (req.url ?? "/").split("?")[0]!;
  const name = NAMED_ROUTES.has(path) ? `${method} ${path}` : method;
  return withServerSpan(
    name,
    req.headers,
    { "http.request.method": method, "url.path": path, "url.scheme": "http", ...(NAMED_ROUTES.has(path) ? { "http.route": path } : {}) },
    serve,
    () => res.statusCode,
  );
}

/** The operation span's name: "mutation RecordPayment", "query" (anonymous), "graphql" (not yet known). */
export function operationSpanName(type: string | undefined, name: string | undefined): string {
  return [type ?? "graphql", name].filter(Boolean).join(" ");
}

/** Apollo's phases as spans under the active operation span; its type and name on that span. */
export function tracingPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      if (!tracingEnabled()) return;
      const operationSpan = trace.getActiveSpan();
      return {
        async parsingDidStart() {
          const span = startSpan("graphql.parse");
          return async (err) => span?.end(err);
        },
        async validationDidStart() {
          const span = startSpan("graphql.validate");
          return async (errs) => span?.end(errs?.[0]);
        },
        async didResolveOperation({ operation, operationName }) {
          if (!operationSpan || !operation) return;
          operationSpan.setAttribute("graphql.operation.type", operation.operation);
          if (operationName) operationSpan.setAttribute("graphql.operation.name", operationName);
          operationSpan.updateName(operationSpanName(operation.operation, operationName ?? undefined));
        },
        async executionDidStart() {
          const span = startSpan("graphql.execute");
          return { async executionDidEnd(err) { span?.end(err); } };
        },
      };
    },
  };
}
