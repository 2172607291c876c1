/**
 * The database handle: PostgreSQL through postgres.js when a URL is given, otherwise the
 * embedded PGlite persisted in a directory (or in memory for tests). With read URLs (PostgreSQL
 * only), `replicas` routes reads to streaming replicas (replicas.ts); `db` and `textQuery` stay
 * the primary's.
 */
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import type { Logger } from "drizzle-orm/logger";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite, PglitePreparedQuery } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres, PostgresJsPreparedQuery, PostgresJsSession } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { withStatementSpan } from "../shared/tracing.js";
import { isLostConnection, LOST_CONNECTION_ATTEMPTS, retryLostConnection } from "./pg-errors.js";
import { PoolStats, retriesReads, trackedPglite, trackedPostgres } from "./pool-stats.js";
import { fallbackClient, ReadReplicas, replicaName, type ReadTarget, type ReplicaHandle } from "./replicas.js";
import * as schema from "./schema.js";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle has the same query API as the database. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  kind: "postgres" | "pglite";
  db: Db;
  /** postgres.js client (PostgreSQL mode only): LISTEN/NOTIFY and health checks. */
  pg?: postgres.Sql;
  pglite?: PGlite;
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * One statement returning one text column `data` (the compiled reads), straight on the driver:
   * no query builder, no row mapping. Seen by `onQuery` like every other statement. `prepare`
   * (default true) keeps it as a named prepared statement on the connection (PostgreSQL); false
   * sends it unnamed, so nothing stays behind on the connection.
   */
  textQuery(text: string, params: unknown[], prepare?: boolean): Promise<string | null>;
  /** Statements and transactions in flight, and statement times (pool-stats.ts; metrics.ts). */
  pool: PoolStats;
  /** Read replicas (DATABASE_READ_URL): where reads go (replicas.ts). Undefined without read URLs. */
  replicas?: ReadReplicas<Db>;
}

type QueryListener = (query: string, params: unknown[]) => void;
const queryListeners = new Set<QueryListener>();

/** Observe every SQL statement sent through drizzle (statement-count tests, debugging). */
export function onQuery(listener: QueryListener): () => void {
  queryListeners.add(listener);
  return () => queryListeners.delete(listener);
}

const logger: Logger = {
  logQuery(query, params) {
    for (const l of queryListeners) l(query, params);
  },
};

const notify = (query: string, params: unknown[]) => {
  if (queryListeners.size) logger.logQuery(query, params);
};

/** Seconds to wait for a new PostgreSQL connection before failing the queries waiting on it. */
export const CONNECT_TIMEOUT_S = 5;

/** Seconds before reconnect attempt `retries` (1, 2, …): 0.2, 0.4, 0.8 then 1 s, with jitter. */
export function reconnectBackoff(retries: number): number {
  return Math.min(0.1 * 2 ** retries, 1) * (0.75 + Math.random() / 4);
}

/**
 * drizzle-orm 0.45 sends every query-builder statement unprepared unless it is given a name
 * (`prepare = name !== undefined`), so PostgreSQL parses and plans each payment's, loader's
 * and command's statements on every call, whatever the pool's `prepare: true` says. Giving
 * every statement the empty name makes postgres.js use its own named prepared statements
 * (cached per connection by query text). Our statements have a bounded set of texts: ids go
 * in `= any($1::uuid[])`, multi-row inserts are bounded by the tenor.
 */
let preparedByDefault = false;
function prepareDrizzleStatements(): void {
  if (preparedByDefault) return;
  preparedByDefault = true;
  const proto = PostgresJsSession.prototype as unknown as { prepareQuery: (...args: unknown[]) => unknown };
  const original = proto.prepareQuery;
  proto.prepareQuery = function (this: unknown, query: unknown, fields: unknown, name: unknown, ...rest: unknown[]) {
    return original.call(this, query, fields, name ?? "", ...rest);
  };
}

/**
 * Every statement drizzle sends, on both drivers: a trace span (shared/tracing.ts: its text,
 * never its values; with tracing off the wrapper only tests a flag), and on PostgreSQL more tries
 * (`retryLostConnection`) of a read that lost its connection outside a transaction on the
 * primary's pool. A SELECT outside a transaction changes nothing, so trying it again on another
 * pooled connection is always safe, and it is what keeps the first statement on a connection the
 * database's restart closed (or whose old backend's 57P01 arrives late) from failing a request
 * once the database is back (test/faults/postgres-outage.test.ts, test/db-connection-retry.test.ts).
 * Transactions are tried again as a whole, and only when they provably did not commit
 * (`transact`, events/outbox.ts). `textQuery` does the same; a replica's reads fall back to the
 * primary instead (replicas.ts).
 */
let statementsTraced = false;
function traceStatements(): void {
  if (statementsTraced) return;
  statementsTraced = true;
  for (const proto of [PostgresJsPreparedQuery.prototype, PglitePreparedQuery.prototype] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>[]) {
    for (const method of ["execute", "all"]) {
      const original = proto[method]!;
      proto[method] = function (this: { queryString: string; client: unknown }, ...args: unknown[]) {
        const send = () => withStatementSpan(this.queryString, () => original.apply(this, args));
        return retriesReads(this.client) && isRead(this.queryString) ? retryLostConnection(send) : send();
      };
    }
  }
}

/**
 * A statement that only reads (drizzle's selects). Outside a transaction even a locking
 * `select … for update` holds its locks only for itself, so it is as safe to repeat.
 */
function isRead(text: string): boolean {
  return text.startsWith("select ");
}

export interface ConnectOptions {
  databaseUrl?: string;
  /** PGlite directory; "memory://" (or undefined) keeps it in memory. */
  dataDir?: string;
  poolMax?: number;
  /** PostgreSQL only: `statement_timeout` of every pooled connection (0/unset = none). */
  statementTimeoutMs?: number;
  /** PostgreSQL only: streaming replicas that take the reads (replicas.ts). */
  readUrls?: string[];
  /** A replica lagging more than this leaves rotation (ms; default 1000). */
  replicaMaxLagMs?: number;
  /** How often each replica is checked (ms; default 250). */
  replicaCheckIntervalMs?: number;
}

export async function connect(opts: ConnectOptions): Promise<Database> {
  traceStatements();
  if (opts.databaseUrl) {
    const pg = postgresClient(opts.databaseUrl, opts);
    prepareDrizzleStatements();
    const pool = new PoolStats(opts.poolMax ?? 10);
    const trackedPg = trackedPostgres(pg, pool);
    const db = drizzlePostgres(trackedPg, { schema, logger }) as unknown as Db;
    const textQuery = textQueryOn(pg, pool);
    const database: Database = {
      kind: "postgres",
      db,
      pg,
      pool,
      async ping() {
        await pg`select 1`;
      },
      textQuery,
      async close() {
        await database.replicas?.close();
        await pg.end({ timeout: 5 });
      },
    };
    if (opts.readUrls?.length) {
      database.replicas = await startReplicas(database, trackedPg, opts.readUrls, opts);
    }
    return database;
  }
  let pglite: PGlite;
  if (!opts.dataDir || opts.dataDir === "memory://") {
    pglite = new PGlite();
  } else {
    mkdirSync(opts.dataDir, { recursive: true });
    pglite = new PGlite(opts.dataDir);
  }
  await pglite.waitReady;
  await pglite.exec("set time zone 'UTC'");
  const pool = new PoolStats(1);
  const db = drizzlePglite(trackedPglite(pglite, pool), { schema, logger }) as unknown as Db;
  return {
    kind: "pglite",
    db,
    pglite,
    pool,
    async ping() {
      await pglite.query("select 1");
    },
    async textQuery(text, params) {
      notify(text, params);
      const res = await pool.track(withStatementSpan(text, () => pglite.query<{ data: string | null }>(text, params)), true, true);
      return res.rows[0]?.data ?? null;
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}

/** A postgres.js pool with the gateway's connection settings (the primary's, and each replica's). */
function postgresClient(url: string, opts: ConnectOptions, max = opts.poolMax ?? 10): postgres.Sql {
  return postgres(url, {
    max,
    prepare: true,
    onnotice: () => {},
    // Fail fast and recover fast when the database goes away (see test/faults/): a dead host
    // is given up after CONNECT_TIMEOUT_S, and reconnect attempts are at most ~1 s apart.
    // postgres.js's default backoff grows to 20 s, so during and after an outage a request
    // waited up to 20 s for the next attempt, and so did the LISTEN connection's re-listen.
    connect_timeout: CONNECT_TIMEOUT_S,
    backoff: reconnectBackoff,
    // bigint columns come back as strings from postgres.js; drizzle maps them to BigInt.
    connection: {
      application_name: "julo-gateway",
      TimeZone: "UTC",
      // Every statement the gateway sends is parameterised by keys, pages and dates, so one
      // generic plan per prepared statement serves all values; PostgreSQL's default ("auto")
      // kept re-planning the compiled reads (custom plans looked cheaper for `limit $1`),
      // which cost ~30 % more database CPU per 50-customer page (bench/README.md).
      plan_cache_mode: "force_generic_plan",
      // No JIT compilation. The compiled reads are deep correlated subqueries that run in a few
      // ms, but without planner statistics (a bulk load before ANALYZE; autovacuum off) their
      // estimated cost reaches millions: above jit_above_cost / jit_optimize_above_cost,
      // PostgreSQL then JIT-compiled ~65 functions with inlining and optimisation on EVERY
      // execution (JIT code is not kept with the cached plan): 0.5–1 s of compilation for 5 ms of
      // work, the nested list fell to ~2 req/s (bench/README.md, "Planner statistics"). Nothing
      // the gateway sends is long enough to win it back.
      jit: "off",
      ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
    },
  });
}

// `simple: false`: postgres.js would otherwise use the simple protocol (re-planned every
// call) for a statement without parameters.
const PREPARED = { prepare: true, simple: false } as unknown as { prepare: boolean };
const UNPREPARED = { prepare: false, simple: false } as unknown as { prepare: boolean };

function textQueryOn(pg: postgres.Sql, pool: PoolStats): Database["textQuery"] {
  return async (text, params, prepare = true) => {
    notify(text, params);
    const options = prepare ? PREPARED : UNPREPARED;
    // A compiled read is a SELECT outside any transaction: safe to try again when its connection
    // was lost (see traceStatements). One plain `await` per try: the hot path of every compiled read.
    for (let attempt = 1; ; attempt++) {
      const at = pool.started();
      try {
        const rows = await withStatementSpan(text, () => pg.unsafe<{ data: string | null }[]>(text, params as postgres.ParameterOrJSON<never>[], options));
        return rows[0]?.data ?? null;
      } catch (err) {
        if (attempt >= LOST_CONNECTION_ATTEMPTS || !isLostConnection(err)) throw err;
      } finally {
        pool.ended(at);
      }
    }
  };
}

/**
 * A pool per read URL, each read target falling back to the primary (replicas.ts), and a health
 * check connection per replica; resolves after the first check.
 */
async function startReplicas(primary: Database, trackedPrimary: postgres.Sql, urls: string[], opts: ConnectOptions): Promise<ReadReplicas<Db>> {
  const primaryTarget: ReadTarget<Db> = { name: "primary", replica: false, db: primary.db, textQuery: primary.textQuery };
  let replicas: ReadReplicas<Db> | undefined;
  const handles: ReplicaHandle<Db>[] = urls.map((url) => {
    const pg = postgresClient(url, opts);
    // Not the primary's statistics (its gauges say how busy the primary's pool is); statement
    // times go nowhere yet.
    const pool = new PoolStats(opts.poolMax ?? 10);
    const probe = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 2, backoff: () => 0.1, idle_timeout: 0, connection: { application_name: "julo-gateway-replica-check" } });
    const replicaText = textQueryOn(pg, pool);
    const target: ReadTarget<Db> = {
      name: replicaName(url),
      replica: true,
      db: drizzlePostgres(
        fallbackClient(
          trackedPostgres(pg, pool),
          trackedPrimary,
          (err, onPrimary) => replicas!.retried(target, err, onPrimary),
          (start) => replicas!.watch(target, start),
        ),
        { schema, logger },
      ) as unknown as Db,
      async textQuery(text, params, prepare) {
        try {
          return await replicas!.watch(target, () => replicaText(text, params, prepare));
        } catch (err) {
          return replicas!.retried(target, err, () => primary.textQuery(text, params, prepare));
        }
      },
    };
    return {
      url,
      target,
      async probe() {
        const [row] = await probe<{ rec: boolean; lsn: string | null }[]>`
          select pg_is_in_recovery() as rec,
                 (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end)::text as lsn`;
        return { inRecovery: row!.rec, lsn: row!.lsn };
      },
      async close() {
        await Promise.all([pg.end({ timeout: 5 }), probe.end({ timeout: 1 })]);
      },
    };
  });
  replicas = new ReadReplicas<Db>({
    primary: primaryTarget,
    async primaryLsn() {
      const [row] = await primary.pg!<{ lsn: string }[]>`select pg_current_wal_lsn()::text as lsn`;
      return row!.lsn;
    },
    replicas: handles,
    maxLagMs: opts.replicaMaxLagMs ?? 1_000,
    checkIntervalMs: opts.replicaCheckIntervalMs,
  });
  await replicas.start();
  return replicas;
}

/** Run raw SQL and get plain rows back, whichever driver is underneath. */
export async function queryRows<T = Record<string, unknown>>(db: DbOrTx, query: SQL): Promise<T[]> {
  const res = (await db.execute(query)) as unknown as { rows?: T[] } | T[];
  return Array.isArray(res) ? (res as T[]) : ((res as { rows: T[] }).rows ?? []);
}
