/**
 * The gateway: HTTP (Apollo on plain node:http) and WebSocket (graphql-ws) on one port and path.
 * `startGateway` is the composition root; the parts it wires are
 * - lifecycle.ts: the event bus and app services, hourly pruning, process-wide settings, shutdown;
 * - abuse-limits.ts: rate limiter, APQ cache and the OperationGuard both transports run;
 * - graphql-execution.ts: /graphql over HTTP (checks, deadline, compiled fast path, Apollo);
 * - http-routes.ts: the node:http server and its routes (/graphql, /healthz, /readyz, static.ts);
 * - websocket.ts: graphql-ws on the same port and path.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { tokenKey } from "../auth/tokens.js";
import type { Database } from "../db/client.js";
import type { AppServices, Clock } from "../graphql/context.js";
import type { Logger } from "../shared/logger.js";
import { createAbuseLimits } from "./abuse-limits.js";
import { GraphQLExecution } from "./graphql-execution.js";
import { createHttpServer, listen } from "./http-routes.js";
import { installProcessSettings, shutDown, ShutdownGate, startHourlyPruning, startServices, type EventBusOption } from "./lifecycle.js";
import { GatewayMetrics, operationNamesOf, startMetricsServer } from "./metrics.js";
import type { QueryLimits } from "./limits.js";
import type { TrustedDocuments } from "./persisted.js";
import { buildGatewaySchema } from "./schema.js";
import { staticRoutes } from "./static.js";
import { attachWebSocket } from "./websocket.js";

export { MAX_BODY_BYTES } from "./http-routes.js";

export interface GatewayOptions {
  database: Database;
  jwtSecret: string;
  clock: Clock;
  logger: Logger;
  host: string;
  port: number;
  /** Introspection for everyone (development); otherwise ADMIN only. */
  development: boolean;
  /** WebSocket keep-alive: a ping frame every N ms; a peer that stops answering is dropped. */
  wsKeepAliveMs?: number;
  /** Status events are kept at least this many days (minimum 7). */
  eventRetentionDays?: number;
  /** How committed status events reach every instance (EVENT_BUS): LISTEN/NOTIFY (default) or NATS. */
  eventBus?: EventBusOption;
  /** Answer compilable reads with one SQL statement each (default true; false = resolvers only). */
  compileReads?: boolean;
  /**
   * Answer plain compilable POST reads before Apollo (compiler/fast-path.ts; default true with
   * compileReads). false = every compiled read goes through Apollo's pipeline and its plugin.
   */
  compiledFastPath?: boolean;
  /** Optional extra HTTP routes (e.g. the playground's static files); return true when handled. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  /** Abuse limits of every operation (limits.ts); unset ones keep DEFAULT_QUERY_LIMITS. */
  limits?: Partial<QueryLimits>;
  /**
   * Per-client-IP limit on login and registerCustomer (rate-limit.ts): calls per window
   * (default 30 a minute; 0 = off). `store` defaults to the database with PostgreSQL, memory on PGlite.
   */
  authRateLimit?: { perWindow: number; windowMs?: number; now?: () => number; store?: "memory" | "database" };
  /** Reverse proxies whose X-Forwarded-For is trusted for the client IP (default 0). */
  trustProxyHops?: number;
  /** HTTP execution deadline (default 30 s; ADMIN: 10 min). */
  requestTimeoutMs?: number;
  adminRequestTimeoutMs?: number;
  /**
   * Automatic persisted queries (default on, entries kept 7 days); false turns them off.
   * `registrationsPerHour`: new entries per client IP per window (default 100 an hour; ADMIN and
   * PARTNER exempt; 0 = no per-client cap); `maxEntries`: rows kept in all (default 5,000, the
   * oldest evicted). `windowMs`/`now`: for tests. The counters use the auth rate limit's store.
   */
  persistedQueries?: false | { ttlSeconds?: number; registrationsPerHour?: number; maxEntries?: number; windowMs?: number; now?: () => number };
  /** Trusted-documents mode: non-ADMIN callers may run only these documents. */
  trustedDocuments?: TrustedDocuments;
  /**
   * Prometheus metrics (metrics.ts). `port` set: /metrics on that port of `host` (default
   * 127.0.0.1), unauthenticated, and not on the main port; unset: on the main port for ADMIN
   * tokens and loopback callers. `operationNames`: distinct operation names kept as labels (200).
   */
  metrics?: { port?: number; host?: string; operationNames?: number };
}

export interface Gateway {
  url: string;
  port: number;
  httpServer: Server;
  app: AppServices;
  /** Subscription event executions actually run (one per event and distinct subscription). */
  subscriptionExecutions(): number;
  /** HTTP reads answered by a compiled statement: in all, and by the fast path before Apollo. */
  compiledReads(): { answered: number; fastPath: number };
  /** The Prometheus metrics; `metricsUrl` is set when they are served on a port of their own. */
  metrics: GatewayMetrics;
  metricsUrl?: string;
  close(): Promise<void>;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { database, logger, jwtSecret, development } = opts;
  const schema = buildGatewaySchema();
  const tokens = tokenKey(jwtSecret);
  const metrics = new GatewayMetrics({
    database,
    operationNames: opts.metrics?.operationNames,
    knownOperationNames: opts.trustedDocuments ? operationNamesOf(opts.trustedDocuments.documents()) : undefined,
  });
  const services = await startServices({ database, logger, clock: opts.clock, jwtSecret, eventRetentionDays: opts.eventRetentionDays, metrics, eventBus: opts.eventBus });
  const limits = createAbuseLimits({ ...opts, schema });
  const pruning = startHourlyPruning({ pruneEvents: services.pruneEvents, limits: [limits.rateLimiter, limits.apq?.cache], logger });
  const restoreProcessSettings = installProcessSettings({ logger, jwtSecret });
  const graphql = await GraphQLExecution.start({ ...opts, schema, app: services.app, tokens, guard: limits.guard, apq: limits.apq, metrics });
  const gate = new ShutdownGate();
  const httpServer = createHttpServer({
    graphql: graphql.handle,
    statics: staticRoutes({ development, jwtSecret, database, logger }),
    extraRoutes: opts.extraRoutes,
    database,
    events: services.events,
    gate,
    logger,
    metrics,
    // With a metrics port, /metrics is only there.
    metricsRoute: opts.metrics?.port === undefined ? { tokens } : undefined,
    tokens,
  });
  const websocket = attachWebSocket({
    httpServer,
    schema,
    app: services.app,
    tokens,
    guard: limits.guard,
    gate,
    trustProxyHops: opts.trustProxyHops,
    keepAliveMs: opts.wsKeepAliveMs,
    metrics,
  });
  const stop = () => shutDown({ gate, httpServer, websocket, pruning, events: services.events, graphql, restoreProcessSettings, logger });
  const { port, url } = await listen(httpServer, opts.port, opts.host);
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  try {
    if (opts.metrics?.port !== undefined) metricsServer = await startMetricsServer(metrics, opts.metrics.port, opts.metrics.host ?? "127.0.0.1");
  } catch (err) {
    // The metrics port is taken (or its address is not ours): nothing of this gateway is left running.
    await stop();
    metrics.close();
    throw err;
  }
  return {
    url,
    port,
    httpServer,
    app: services.app,
    subscriptionExecutions: websocket.executions,
    compiledReads: () => graphql.counts(),
    metrics,
    metricsUrl: metricsServer?.url,
    close: async () => {
      await stop();
      await metricsServer?.close();
      metrics.close();
    },
  };
}
