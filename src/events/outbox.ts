/**
 * Status changes: the permanent history (`status_changes`) and the outbox the subscriptions
 * publish from (`status_events`), both written in the caller's transaction. Event ids are
 * the resume cursors; a transaction-scoped advisory lock makes ids commit in id order, so a
 * reader that has seen id N will never later find a committed id below N.
 */
import { sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { isLostConnection, LOST_CONNECTION_ATTEMPTS } from "../db/pg-errors.js";
import { statusChanges, statusEvents } from "../db/schema.js";
import { eventRow, historyRow, type StatusChangeInput } from "../domain/status-changes.js";
import type { AppServices } from "../graphql/context.js";
import { withSpan } from "../shared/tracing.js";

export const EVENT_ORDER_LOCK = 727002;
export const NOTIFY_CHANNEL = "status_events";

/** Write history + outbox rows for status changes (one statement each, any number of changes). */
export async function recordStatusChanges(tx: Tx | Db, changes: StatusChangeInput[]): Promise<void> {
  if (changes.length === 0) return;
  wroteEvents.add(tx);
  await tx.insert(statusChanges).values(changes.map(historyRow));
  // Serialise event-id assignment with commit order (held until this transaction ends).
  await tx.execute(sql`select pg_advisory_xact_lock(${EVENT_ORDER_LOCK})`);
  await tx.insert(statusEvents).values(changes.map(eventRow));
  // Delivered to other instances only if and when the transaction commits.
  await tx.execute(sql`select pg_notify(${NOTIFY_CHANNEL}, '')`);
}

export async function recordStatusChange(tx: Tx | Db, change: StatusChangeInput): Promise<void> {
  return recordStatusChanges(tx, [change]);
}

/** Transactions that wrote status events (so their commit must wake the fan-out). */
const wroteEvents = new WeakSet<object>();

/**
 * Run `fn` in one transaction; after it commits, wake the in-process subscription fan-out if it
 * wrote status events (a payment that changes no status costs the bus no read). A rolled-back
 * transaction publishes nothing.
 *
 * A transaction that lost its connection before `fn` finished is run again (up to
 * LOST_CONNECTION_ATTEMPTS in all) on another connection: COMMIT was never sent, so the server
 * rolled it back and nothing of it exists. That
 * happens to the first statement on a pooled connection after a database restart (a connection
 * whose socket the restart closed, or whose old backend's 57P01 arrives late), and it must not
 * reach the caller once the database is back (test/faults/postgres-outage.test.ts). A lost
 * connection during COMMIT itself is not retried: whether it committed is unknown, so the caller
 * gets SERVICE_UNAVAILABLE and retries with its idempotency key, which says what happened.
 */
export async function transact<T>(app: Pick<AppServices, "database" | "afterEventsCommitted">, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let used: Tx | undefined;
    let bodyDone = false;
    try {
      // A trace span around the transaction: its statements (BEGIN/COMMIT aside) are its children.
      const result = await withSpan("db.transaction", { "db.system": "postgresql", "db.system.name": "postgresql" }, () =>
        app.database.db.transaction(async (tx) => {
          used = tx;
          const value = await fn(tx);
          bodyDone = true;
          return value;
        }),
      );
      if (used && wroteEvents.has(used)) app.afterEventsCommitted();
      return result;
    } catch (err) {
      if (bodyDone || attempt >= LOST_CONNECTION_ATTEMPTS || !isLostConnection(err)) throw err;
    }
  }
}
