/**
 * What the gateway can tell of its database pool (metrics.ts): neither postgres.js nor PGlite
 * exposes pool statistics, so the clients drizzle is given are wrapped to count what is in flight.
 * `active` = statements in flight outside transactions + open transactions (each holds one
 * connection from its start to its end); against `max` (the pool's size; PGlite runs one at a
 * time) that says how many connections are in use and how many callers wait. Every statement's
 * time (from sending, including any wait for a connection, to its result) goes to the listeners.
 */
import type { PGlite } from "@electric-sql/pglite";
import type postgres from "postgres";

type StatementListener = (seconds: number) => void;

export class PoolStats {
  active = 0;
  private readonly listeners = new Set<StatementListener>();

  constructor(readonly max: number) {}

  onStatement(listener: StatementListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A statement outside a transaction starts: counted in flight; returns its start for `ended`.
   * (For an `await`ed statement: no promise of its own. `track` and the retry's `.catch` around
   * each compiled read cost ~20 µs of CPU per request in extra promise hops, 11 % of a point
   * read: bench/overhead.sh, bench/results/overhead-20261205T003410Z.)
   */
  started(): number {
    this.active++;
    return performance.now();
  }

  /** The statement `started` returned `at` for has settled. */
  ended(at: number): void {
    this.active--;
    this.timed(at);
  }

  /** A statement sent at `at` has its result: its time goes to the listeners. */
  private timed(at: number): void {
    if (this.listeners.size) {
      const s = (performance.now() - at) / 1000;
      for (const l of this.listeners) l(s);
    }
  }

  /** Times one promise of a statement (or transaction: `holds`) from now to its settling. */
  track<T>(work: PromiseLike<T>, holds: boolean, statement: boolean): Promise<T> {
    const started = performance.now();
    if (holds) this.active++;
    const end = () => {
      if (holds) this.active--;
      if (statement) this.timed(started);
    };
    return Promise.resolve(work).then(
      (v) => {
        end();
        return v;
      },
      (e) => {
        end();
        throw e;
      },
    );
  }
}

type Pending = postgres.PendingQuery<postgres.Row[]>;

/**
 * A postgres.js query is lazy: it is sent when first awaited (`then`). Its `then` is wrapped on
 * the instance so the count starts then, and `.values()` (which returns the query) keeps working.
 */
function timedQuery(q: Pending, stats: PoolStats, holds: boolean): Pending {
  const then = q.then;
  let tracked: Promise<unknown> | undefined;
  (q as { then: unknown }).then = function (this: Pending, onOk?: (v: unknown) => unknown, onErr?: (e: unknown) => unknown) {
    tracked ??= stats.track(
      { then: (ok: (v: unknown) => unknown, err: (e: unknown) => unknown) => then.call(q, ok as never, err) } as PromiseLike<unknown>,
      holds,
      true,
    );
    return tracked.then(onOk, onErr);
  };
  return q;
}

/** The clients `trackedPostgres` made for drizzle outside a transaction (client.ts retries their reads). */
const poolClients = new WeakSet<object>();

/** Whether a statement sent through this drizzle client runs outside a transaction on a pool of PostgreSQL connections. */
export function retriesReads(client: unknown): boolean {
  return (typeof client === "function" || typeof client === "object") && client !== null && poolClients.has(client);
}

/** The postgres.js client as drizzle should see it: `unsafe`, `begin` and `savepoint` counted. */
export function trackedPostgres(sql: postgres.Sql, stats: PoolStats, inTransaction = false): postgres.Sql {
  const proxy = new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === "unsafe") {
        return (...args: Parameters<postgres.Sql["unsafe"]>) => timedQuery(target.unsafe(...args), stats, !inTransaction);
      }
      if (prop === "begin" || prop === "savepoint") {
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.TransactionSql) => unknown;
          const run = (target as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[prop]!(...args, (tx: postgres.TransactionSql) =>
            fn(trackedPostgres(tx as unknown as postgres.Sql, stats, true) as unknown as postgres.TransactionSql),
          );
          return stats.track(run, prop === "begin" && !inTransaction, false);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  if (!inTransaction) poolClients.add(proxy);
  return proxy;
}

interface PgliteLike {
  query: PGlite["query"];
  transaction?: PGlite["transaction"];
}

/** The PGlite instance (or a transaction of it) as drizzle should see it: `query` and `transaction` counted. */
export function trackedPglite<T extends PgliteLike>(db: T, stats: PoolStats, inTransaction = false): T {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "query") {
        return (...args: Parameters<PGlite["query"]>) => stats.track(target.query(...args), !inTransaction, true);
      }
      if (prop === "transaction" && !inTransaction) {
        return (fn: (tx: Parameters<Parameters<PGlite["transaction"]>[0]>[0]) => Promise<unknown>) =>
          stats.track(
            target.transaction!((tx) => fn(trackedPglite(tx, stats, true))),
            true,
            false,
          );
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" && prop !== "constructor" ? v.bind(target) : v;
    },
  });
}
