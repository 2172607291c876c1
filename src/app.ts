/**
 * Start-up shared by `npm start` and the tests: database → migrations → products → server.
 */
import { connect, type Database } from "./db/client.js";
import { migrate } from "./db/migrate.js";
import { ensureProducts } from "./features/products/products.repo.js";
import type { Clock } from "./graphql/context.js";
import { startGateway, type Gateway, type GatewayOptions } from "./server/http.js";
import { createLogger, type Logger } from "./shared/logger.js";

export interface OpenDatabaseOptions {
  databaseUrl?: string;
  dataDir?: string;
  poolMax?: number;
  /** PostgreSQL `statement_timeout` of the pool (not of the migrations); 0/unset = none. */
  statementTimeoutMs?: number;
  /** Streaming replicas that take the reads (db/replicas.ts), and their lag bound. */
  readUrls?: string[];
  replicaMaxLagMs?: number;
  replicaCheckIntervalMs?: number;
}

/** Connect, apply migrations and make sure the products exist. */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.databaseUrl && opts.statementTimeoutMs) {
    // Migrations (an index on a big table) may take longer than any request should: their own connection.
    // Two connections: migrate() holds one for its advisory lock while the migrator uses the other.
    const migrator = await connect({ databaseUrl: opts.databaseUrl, poolMax: 2 });
    try {
      await migrate(migrator);
    } finally {
      await migrator.close();
    }
  }
  const database = await connect(opts);
  try {
    if (!(opts.databaseUrl && opts.statementTimeoutMs)) await migrate(database);
    await ensureProducts(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

export interface StartOptions {
  database: Database;
  jwtSecret: string;
  clock?: Clock;
  logger?: Logger;
  host?: string;
  port?: number;
  development?: boolean;
  eventRetentionDays?: number;
  wsKeepAliveMs?: number;
  compileReads?: boolean;
  compiledFastPath?: boolean;
  /** Abuse limits, rate limit, timeouts, persisted operations (see GatewayOptions). */
  guard?: Pick<
    GatewayOptions,
    "limits" | "authRateLimit" | "trustProxyHops" | "requestTimeoutMs" | "adminRequestTimeoutMs" | "persistedQueries" | "trustedDocuments"
  >;
  /** Prometheus metrics: own port or the main one (see GatewayOptions). */
  metrics?: GatewayOptions["metrics"];
  /** EVENT_BUS: how committed status events reach every instance (see GatewayOptions). */
  eventBus?: GatewayOptions["eventBus"];
}

export async function startServer(opts: StartOptions): Promise<Gateway> {
  return startGateway({
    database: opts.database,
    jwtSecret: opts.jwtSecret,
    clock: opts.clock ?? { now: () => new Date() },
    logger: opts.logger ?? createLogger("silent"),
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    development: opts.development ?? true,
    eventRetentionDays: opts.eventRetentionDays,
    wsKeepAliveMs: opts.wsKeepAliveMs,
    compileReads: opts.compileReads,
    compiledFastPath: opts.compiledFastPath,
    metrics: opts.metrics,
    eventBus: opts.eventBus,
    ...opts.guard,
  });
}
