/** config → database → schema → HTTP + WebSocket → graceful stop. */
import "reflect-metadata";
import { ConfigError, loadConfig } from "./config.js";
import { openDatabase, startServer } from "./app.js";
import { mintToken, tokenKey } from "./auth/tokens.js";
import { startDailyUpdateTimer } from "./features/loans/daily-update-timer.js";
import { createLogger } from "./shared/logger.js";
import { isConnectionError } from "./db/pg-errors.js";
import { startTracing, type Tracing } from "./shared/tracing.js";
import { isEmpty, seedPortfolio } from "./demo/seed.js";
import { TrustedDocuments } from "./server/persisted.js";

/** Size of the demo portfolio made on an empty database. */
const DEMO_CUSTOMERS = 150;

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  // postgres.js 3.4.9 rejects a promise of its own that nobody awaits when a backend dies while a
  // new connection starts (its array-type lookup; porsager/postgres#1223). That is a lost
  // connection, which the pool recovers from by itself, and must not end the process (seen while
  // terminating every backend of the pool, test/db-connection-retry.test.ts). Anything else
  // unhandled still ends it, as Node does by default.
  process.on("unhandledRejection", (reason) => {
    if (!isConnectionError(reason)) throw reason;
    logger.warn("database connection lost outside any request", { error: reason });
  });
  logger.info("starting", {
    database: config.databaseUrl ? "postgres" : `pglite:${config.dataDir}`,
    ...(config.databaseReadUrls.length ? { readReplicas: config.databaseReadUrls.length, replicaMaxLagMs: config.replicaMaxLagMs } : {}),
    env: config.nodeEnv,
    eventBus: config.eventBus === "nats" ? `nats (${config.natsUrl})` : "postgres",
  });
  // Traces only when OTEL_* configure them (config.ts); otherwise no SDK is loaded at all.
  let tracing: Tracing | undefined;
  if (config.tracing) {
    tracing = await startTracing(config.tracing);
    logger.info("tracing", { exporter: "otlp-http", url: config.tracing.tracesUrl, serviceName: config.tracing.serviceName });
  }
  let trustedDocuments: TrustedDocuments | undefined;
  try {
    trustedDocuments = config.trustedDocuments ? TrustedDocuments.load(config.trustedDocuments) : undefined;
  } catch (err) {
    console.error(`Configuration error: ${(err as Error).message}`);
    process.exit(2);
  }
  if (trustedDocuments) logger.info("trusted documents only (non-ADMIN)", { documents: trustedDocuments.size });
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolMax: config.dbPoolMax,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    readUrls: config.databaseReadUrls,
    replicaMaxLagMs: config.replicaMaxLagMs,
  });
  const gateway = await startServer({
    database,
    jwtSecret: config.jwtSecret,
    logger,
    host: config.host,
    port: config.port,
    development: config.nodeEnv !== "production",
    eventRetentionDays: config.eventRetentionDays,
    wsKeepAliveMs: config.wsKeepAliveMs,
    compileReads: config.compiledReads,
    compiledFastPath: config.compiledFastPath,
    metrics: { port: config.metricsPort, host: config.metricsHost, operationNames: config.metricsOperationNames },
    eventBus: config.eventBus === "nats" ? { transport: "nats", servers: config.natsUrl } : { transport: "postgres" },
    guard: {
      limits: { maxLength: config.maxQueryLength, maxTokens: config.maxQueryTokens, maxAliases: config.maxQueryAliases },
      authRateLimit: { perWindow: config.authRateLimitPerMinute },
      trustProxyHops: config.trustProxyHops,
      requestTimeoutMs: config.requestTimeoutMs,
      adminRequestTimeoutMs: config.adminRequestTimeoutMs,
      persistedQueries: config.persistedQueries
        ? {
            ttlSeconds: config.persistedQueryTtlSeconds,
            registrationsPerHour: config.persistedQueryRegistrationsPerHour,
            maxEntries: config.persistedQueryMaxEntries,
          }
        : false,
      trustedDocuments,
    },
  });
  logger.info("listening", { url: `${gateway.url}/graphql`, metrics: gateway.metricsUrl ?? `${gateway.url}/metrics` });

  if (config.seedDemo && (await isEmpty(gateway.app))) {
    const started = Date.now();
    logger.info("creating the demo portfolio (SEED_DEMO=false to skip)");
    const result = await seedPortfolio(gateway.app, { customers: DEMO_CUSTOMERS, partners: 3 });
    logger.info("demo portfolio ready", { ...result, seconds: Math.round((Date.now() - started) / 1000) });
  }

  if (config.nodeEnv !== "production") {
    const admin = await mintToken(tokenKey(config.jwtSecret), { role: "ADMIN", sub: "playground", expiresIn: "12h" });
    // The pages come with a development token only when opened on this machine by a loopback
    // name (src/server/static.ts): on a wildcard address, point at 127.0.0.1.
    const pages = config.host === "0.0.0.0" || config.host === "::" ? `http://127.0.0.1:${gateway.port}` : gateway.url;
    const lines = [
      "",
      `  GraphQL:     ${gateway.url}/graphql`,
      `  Playground:  ${pages}/playground`,
      `  Dashboard:   ${pages}/dashboard   (partner view; "Use demo partner" at localhost/127.0.0.1)`,
      `  Health:      ${gateway.url}/healthz  ${gateway.url}/readyz`,
      `  Metrics:     ${gateway.metricsUrl ?? `${gateway.url}/metrics   (ADMIN token, or from this machine)`}`,
      `  Database:    ${database.kind === "pglite" ? `embedded PGlite in ${config.dataDir}` : "PostgreSQL (DATABASE_URL)"}`,
      "",
      "  ADMIN token (12 h; paste into the playground's headers as",
      '  {"Authorization": "Bearer <token>"}; the pages prefill tokens only at localhost/127.0.0.1',
      "  from this machine):",
      "",
      `  ${admin}`,
      "",
      config.jwtSecretGenerated
        ? `  (no JWT_SECRET set: using a development secret kept in ${config.dataDir}/jwt-secret;\n   mint more tokens with: npm run token -- --role PARTNER --sub <partner id>)\n`
        : "",
    ];
    process.stdout.write(lines.join("\n") + "\n");
  }

  // After the demo seed: a tick racing the seed's back-dated postings could charge fees as of
  // today on installments the seed is about to record as paid.
  const stopDailyUpdateTimer = startDailyUpdateTimer({
    app: gateway.app,
    intervalMinutes: config.dailyUpdateIntervalMinutes,
    logger,
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    // Also keeps the event loop alive while the embedded database closes (its close awaits
    // WebAssembly work that holds no handle; without this, Node would exit half-way).
    const deadline = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, 20_000);
    try {
      const timerStopped = stopDailyUpdateTimer(); // no new runs; a run in progress finishes
      await gateway.close();
      await timerStopped;
      logger.debug("shutdown: closing the database");
      await database.close();
      // The last spans are exported before the process exits.
      await tracing?.shutdown().catch((err) => logger.warn("trace export at shutdown failed", { error: err }));
      clearTimeout(deadline);
      logger.info("stopped");
      process.exit(0);
    } catch (err) {
      logger.error("shutdown failed", { error: err });
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err) => {
  console.error("Fatal:", err instanceof Error ? err.message : err);
  process.exit(1);
});
