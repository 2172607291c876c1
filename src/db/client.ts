/**
 * The database handle: PostgreSQL through postgres.js when a URL is given, otherwise the
 * embedded PGlite persisted in a directory (or in memory for tests).
 */
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import type { Logger } from "drizzle-orm/logger";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
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

export interface ConnectOptions {
  databaseUrl?: string;
  /** PGlite directory; "memory://" (or undefined) keeps it in memory. */
  dataDir?: string;
  poolMax?: number;
  /** PostgreSQL only: `statement_timeout` of every pooled connection (0/unset = none). */
  statementTimeoutMs?: number;
}

export async function connect(opts: ConnectOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pg = postgres(opts.databaseUrl, {
      max: opts.poolMax ?? 10,
      prepare: true,
      onnotice: () => {},
      // bigint columns come back as strings from postgres.js; drizzle maps them to BigInt.
      connection: {
        application_name: "julo-gateway",
        TimeZone: "UTC",
        ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
      },
    });
    const db = drizzlePostgres(pg, { schema, logger }) as unknown as Db;
    return {
      kind: "postgres",
      db,
      pg,
      async ping() {
        await pg`select 1`;
      },
      async close() {
        await pg.end({ timeout: 5 });
      },
    };
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
  const db = drizzlePglite(pglite, { schema, logger }) as unknown as Db;
  return {
    kind: "pglite",
    db,
    pglite,
    async ping() {
      await pglite.query("select 1");
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}

/** Run raw SQL and get plain rows back, whichever driver is underneath. */
export async function queryRows<T = Record<string, unknown>>(db: DbOrTx, query: SQL): Promise<T[]> {
  const res = (await db.execute(query)) as unknown as { rows?: T[] } | T[];
  return Array.isArray(res) ? (res as T[]) : ((res as { rows: T[] }).rows ?? []);
}
