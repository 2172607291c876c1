/**
 * How an instance learns that status events were committed (EVENT_BUS, config.ts). The outbox
 * table is the source of truth whatever the transport: a transport only wakes the bus (which then
 * reads the rows above the last id it dispatched) or hands it rows it can prove are the next ones
 * (`EventSink.deliver`, NATS). So a transport can lose, repeat or delay anything without an event
 * being lost, repeated or reordered; what it changes is latency and the load on the primary.
 *
 * - postgres (this file): every instance LISTENs on the primary (one connection each) and polls
 *   slowly as a safety net; its own commits wake it at once.
 * - nats (nats-transport.ts): one elected relay reads the outbox and publishes it to NATS; every
 *   instance delivers straight from the messages.
 */
import type { Database } from "../db/client.js";
import type { StatusEventRow } from "../db/schema.js";
import { NOTIFY_CHANNEL } from "./outbox.js";

/** What a transport drives: the event bus (bus.ts). */
export interface EventSink {
  /** The id of the last event dispatched to subscriptions. */
  readonly lastId: bigint;
  /** Catch up from the table (coalesced; reads every row above lastId, in id order). */
  wake(): void;
  /**
   * Rows known to be every committed event in (prev, last row's id]: dispatched straight when
   * prev <= lastId (rows at or below lastId skipped); otherwise a gap, and the bus catches up
   * from the table. Returns whether the batch could be used.
   */
  deliver(prev: bigint, rows: StatusEventRow[]): boolean;
}

/** What /readyz and the logs say about the transport. */
export interface TransportHealth {
  transport: "postgres" | "nats";
  /** "ok"; "degraded": events still reach subscribers, but from the slow table poll. */
  state: "ok" | "degraded";
  /** NATS only: whether the broker is connected, and whether this instance is the relay. */
  connected?: boolean;
  relay?: boolean;
  reason?: string;
}

export interface EventTransport {
  start(sink: EventSink): Promise<void>;
  /** This process committed a transaction that wrote status events. */
  committed(): void;
  health(): TransportHealth;
  close(): Promise<void>;
}

/**
 * LISTEN/NOTIFY: each instance holds one LISTEN connection on the primary; `recordStatusChanges`
 * NOTIFYs in the writing transaction, delivered only if it commits. Wakes: own commits at once,
 * NOTIFY from other instances, and a slow poll as a safety net (PGlite: own commits only, since
 * the embedded database serves one process).
 */
export class PostgresNotifyTransport implements EventTransport {
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private sink: EventSink | undefined;

  constructor(private readonly opts: { database: Database; pollMs?: number }) {}

  async start(sink: EventSink): Promise<void> {
    this.sink = sink;
    const pg = this.opts.database.pg;
    if (pg) {
      // postgres.js re-listens after a lost connection and calls onlisten again: catch up then.
      const req = await pg.listen(NOTIFY_CHANNEL, () => sink.wake(), () => sink.wake());
      this.unlisten = () => req.unlisten();
    }
    const poll = this.opts.pollMs ?? (pg ? 2000 : 0);
    if (poll > 0) {
      this.timer = setInterval(() => sink.wake(), poll);
      this.timer.unref();
    }
  }

  committed(): void {
    this.sink?.wake();
  }

  health(): TransportHealth {
    return { transport: "postgres", state: "ok" };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.unlisten) await this.unlisten().catch(() => {});
  }
}
