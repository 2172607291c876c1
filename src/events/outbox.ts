/**
 * Status changes: the permanent history (`status_changes`) and the outbox the subscriptions
 * publish from (`status_events`), both written in the caller's transaction. Event ids are
 * the resume cursors; a transaction-scoped advisory lock makes ids commit in id order, so a
 * reader that has seen id N will never later find a committed id below N.
 */
import { sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
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
 */
export async function transact<T>(app: Pick<AppServices, "database" | "afterEventsCommitted">, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let used: Tx | undefined;
  // A trace span around the transaction: its statements (BEGIN/COMMIT aside) are its children.
  const result = await withSpan("db.transaction", { "db.system": "postgresql", "db.system.name": "postgresql" }, () =>
    app.database.db.transaction((tx) => {
      used = tx;
      return fn(tx);
    }),
  );
  if (used && wroteEvents.has(used)) app.afterEventsCommitted();
  return result;
}
