/**
 * Prometheus metrics (src/server/metrics.ts) through the real HTTP server: what a scrape of
 * /metrics holds after a compiled read, a resolver read, refusals (QUERY_TOO_COMPLEX, a
 * rate-limited login), a subscription and a recordPayment; that 1,000 distinct operation names
 * give a bounded label set; who may scrape on the main port; and METRICS_PORT mode.
 */
import type { IncomingMessage } from "node:http";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/app.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { runDailyUpdate } from "../src/features/loans/daily-update.js";
import { tokenKey } from "../src/auth/tokens.js";
import { GatewayMetrics, mayScrape } from "../src/server/metrics.js";
import type { LoanWorld } from "./support/factories.js";
import { makeCustomer, makeLoan, makePartner } from "./support/factories.js";
import { startExtraGateway, type ExtraGateway } from "./support/gateways.js";
import { LOGIN } from "./support/registration.js";
import { collect, settle, wsClient } from "./support/ws.js";
import { adminToken, codeOf, TEST_JWT_SECRET, tokenFor, usingPostgres } from "./support/world.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text scrape. */
function parseScrape(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample with that name and (at least) those labels; undefined if none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; contentType: string | null }> {
  const res = await fetch(url, { headers });
  return { status: res.status, text: await res.text(), contentType: res.headers.get("content-type") };
}

const T0 = Date.UTC(2030, 0, 1, 0, 0, 10);

const POINT = `query LoanWithPayments($id: ID!) { loan(id: $id) { id status principal payments { installmentNumber dueDate status } } }`;
const RESOLVED = `query Typename { __typename }`;
const COSTLY = `query Costly($n: Int) { customers(first: $n) { nodes { loans(first: $n) { nodes { payments { loan { payments { id } } } } } } } }`;
const PAY = `mutation RecordPayment($input: RecordPaymentInput!) {
  recordPayment(input: $input) { replayed transaction { id amount } loan { id status } }
}`;
const LOAN_SUB = `subscription LoanStatus($loanId: ID) { loanStatusChanged(loanId: $loanId) { toStatus loan { id status } } }`;

describe("/metrics on the main port", () => {
  let gw: ExtraGateway;
  let metricsUrl: string;
  let admin: string;
  let partnerToken: string;
  let l: LoanWorld;
  const ws: Client[] = [];

  beforeAll(async () => {
    gw = await startExtraGateway({
      authRateLimit: { perWindow: 1, windowMs: 60_000, now: () => T0, store: "memory" },
      trustProxyHops: 1,
    });
    metricsUrl = `${gw.gateway.url}/metrics`;
    admin = await adminToken();
    const partner = await makePartner();
    partnerToken = await tokenFor("PARTNER", partner.id);
    l = await makeLoan({ customer: await makeCustomer({ partnerId: partner.id }), status: "CURRENT", loanDate: "2026-01-10" });
  });
  afterAll(async () => {
    await Promise.all(ws.map((c) => c.dispose()));
    await gw?.close();
  });

  it("a scrape holds the operations by name, type, outcome and path; refusals by reason; HTTP by status; pool, statements, subscriptions, deliveries, outbox lag and process metrics", async () => {
    const before = parseScrape((await scrape(metricsUrl)).text);
    const statementsBefore = valueOf(before, "gateway_db_statement_duration_seconds_count") ?? 0;
    // The factory wrote the loan's events behind this gateway's back: on PGlite (no NOTIFY, no
    // poll) its bus has not dispatched them yet, so they are its outbox lag until the next wake-up.
    if (!usingPostgres()) expect(valueOf(before, "gateway_outbox_lag_seconds")).toBeGreaterThan(0);

    // A compiled read (the fast path) and a read by the resolvers.
    const read = await gw.gql(POINT, { id: l.loan.id }, partnerToken);
    expect(read.errors).toBeUndefined();
    expect(gw.gateway.compiledReads().fastPath).toBe(1);
    // (An anonymous caller's reads are never compiled.)
    expect((await gw.gql(RESOLVED, {}, null)).data).toEqual({ __typename: "Query" });
    // Refused: over the cost limit (fast path declines, Apollo refuses), too many aliases (before GraphQL).
    expect(codeOf(await gw.gql(COSTLY, { n: 100 }, partnerToken))).toBe("QUERY_TOO_COMPLEX");
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(" ");
    expect(codeOf(await gw.gql(`query Aliased { ${aliases} }`, {}, partnerToken))).toBe("QUERY_TOO_COMPLEX");
    // A body over 1 MB.
    const big = await gw.post({ query: `query Big { __typename }`, variables: { pad: "x".repeat(1_100_000) } }, partnerToken);
    expect(big.status).toBe(413);
    // A login over the limit (1 per window) from one client address.
    const login = { input: { phone: "081234567890", pin: "123456" } };
    await gw.gql(LOGIN, login, null, { "x-forwarded-for": "10.9.8.7" });
    const limited = await gw.gql(LOGIN, login, null, { "x-forwarded-for": "10.9.8.7" });
    expect(limited.status).toBe(429);
    expect(codeOf(limited)).toBe("RATE_LIMITED");

    // A subscription to the loan, then a payment that pays it off (one status event).
    const client = wsClient(gw.wsUrl, partnerToken);
    ws.push(client);
    const events = collect(client, LOAN_SUB, { loanId: l.loan.id });
    await expect.poll(async () => valueOf(parseScrape((await scrape(metricsUrl)).text), "gateway_subscriptions_open", { role: "PARTNER" })).toBe(1);
    const paid = await gw.gql(PAY, { input: { loanId: l.loan.id, amount: "3400000", idempotencyKey: `metrics-${l.loan.id}` } }, admin);
    expect(paid.errors).toBeUndefined();
    expect((paid.data as any).recordPayment.loan.status).toBe("PAID_OFF");
    // (The loan's earlier events, made by the factory behind this gateway's back, come with it.)
    await events.waitFor(1);
    await settle();

    const res = await scrape(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const s = parseScrape(res.text);
    const op = (operation_name: string, operation_type: string, outcome: string, path: string) =>
      valueOf(s, "gateway_graphql_operation_duration_seconds_count", { operation_name, operation_type, outcome, path });
    expect(op("LoanWithPayments", "query", "OK", "compiled")).toBe(1);
    expect(op("Typename", "query", "OK", "resolvers")).toBe(1);
    expect(op("Costly", "query", "QUERY_TOO_COMPLEX", "none")).toBe(1);
    // Refused before GraphQL parses it: labelled by the request's operationName (none here).
    expect(op("unnamed", "unknown", "QUERY_TOO_COMPLEX", "none")).toBe(1);
    expect(op("unnamed", "mutation", "UNAUTHENTICATED", "resolvers")).toBe(1); // the first login: no such customer
    expect(op("unnamed", "mutation", "RATE_LIMITED", "none")).toBe(1); // the second
    expect(op("RecordPayment", "mutation", "OK", "resolvers")).toBe(1);
    // Buckets are cumulative and end with +Inf = count.
    expect(valueOf(s, "gateway_graphql_operation_duration_seconds_bucket", { operation_name: "RecordPayment", le: "+Inf" })).toBe(1);
    expect(valueOf(s, "gateway_graphql_operation_duration_seconds_sum", { operation_name: "RecordPayment" })).toBeGreaterThan(0);

    expect(valueOf(s, "gateway_refusals_total", { code: "QUERY_TOO_COMPLEX", reason: "maxCost" })).toBe(1);
    expect(valueOf(s, "gateway_refusals_total", { code: "QUERY_TOO_COMPLEX", reason: "maxAliases" })).toBe(1);
    expect(valueOf(s, "gateway_refusals_total", { code: "RATE_LIMITED", reason: "authRateLimit" })).toBe(1);
    expect(valueOf(s, "gateway_refusals_total", { code: "PAYLOAD_TOO_LARGE", reason: "maxBodyBytes" })).toBe(1);
    expect(valueOf(s, "gateway_http_requests_total", { route: "/graphql", status: "413" })).toBe(1);

    expect(valueOf(s, "gateway_http_requests_total", { route: "/graphql", status: "200" })).toBeGreaterThanOrEqual(5);
    expect(valueOf(s, "gateway_http_requests_total", { route: "/graphql", status: "429" })).toBe(1);
    expect(valueOf(s, "gateway_http_requests_total", { route: "/metrics", status: "200" })).toBeGreaterThanOrEqual(2);

    expect(valueOf(s, "gateway_subscriptions_open", { role: "PARTNER" })).toBe(1);
    expect(valueOf(s, "gateway_subscriptions_open", { role: "CUSTOMER" })).toBe(0);
    expect(events.events.map((e) => e.loanStatusChanged.toStatus)).toContain("PAID_OFF");
    expect(valueOf(s, "gateway_subscription_events_delivered_total", { role: "PARTNER" })).toBe(events.events.length);
    expect(valueOf(s, "gateway_outbox_lag_seconds")).toBe(0);
    expect(valueOf(s, "gateway_event_bus_degraded", { transport: "postgres" })).toBe(0);
    expect(valueOf(s, "gateway_event_relay")).toBe(0);

    const driver = usingPostgres() ? "postgres" : "pglite";
    expect(valueOf(s, "gateway_db_pool_connections_max", { driver })).toBe(driver === "postgres" ? 10 : 1);
    expect(valueOf(s, "gateway_db_pool_connections_in_use", { driver })).toBeGreaterThanOrEqual(0);
    expect(valueOf(s, "gateway_db_pool_waiting", { driver })).toBe(0);
    // The payment alone runs several statements (locks, inserts, updates, the event).
    expect(valueOf(s, "gateway_db_statement_duration_seconds_count", { driver })! - statementsBefore).toBeGreaterThanOrEqual(5);
    // No SQL text in labels: the statement histogram is labelled by driver only.
    for (const x of s) if (x.name.startsWith("gateway_db_statement")) expect(Object.keys(x.labels).filter((k) => k !== "le")).toEqual(["driver"]);

    expect(valueOf(s, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(valueOf(s, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    expect(valueOf(s, "gateway_daily_update_runs_total", { outcome: "ok" })).toBeUndefined();
  });

  it("is refused (403) to a caller relaying for someone (X-Forwarded-For) or with a non-ADMIN token; an ADMIN token may scrape", async () => {
    const relayed = await scrape(metricsUrl, { "x-forwarded-for": "203.0.113.9" });
    expect(relayed.status).toBe(403);
    expect(JSON.parse(relayed.text).errors[0].extensions.code).toBe("FORBIDDEN");
    expect((await scrape(metricsUrl, { authorization: `Bearer ${partnerToken}` })).status).toBe(403);
    expect((await scrape(metricsUrl, { authorization: "Bearer not.a.token" })).status).toBe(403);
    const asAdmin = await scrape(metricsUrl, { authorization: `Bearer ${admin}`, "x-forwarded-for": "203.0.113.9" });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.text).toContain("gateway_http_requests_total");
  });

  it("1,000 distinct operation names give at most 200 names plus 'other' and 'unnamed'", async () => {
    const names = new Set<string>();
    const send = async (i: number) => {
      const r = await gw.gql(`query Flood${i} { __typename }`, {}, partnerToken);
      expect(r.errors).toBeUndefined();
    };
    for (let i = 0; i < 1000; i += 20) await Promise.all(Array.from({ length: 20 }, (_, k) => send(i + k)));
    const s = parseScrape((await scrape(metricsUrl)).text);
    for (const x of s) if (x.name === "gateway_graphql_operation_duration_seconds_count") names.add(x.labels.operation_name!);
    expect(names.size).toBeLessThanOrEqual(202);
    expect(names.has("other")).toBe(true);
    const floods = [...names].filter((n) => n.startsWith("Flood"));
    // The names seen before the flood (5) leave room for 195 of its names.
    expect(floods.length).toBe(200 - [...names].filter((n) => !n.startsWith("Flood") && n !== "other" && n !== "unnamed").length);
    const other = s.filter((x) => x.name === "gateway_graphql_operation_duration_seconds_count" && x.labels.operation_name === "other");
    expect(other.reduce((t, x) => t + x.value, 0)).toBe(1000 - floods.length);
  });
});

describe("daily update", () => {
  it("runs and their duration are counted by outcome (on an embedded database of its own: the update touches every loan)", async () => {
    const database = await openDatabase({});
    try {
      const metrics = new GatewayMetrics({ database });
      const app = { database, afterEventsCommitted: () => {}, metrics };
      await runDailyUpdate(app, { asOf: "2026-03-20", now: new Date() });
      await expect(runDailyUpdate(app, { asOf: "2026-02-30", now: new Date() })).rejects.toThrow();
      const s = parseScrape(await metrics.scrape());
      expect(valueOf(s, "gateway_daily_update_runs_total", { outcome: "ok" })).toBe(1);
      expect(valueOf(s, "gateway_daily_update_runs_total", { outcome: "error" })).toBe(1);
      expect(valueOf(s, "gateway_daily_update_duration_seconds_count")).toBe(2);
      expect(valueOf(s, "gateway_db_statement_duration_seconds_count", { driver: "pglite" })).toBeGreaterThanOrEqual(3);
      metrics.close();
    } finally {
      await database.close();
    }
  });
});

describe("METRICS_PORT", () => {
  let gw: ExtraGateway;
  beforeAll(async () => {
    gw = await startExtraGateway({ metrics: { port: 0, host: "127.0.0.1" } });
  });
  afterAll(async () => gw?.close());

  it("serves /metrics on its own port (no token) and not on the main port", async () => {
    expect(gw.gateway.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(gw.gateway.metricsUrl).not.toContain(`:${gw.gateway.port}/`);
    expect((await gw.gql(RESOLVED, {}, null)).errors).toBeUndefined();
    const own = await scrape(gw.gateway.metricsUrl!);
    expect(own.status).toBe(200);
    expect(valueOf(parseScrape(own.text), "gateway_graphql_operation_duration_seconds_count", { operation_name: "Typename", path: "resolvers" })).toBe(1);
    const main = await scrape(`${gw.gateway.url}/metrics`, { authorization: `Bearer ${await adminToken()}` });
    expect(main.status).toBe(404);
    expect((await scrape(gw.gateway.metricsUrl!.replace("/metrics", "/graphql"))).status).toBe(404);
  });

  it("a metrics port already taken fails the start (EADDRINUSE)", async () => {
    const taken = Number(new URL(gw.gateway.metricsUrl!).port);
    await expect(startExtraGateway({ metrics: { port: taken } })).rejects.toThrow(/EADDRINUSE/);
  });

  it("is configured by METRICS_PORT and METRICS_HOST", () => {
    expect(loadConfig({ NODE_ENV: "test" })).toMatchObject({ metricsPort: undefined, metricsHost: "127.0.0.1", metricsOperationNames: 200 });
    expect(loadConfig({ NODE_ENV: "test", METRICS_PORT: "9464", METRICS_HOST: "10.0.0.5" })).toMatchObject({ metricsPort: 9464, metricsHost: "10.0.0.5" });
    expect(() => loadConfig({ NODE_ENV: "test", METRICS_PORT: "0" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "test", METRICS_PORT: "x" })).toThrow(ConfigError);
  });
});

/**
 * A caller on another machine. Tests send traffic to loopback addresses only (this workplace's
 * rule), so the decision is checked with the remote address such a caller's socket would have.
 */
describe("/metrics from a non-loopback address", () => {
  const key = tokenKey(TEST_JWT_SECRET);
  const from = (remoteAddress: string, headers: Record<string, string> = {}) =>
    ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

  it("needs an ADMIN token", async () => {
    for (const peer of ["192.0.2.2", "203.0.113.9", "::ffff:198.51.100.7", "fd00::2"]) {
      expect(await mayScrape(from(peer), key)).toBe(false);
      expect(await mayScrape(from(peer, { authorization: `Bearer ${await tokenFor("CUSTOMER", "00000000-0000-4000-8000-000000000002")}` }), key)).toBe(false);
      expect(await mayScrape(from(peer, { authorization: `Bearer ${await adminToken()}` }), key)).toBe(true);
    }
    expect(await mayScrape(from("127.0.0.1"), key)).toBe(true);
    expect(await mayScrape(from("::1"), key)).toBe(true);
    expect(await mayScrape(from("127.0.0.1", { "x-forwarded-for": "203.0.113.9" }), key)).toBe(false);
  });
});
