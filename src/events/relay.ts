/**
 * The outbox relay of EVENT_BUS=nats (nats-transport.ts): the one instance that reads committed
 * status events from the table and publishes them to NATS.
 *
 * Election: a session-level `pg_try_advisory_lock` on a connection reserved from the pool, tried
 * every second by the instances that are not the relay. The lock lives as long as the holder's
 * connection: when the holder dies (kill -9, lost network), PostgreSQL drops its backend, the lock
 * is free, and another instance takes over within about a second. The holder checks its lock's
 * connection at every heartbeat and resigns if it is gone. Correctness does not depend on there
 * being exactly one relay: two relays for a moment publish the same rows twice, and instances
 * skip rows at or below their last id. With PGlite (one process) this instance is the relay.
 *
 * Wake-ups of the relay: this process's commits, NOTIFY from the others (only the relay LISTENs),
 * a 2 s poll, and NATS coming back. It publishes from the last id it published, in id order, in
 * batches carrying the id before them (`prev`); a new relay starts from the last id its own
 * instance dispatched, so a batch the old relay never sent is sent again or found by the gap test.
 */
import type postgres from "postgres";
import { asc, gt } from "drizzle-orm";
import type { Database } from "../db/client.js";
import { statusEvents, type StatusEventRow } from "../db/schema.js";
import type { Logger } from "../shared/logger.js";
import { encodeBatch } from "./nats-wire.js";
import { NOTIFY_CHANNEL } from "./outbox.js";
import { CoalescedRunner } from "./coalesced.js";

/**
 * The session advisory lock whose holder is the relay. Taken: 727001 migrations (db/migrate.ts),
 * 727002 event order (outbox.ts), 727003 the APQ cap (server/persisted.ts).
 */
export const RELAY_LOCK = 727015;
const FETCH_BATCH = 500;
/** Rows per NATS message (well under the server's 1 MB max_payload with long reasons). */
const PUBLISH_CHUNK = 200;

export interface OutboxRelayOptions {
  database: Database;
  logger: Logger;
  /** Where this instance's bus is: a new relay starts publishing from there. */
  lastDispatched: () => bigint;
  /** Publish one message; false when NATS is not connected (nothing is marked published). */
  publish: (data: string) => boolean;
  connected: () => boolean;
  heartbeatMs: number;
  electionMs: number;
  pollMs: number;
}

export class OutboxRelay {
  /** This instance holds the lock and publishes. */
  active = false;
  /** The id of the last event published (the `prev` of the next batch). */
  published = 0n;
  private lockConn: postgres.ReservedSql | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private electionTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private electing: Promise<void> | undefined;
  private readonly runner = new CoalescedRunner(
    () => this.publishPending(),
    () => this.active && !this.closed,
    this.o.logger,
    "event relay: reading the outbox failed; will retry",
  );
  private checking = false;
  private closed = false;

  constructor(private readonly o: OutboxRelayOptions) {}

  async start(): Promise<void> {
    await this.elect();
    this.electionTimer = setInterval(() => void this.elect(), this.o.electionMs);
    this.electionTimer.unref();
    this.heartbeatTimer = setInterval(() => void this.beat(), this.o.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  private elect(): Promise<void> {
    if (this.active || this.closed) return Promise.resolve();
    this.electing ??= this.tryLock().finally(() => (this.electing = undefined));
    return this.electing;
  }

  private async tryLock(): Promise<void> {
    const pg = this.o.database.pg;
    try {
      if (!pg) return await this.become();
      const conn = await pg.reserve();
      let ok = false;
      try {
        const [r] = await conn`select pg_try_advisory_lock(${RELAY_LOCK}) as ok`;
        ok = r?.ok === true;
      } finally {
        if (!ok) conn.release();
      }
      if (!ok) return;
      if (this.closed) {
        await conn`select pg_advisory_unlock(${RELAY_LOCK})`.catch(() => {});
        conn.release();
        return;
      }
      this.lockConn = conn;
      await this.become();
    } catch (err) {
      this.o.logger.warn("event relay election failed; will retry", { error: err });
      await this.resign("election failed");
    }
  }

  private async become(): Promise<void> {
    this.published = this.o.lastDispatched();
    this.active = true;
    this.o.logger.info("event relay: this instance publishes the outbox to NATS", { from: this.published.toString() });
    const pg = this.o.database.pg;
    if (pg) {
      const req = await pg.listen(NOTIFY_CHANNEL, () => this.wake(), () => this.wake());
      this.unlisten = () => req.unlisten();
    }
    this.pollTimer = setInterval(() => this.wake(), this.o.pollMs);
    this.pollTimer.unref();
    this.wake();
  }

  private async resign(reason: string): Promise<void> {
    const wasActive = this.active;
    this.active = false;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    if (unlisten) await unlisten().catch(() => {});
    const conn = this.lockConn;
    this.lockConn = undefined;
    if (conn) {
      // A live connection must give the lock back before it returns to the pool; a dead one has.
      await conn`select pg_advisory_unlock(${RELAY_LOCK})`.catch(() => {});
      conn.release();
    }
    if (wasActive) this.o.logger.info("event relay: resigned", { reason });
  }

  /** Publish everything committed since the last publish (coalesced, in id order). */
  wake(): void {
    this.runner.wake();
  }

  private async publishPending(): Promise<void> {
    for (;;) {
      // Disconnected: nothing is marked published; NATS coming back wakes the relay again.
      if (!this.o.connected() || !this.active) return;
      const rows = (await this.o.database.db
        .select()
        .from(statusEvents)
        .where(gt(statusEvents.id, this.published))
        .orderBy(asc(statusEvents.id))
        .limit(FETCH_BATCH)) as StatusEventRow[];
      for (let i = 0; i < rows.length; i += PUBLISH_CHUNK) {
        const chunk = rows.slice(i, i + PUBLISH_CHUNK);
        if (!this.o.publish(encodeBatch(this.published, chunk))) return;
        this.published = chunk[chunk.length - 1]!.id;
      }
      if (rows.length < FETCH_BATCH) return;
    }
  }

  /** The heartbeat (`prev` = last published, no rows) and a check that the lock is still ours. */
  private async beat(): Promise<void> {
    if (!this.active || this.closed) return;
    this.o.publish(encodeBatch(this.published, []));
    const conn = this.lockConn;
    if (!conn || this.checking) return;
    this.checking = true;
    try {
      await conn`select 1`;
    } catch (err) {
      this.o.logger.warn("event relay: lost the lock's connection", { error: err });
      if (this.lockConn === conn) await this.resign("lock connection lost");
    } finally {
      this.checking = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.electionTimer) clearInterval(this.electionTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.electing?.catch(() => {});
    await this.runner.settled();
    await this.resign("shutting down");
  }
}
