/**
 * Prometheus metrics of one gateway (prom-client): a Registry of its own (tests run several
 * gateways in one process), scraped at /metrics on the main port, or on a port of its own
 * (`METRICS_PORT`, bound to `METRICS_HOST`, default 127.0.0.1) and then not on the main port.
 *
 * Who may scrape: on the metrics port, whoever reaches it (bind it to a private address, it is
 * not authenticated); on the main port, an ADMIN bearer token, or a loopback peer whose request
 * carries no X-Forwarded-For / Forwarded header (so a reverse proxy on the same machine does not
 * make every client "local"). Anyone else gets 403.
 *
 * Operation names are a bounded label: the names of trusted documents, then the first
 * `operationNames` (default 200) distinct names seen; an anonymous operation is "unnamed", any
 * further name "other". Every other label has a fixed set of values.
 *
 * Node's process metrics (collectDefaultMetrics) are per process: they live in one registry of
 * their own, made once, and are appended to every gateway's scrape.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApolloServerPlugin } from "@apollo/server";
import { parse, type OperationDefinitionNode } from "graphql";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { viewerFromAuthorization, type TokenKey } from "../auth/tokens.js";
import type { Database } from "../db/client.js";
import type { Context } from "../graphql/context.js";

/** Label of an operation without a name (or whose document did not resolve to one). */
export const UNNAMED = "unnamed";
/** Label of every operation name past the first `operationNames`. */
export const OTHER = "other";
export const DEFAULT_OPERATION_NAMES = 200;

/** Which path answered an operation: one compiled statement, the resolvers, or none (refused before execution). */
export type OperationPath = "compiled" | "resolvers" | "none";

const ROLES = ["ADMIN", "PARTNER", "CUSTOMER", "ANONYMOUS"] as const;
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;

let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The reason label of a refusal by an abuse limit, or undefined when the error is not one.
 * `extensions` are the error's (QUERY_TOO_COMPLEX says which limit by its max* field).
 */
export function refusalReason(code: string | undefined, message: string, extensions: Record<string, unknown> | undefined): string | undefined {
  switch (code) {
    case "QUERY_TOO_COMPLEX": {
      const e = extensions ?? {};
      for (const k of ["maxLength", "maxAliases", "maxDepth", "maxCost"]) if (k in e) return k;
      return "other";
    }
    case "RATE_LIMITED":
      return "authRateLimit";
    case "PERSISTED_QUERY_NOT_ALLOWED":
      return "untrustedDocument";
    case "PAYLOAD_TOO_LARGE":
      return "maxBodyBytes";
    case "REQUEST_TIMEOUT":
      return "requestTimeout";
    case "FORBIDDEN":
      return message.startsWith("Introspection") ? "introspection" : undefined;
    case "GRAPHQL_PARSE_FAILED":
      return /more than \d+ tokens/.test(message) ? "maxTokens" : undefined;
    default:
      return undefined;
  }
}

export interface GatewayMetricsOptions {
  database: Database;
  /** Distinct operation names kept as labels besides the trusted documents' (default 200). */
  operationNames?: number;
  /** Operation names always kept (the trusted documents'). */
  knownOperationNames?: Iterable<string>;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly names = new Map<string, string>();
  private readonly maxNames: number;
  private readonly operationChildren = new Map<string, Histogram.Internal<string>>();
  private readonly httpChildren = new Map<string, Map<number, Counter.Internal>>();
  private readonly operationDuration: Histogram<string>;
  private readonly httpRequests: Counter<string>;
  private readonly refusals: Counter<string>;
  private readonly delivered: Counter<string>;
  private readonly dailyUpdateRuns: Counter<string>;
  private readonly dailyUpdateDuration: Histogram<string>;
  private readonly statementDuration: Histogram<string>;
  private readonly stopStatements: () => void;
  /** Set by the gateway once the event bus runs (subscriptions by role, outbox lag, transport state). */
  events?: {
    subscribersByRole(): Map<string, number>;
    oldestUndeliveredAgeSeconds(): Promise<number>;
    health(): { transport: string; state: "ok" | "degraded"; relay?: boolean };
  };

  constructor(o: GatewayMetricsOptions) {
    const registers = [this.registry];
    this.maxNames = o.operationNames ?? DEFAULT_OPERATION_NAMES;
    for (const n of o.knownOperationNames ?? []) this.names.set(n, n);
    this.operationDuration = new Histogram({
      name: "gateway_graphql_operation_duration_seconds",
      help: "GraphQL operations over HTTP: time from the start of the operation to its response, by operation name (bounded), type, outcome (OK or the first error's code) and path (compiled = one SQL statement, fast path or plugin; resolvers; none = refused or failed before execution)",
      labelNames: ["operation_name", "operation_type", "outcome", "path"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.httpRequests = new Counter({
      name: "gateway_http_requests_total",
      help: "HTTP requests answered, by route and status code",
      labelNames: ["route", "status"],
      registers,
    });
    this.refusals = new Counter({
      name: "gateway_refusals_total",
      help: "Requests and operations refused by a rate or abuse limit, by error code and reason (HTTP and WebSocket)",
      labelNames: ["code", "reason"],
      registers,
    });
    const subscribersByRole = () => this.events?.subscribersByRole() ?? new Map<string, number>();
    new Gauge({
      name: "gateway_subscriptions_open",
      help: "Subscriptions open on this gateway, by the subscriber's role",
      labelNames: ["role"],
      registers,
      collect() {
        const byRole = subscribersByRole();
        for (const role of ROLES) this.set({ role }, byRole.get(role) ?? 0);
      },
    });
    this.delivered = new Counter({
      name: "gateway_subscription_events_delivered_total",
      help: "Status events delivered to subscriptions, by the subscriber's role",
      labelNames: ["role"],
      registers,
    });
    this.dailyUpdateRuns = new Counter({
      name: "gateway_daily_update_runs_total",
      help: "Daily update runs in this process (timer or runDailyUpdate mutation), by outcome",
      labelNames: ["outcome"],
      registers,
    });
    this.dailyUpdateDuration = new Histogram({
      name: "gateway_daily_update_duration_seconds",
      help: "Duration of daily update runs",
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    const pool = o.database.pool;
    const driver = o.database.kind;
    new Gauge({
      name: "gateway_db_pool_connections_max",
      help: "Connections the database pool may open (PGlite: one)",
      labelNames: ["driver"],
      registers,
      collect() {
        this.set({ driver }, pool.max);
      },
    });
    new Gauge({
      name: "gateway_db_pool_connections_in_use",
      help: "Connections in use: statements in flight outside transactions plus open transactions, at most the pool's size (postgres.js exposes no pool statistics; counted by the gateway)",
      labelNames: ["driver"],
      registers,
      collect() {
        this.set({ driver }, Math.min(pool.active, pool.max));
      },
    });
    new Gauge({
      name: "gateway_db_pool_waiting",
      help: "Statements and transactions beyond the pool's size: waiting for a connection (or pipelined behind another on it)",
      labelNames: ["driver"],
      registers,
      collect() {
        this.set({ driver }, Math.max(0, pool.active - pool.max));
      },
    });
    this.statementDuration = new Histogram({
      name: "gateway_db_statement_duration_seconds",
      help: "SQL statements: time from sending (including any wait for a connection) to the result",
      labelNames: ["driver"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers,
    });
    const replicas = o.database.replicas;
    if (replicas) {
      // Read replicas (db/replicas.ts): a bounded label set, the configured replicas.
      new Gauge({
        name: "gateway_db_replica_in_rotation",
        help: "1 when the read replica takes reads, 0 when it is out of rotation (down or lagging past REPLICA_MAX_LAG_MS)",
        labelNames: ["replica"],
        registers,
        collect() {
          for (const r of replicas.status()) this.set({ replica: r.name }, r.inRotation ? 1 : 0);
        },
      });
      new Gauge({
        name: "gateway_db_replica_lag_seconds",
        help: "Replay lag of the read replica as last checked: how long ago the primary was at a WAL position the replica has not replayed (-1 when unreachable)",
        labelNames: ["replica"],
        registers,
        collect() {
          for (const r of replicas.status()) this.set({ replica: r.name }, r.lagMs === null ? -1 : r.lagMs / 1000);
        },
      });
      new Counter({
        name: "gateway_db_reads_total",
        help: "Read operations routed with read replicas configured, by target (replica; primary: no replica in rotation had replayed the caller's last write; primary_retry: failed on a replica and run again on the primary)",
        labelNames: ["target"],
        registers,
        collect() {
          const c = replicas.counts;
          this.reset();
          this.inc({ target: "replica" }, c.replica);
          this.inc({ target: "primary" }, c.primary);
          this.inc({ target: "primary_retry" }, c.retried);
        },
      });
    }
    const health = () => this.events?.health();
    new Gauge({
      name: "gateway_event_bus_degraded",
      help: "1 while the event transport is degraded (EVENT_BUS=nats: NATS unreachable or no relay heard; events then come from a table poll), else 0",
      labelNames: ["transport"],
      registers,
      collect() {
        const h = health();
        if (h) this.set({ transport: h.transport }, h.state === "degraded" ? 1 : 0);
      },
    });
    new Gauge({
      name: "gateway_event_relay",
      help: "1 when this gateway is the elected relay publishing the outbox to NATS (EVENT_BUS=nats), else 0",
      registers,
      collect() {
        this.set(health()?.relay ? 1 : 0);
      },
    });
    // After the pool's gauges: its query would otherwise count itself as a connection in use.
    const lag = () => this.events?.oldestUndeliveredAgeSeconds() ?? Promise.resolve(0);
    new Gauge({
      name: "gateway_outbox_lag_seconds",
      help: "Age of the oldest status event committed but not yet dispatched by this gateway's event bus (0 when none)",
      registers,
      async collect() {
        this.set(await lag());
      },
    });
    const statements = this.statementDuration.labels(driver);
    this.stopStatements = pool.onStatement((seconds) => statements.observe(seconds));
  }

  /** The label of an operation name: itself while the set of names is below its bound. */
  operationName(name: string | null | undefined): string {
    if (!name) return UNNAMED;
    const known = this.names.get(name);
    if (known !== undefined) return known;
    if (this.names.size >= this.maxNames || !GRAPHQL_NAME.test(name)) return OTHER;
    this.names.set(name, name);
    return name;
  }

  /** One GraphQL operation over HTTP, answered (`outcome` OK or its first error's code). */
  operation(name: string | null | undefined, type: string, outcome: string, path: OperationPath, seconds: number): void {
    const label = this.operationName(name);
    const key = `${path}|${type}|${outcome}|${label}`;
    let child = this.operationChildren.get(key);
    if (!child) {
      child = this.operationDuration.labels(label, type, outcome, path);
      this.operationChildren.set(key, child);
    }
    child.observe(seconds);
  }

  httpRequest(route: string, status: number): void {
    let byStatus = this.httpChildren.get(route);
    if (!byStatus) this.httpChildren.set(route, (byStatus = new Map()));
    let child = byStatus.get(status);
    if (!child) byStatus.set(status, (child = this.httpRequests.labels(route, String(status))));
    child.inc();
  }

  /** Counts the error if it is a refusal by an abuse limit (refusalReason). */
  refusal(code: string | undefined, message: string, extensions?: Record<string, unknown>): void {
    const reason = refusalReason(code, message, extensions);
    if (reason !== undefined) this.refusals.labels(code!, reason).inc();
  }

  eventDelivered(role: string): void {
    this.delivered.labels(role).inc();
  }

  dailyUpdate(seconds: number, ok: boolean): void {
    this.dailyUpdateRuns.labels(ok ? "ok" : "error").inc();
    this.dailyUpdateDuration.observe(seconds);
  }

  /** The scrape: this gateway's series, then the process's. */
  async scrape(): Promise<string> {
    const own = await this.registry.metrics();
    return own + (await processMetrics().metrics());
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.stopStatements();
  }

  /**
   * Apollo plugin: times every operation Apollo's pipeline answers (the compiled-reads plugin's
   * answers are "compiled"; operations that reached execution "resolvers"; others "none") and
   * counts its refusal, if it was refused by a limit.
   */
  plugin(): ApolloServerPlugin<Context> {
    const metrics = this;
    return {
      async requestDidStart() {
        const started = performance.now();
        let operation: OperationDefinitionNode | null | undefined;
        let executed = false;
        return {
          async didResolveOperation(rc) {
            operation = rc.operation;
          },
          async executionDidStart() {
            executed = true;
          },
          async willSendResponse({ response, contextValue, request }) {
            const first = response.body.kind === "single" ? response.body.singleResult.errors?.[0] : undefined;
            const code = first ? String(first.extensions?.code ?? "INTERNAL_SERVER_ERROR") : "OK";
            if (first) metrics.refusal(code, first.message, first.extensions);
            const compiled = contextValue.compiled?.body !== undefined;
            const path: OperationPath = compiled ? "compiled" : executed ? "resolvers" : "none";
            const name = operation ? operation.name?.value : request.operationName;
            metrics.operation(name, operation?.operation ?? "unknown", code, path, (performance.now() - started) / 1000);
          },
        };
      },
    };
  }
}

/** Operation names of trusted documents (always kept as labels). */
export function operationNamesOf(documents: Iterable<string>): string[] {
  const names: string[] = [];
  for (const d of documents) {
    try {
      for (const def of parse(d, { noLocation: true }).definitions) {
        if (def.kind === "OperationDefinition" && def.name) names.push(def.name.value);
      }
    } catch {
      // a manifest's documents parse (persisted.ts); nothing to add otherwise
    }
  }
  return names;
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/**
 * Whether a main-port caller may read /metrics: an ADMIN token, or a loopback peer that is not
 * relaying for someone else (no X-Forwarded-For / Forwarded header).
 */
export async function mayScrape(req: IncomingMessage, tokens: TokenKey): Promise<boolean> {
  const auth = req.headers.authorization;
  if (auth) {
    try {
      return (await viewerFromAuthorization(tokens, auth)).role === "ADMIN";
    } catch {
      return false;
    }
  }
  return isLoopback(req.socket.remoteAddress) && req.headers["x-forwarded-for"] === undefined && req.headers.forwarded === undefined;
}

/** Answers GET /metrics with the scrape. */
export async function sendScrape(metrics: GatewayMetrics, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
    res.end("Use GET\n");
    return;
  }
  const text = await metrics.scrape();
  res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(text) });
  res.end(req.method === "HEAD" ? undefined : text);
}

/** The metrics port: /metrics only, unauthenticated (bind it to a private address). */
export async function startMetricsServer(metrics: GatewayMetrics, port: number, host: string): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const done = (status: number) => metrics.httpRequest("/metrics", status);
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("Not found\n");
      return;
    }
    sendScrape(metrics, req, res).then(
      () => done(res.statusCode),
      () => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
        done(500);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
