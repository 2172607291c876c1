/**
 * Traces (OpenTelemetry over OTLP/HTTP) against a real receiver: a node:http server on loopback
 * that records what the exporter POSTs to /v1/traces (JSON, the 0.223 OTLP/HTTP exporter's
 * encoding). One recordPayment sent with a W3C traceparent, and one compiled read answered by
 * the fast path, must arrive as the spans the README describes; the request's log line carries
 * the trace id; with no OTEL_* variable nothing is started; and the real process (src/main.ts)
 * exports when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 */
import { randomBytes, randomInt } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, tracingConfig } from "../src/config.js";
import { startTracing, tracingEnabled, type Tracing } from "../src/shared/tracing.js";
import { makeCustomer, makeLoan, type LoanWorld } from "./support/factories.js";
import { startExtraGateway, type ExtraGateway } from "./support/gateways.js";
import { changeLoanStatus } from "./support/events.js";
import { startGatewayProcess } from "./support/process.js";
import { collect, gatewayWsUrl, subscribed, wsClient } from "./support/ws.js";
import { adminToken, world } from "./support/world.js";

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number };
  service?: string;
}

/** A loopback OTLP/HTTP receiver: every span POSTed to /v1/traces, flattened. */
async function startReceiver(): Promise<{ url: string; spans: ExportedSpan[]; requests: { path: string; contentType: string }[]; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const requests: { path: string; contentType: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ path: req.url ?? "", contentType: String(req.headers["content-type"]) });
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === "service.name")?.value?.stringValue;
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, attributes: s.attributes ?? [], service });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const attr = (s: ExportedSpan, key: string): string | number | boolean | undefined => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v ? (v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.boolValue ?? v.doubleValue) : undefined;
};

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

/** Waits until the spans of a trace include one named `name` (the batch processor exports on flush). */
async function spansOf(tracing: Tracing, spans: ExportedSpan[], traceId: string, until: (s: ExportedSpan[]) => boolean): Promise<ExportedSpan[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await tracing.forceFlush();
    const mine = spans.filter((s) => s.traceId === traceId);
    if (until(mine) || Date.now() > deadline) return mine;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** "name <- parent name" lines of a trace, depth-first, for failure messages and the README. */
function tree(spans: ExportedSpan[]): string {
  const byParent = new Map<string | undefined, ExportedSpan[]>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const s of spans) {
    const p = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
    byParent.set(p, [...(byParent.get(p) ?? []), s]);
  }
  const out: string[] = [];
  const walk = (p: string | undefined, depth: number) => {
    for (const s of byParent.get(p) ?? []) {
      const keys = ["graphql.operation.type", "graphql.operation.name", "graphql.execution.path", "http.response.status_code", "db.system", "db.statement"];
      const shown = keys.filter((k) => attr(s, k) !== undefined).map((k) => `${k}=${JSON.stringify(String(attr(s, k)).slice(0, 90))}`);
      out.push(`${"  ".repeat(depth)}${s.name}${shown.length ? `  {${shown.join(", ")}}` : ""}`);
      walk(s.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return out.join("\n");
}

const RECORD_PAYMENT = `mutation RecordPayment($input: RecordPaymentInput!) {
  recordPayment(input: $input) { replayed transaction { id amount idempotencyKey } loan { id totalPaid } }
}`;
const POINT = `query LoanForTrace($id: ID!) { loan(id: $id) { id status principal payments { installmentNumber dueDate status } } }`;

describe("traces with OTEL configured (in-process, loopback receiver)", () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let tracing: Tracing;
  let gw: ExtraGateway;
  let loan: LoanWorld;
  let admin: string;

  beforeAll(async () => {
    expect(tracingEnabled()).toBe(false);
    receiver = await startReceiver();
    const config = tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "gateway-under-test" });
    expect(config).toMatchObject({ tracesUrl: `${receiver.url}/v1/traces`, serviceName: "gateway-under-test" });
    tracing = await startTracing(config!);
    // A gateway of its own: a fresh Apollo document cache, so parse and validate run.
    gw = await startExtraGateway();
    loan = await makeLoan({ customer: await makeCustomer(), loanDate: "2026-01-10" });
    admin = await adminToken();
  });

  afterAll(async () => {
    await gw?.close();
    await tracing?.shutdown();
    await receiver?.close();
    expect(tracingEnabled()).toBe(false);
  });

  it("exports one recordPayment as HTTP → operation → parse/validate/execute, transaction → SQL (no values), continuing the caller's trace", async () => {
    const w = await world();
    const traceId = hex(16);
    const callerSpanId = hex(8);
    const key = `trace-key-${hex(12)}`;
    const amount = String(randomInt(100_001, 999_999));
    const mark = w.logMark();
    const r = await gw.gql(RECORD_PAYMENT, { input: { loanId: loan.loan.id, amount, idempotencyKey: key } }, admin, {
      traceparent: `00-${traceId}-${callerSpanId}-01`,
    });
    expect(r.errors).toBeUndefined();
    expect(r.data!.recordPayment.transaction.amount).toBe(amount);

    const spans = await spansOf(tracing, receiver.spans, traceId, (s) => s.some((x) => x.name.startsWith("POST")));
    const shape = tree(spans);
    console.log(`spans of one recordPayment:\n${shape}`);
    expect(receiver.requests.every((q) => q.contentType.startsWith("application/json"))).toBe(true);
    expect(spans.every((s) => s.service === "gateway-under-test")).toBe(true);

    // The HTTP span continues the caller's trace: same trace id, the caller's span as parent.
    const http = spans.find((s) => s.name === "POST /graphql");
    expect(http, shape).toBeDefined();
    expect(http!.parentSpanId).toBe(callerSpanId);
    expect(http!.kind).toBe(2); // SERVER
    expect(attr(http!, "http.response.status_code")).toBe(200);

    const op = spans.find((s) => s.name === "mutation RecordPayment");
    expect(op, shape).toBeDefined();
    expect(op!.parentSpanId).toBe(http!.spanId);
    expect(attr(op!, "graphql.operation.type")).toBe("mutation");
    expect(attr(op!, "graphql.operation.name")).toBe("RecordPayment");
    expect(attr(op!, "graphql.execution.path")).toBe("resolvers");
    for (const phase of ["graphql.parse", "graphql.validate", "graphql.execute"]) {
      expect(spans.find((s) => s.name === phase)?.parentSpanId, `${phase}\n${shape}`).toBe(op!.spanId);
    }

    // The mutation's transaction, under the operation, with the statements it ran inside it.
    const tx = spans.find((s) => s.name === "db.transaction");
    expect(tx, shape).toBeDefined();
    expect(tx!.parentSpanId).toBe(op!.spanId);
    const sql = spans.filter((s) => attr(s, "db.system") === "postgresql" && attr(s, "db.statement") !== undefined);
    const inTx = sql.filter((s) => s.parentSpanId === tx!.spanId);
    expect(inTx.some((s) => /^insert into "payment_transactions"/i.test(String(attr(s, "db.statement")))), shape).toBe(true);
    expect(inTx.some((s) => s.name === "UPDATE")).toBe(true);
    for (const s of sql) {
      expect(s.kind).toBe(3); // CLIENT
      expect(String(attr(s, "db.statement"))).toMatch(/\$1/);
    }
    // No value of the request in any attribute: the statements carry placeholders only.
    const everything = JSON.stringify(spans.map((s) => s.attributes));
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(amount);
    expect(everything).not.toContain(loan.loan.id);

    // The request's log line carries the trace id (and its operation name).
    const line = w.logsSince(mark).find((l) => l.includes('"msg":"graphql"') && l.includes(traceId));
    expect(line, w.logsSince(mark).join("\n")).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ trace_id: traceId, operation: "RecordPayment", status: 200 });
  });

  it("traces a compiled read answered by the fast path", async () => {
    const traceId = hex(16);
    const before = gw.gateway.compiledReads().fastPath;
    const r = await gw.gql(POINT, { id: loan.loan.id }, admin, { traceparent: `00-${traceId}-${hex(8)}-01` });
    expect(r.errors).toBeUndefined();
    expect(gw.gateway.compiledReads().fastPath).toBe(before + 1);

    const spans = await spansOf(tracing, receiver.spans, traceId, (s) => s.some((x) => x.name.startsWith("POST")));
    const shape = tree(spans);
    console.log(`spans of one fast-path read:\n${shape}`);
    const http = spans.find((s) => s.name === "POST /graphql");
    const op = spans.find((s) => s.name === "query LoanForTrace");
    expect(op?.parentSpanId, shape).toBe(http?.spanId);
    expect(attr(op!, "graphql.execution.path")).toBe("compiled-fast-path");
    const execute = spans.find((s) => s.name === "graphql.execute");
    expect(execute?.parentSpanId, shape).toBe(op!.spanId);
    for (const phase of ["graphql.parse", "graphql.validate"]) expect(spans.find((s) => s.name === phase)?.parentSpanId, shape).toBe(op!.spanId);
    // One statement answers it, under execute, its text without the loan id.
    const sql = spans.filter((s) => attr(s, "db.system") === "postgresql");
    expect(sql.map((s) => s.name), shape).toEqual(["SELECT"]);
    expect(sql[0]!.parentSpanId).toBe(execute!.spanId);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(loan.loan.id);
  });

  it("traces each subscription delivery, with the statements that built the event's payload", async () => {
    const customer = await makeCustomer();
    const watched = await makeLoan({ customer, status: "CURRENT", loanDate: "2026-01-10" });
    // The world's gateway: its event bus is the one the committed change wakes (on PGlite too).
    const client = wsClient(await gatewayWsUrl(), admin);
    try {
      const sub = collect(client, `subscription LoanWatch($loanId: ID) { loanStatusChanged(loanId: $loanId) { toStatus loan { id status } } }`, {
        loanId: watched.loan.id,
      });
      await subscribed(1);
      await changeLoanStatus(watched.loan.id, customer, "CURRENT", "LATE_1DPD");
      const [event] = await sub.waitFor(1);
      expect(event.loanStatusChanged).toMatchObject({ toStatus: "LATE_1DPD", loan: { id: watched.loan.id } });
    } finally {
      await client.dispose();
    }
    let delivery: ExportedSpan | undefined;
    const deadline = Date.now() + 10_000;
    while (!delivery && Date.now() < deadline) {
      await tracing.forceFlush();
      delivery = receiver.spans.find((s) => s.name === "subscription.delivery" && attr(s, "graphql.operation.name") === "LoanWatch");
      if (!delivery) await new Promise((r) => setTimeout(r, 100));
    }
    expect(delivery).toBeDefined();
    expect(attr(delivery!, "graphql.operation.type")).toBe("subscription");
    expect(attr(delivery!, "gateway.event.id")).toMatch(/^\d+$/);
    const spans = receiver.spans.filter((s) => s.traceId === delivery!.traceId);
    console.log(`spans of one subscription delivery:\n${tree(spans)}`);
    const children = spans.filter((s) => s.parentSpanId === delivery!.spanId);
    expect(children.some((s) => attr(s, "db.system") === "postgresql" && /from "loans"/.test(String(attr(s, "db.statement")))), tree(spans)).toBe(true);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(watched.loan.id);
  });
});

describe("traces off", () => {
  it("with no OTEL_* variable (or OTEL_TRACES_EXPORTER=none / OTEL_SDK_DISABLED) nothing is configured, started or recorded", async () => {
    expect(loadConfig({ NODE_ENV: "test" }).tracing).toBeUndefined();
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_TRACES_EXPORTER: "none" })).toBeUndefined();
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_SDK_DISABLED: "true" })).toBeUndefined();
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/custom" })?.tracesUrl).toBe("http://c:4318/custom");
    expect(tracingConfig({ OTEL_TRACES_EXPORTER: "otlp" })?.tracesUrl).toBe("http://localhost:4318/v1/traces");
    expect(() => tracingConfig({ OTEL_TRACES_EXPORTER: "zipkin" })).toThrow(/only otlp/);
    // The world's gateway runs without tracing: no provider is registered, spans are no-ops,
    // and a request with a traceparent yields log lines without a trace id.
    expect(tracingEnabled()).toBe(false);
    const span = trace.getTracer("probe").startSpan("probe");
    expect(span.isRecording()).toBe(false);
    span.end();
    const w = await world();
    const mark = w.logMark();
    const traceId = hex(16);
    const res = await fetch(w.url, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${traceId}-${hex(8)}-01` },
      body: JSON.stringify({ query: "query Off { __typename }" }),
    });
    expect(res.status).toBe(200);
    const lines = w.logsSince(mark).filter((l) => l.includes('"operation":"Off"'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).not.toContain("trace_id");
  });
});

describe("the gateway process (src/main.ts)", () => {
  it("exports its spans to OTEL_EXPORTER_OTLP_ENDPOINT, and the last ones at SIGTERM", async () => {
    const receiver = await startReceiver();
    const dataDir = mkdtempSync(join(tmpdir(), "gateway-traces-"));
    try {
      const gw = await startGatewayProcess({ DATA_DIR: dataDir, DATABASE_URL: "", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "gateway-process" });
      const traceId = hex(16);
      const res = await fetch(gw.url.replace(/\/graphql$/, "/healthz"), { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } });
      expect(res.status).toBe(200);
      expect(gw.output()).toContain('"msg":"tracing"');
      // main.ts installs its SIGTERM handler right after printing the development banner.
      for (let i = 0; i < 200 && !gw.output().includes("ADMIN token"); i++) await new Promise((r) => setTimeout(r, 50));
      expect(await gw.stop("SIGTERM"), gw.output()).toBe(0);
      const span = receiver.spans.find((s) => s.traceId === traceId);
      expect(span, gw.output()).toMatchObject({ name: "GET /healthz", service: "gateway-process" });
    } finally {
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
