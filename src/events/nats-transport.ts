/**
 * EVENT_BUS=nats: committed status events fan out through core NATS, the outbox stays the truth.
 *
 * One instance is the relay (relay.ts), elected with a PostgreSQL advisory lock. It reads the
 * outbox in id order and publishes it as batches `{prev, rows}`: the rows are every committed
 * event in (prev, last row's id]. Every instance (the relay too) subscribes and delivers straight
 * from the message when `prev` is at or below the last id it dispatched; a larger `prev` means it
 * missed something (a message lost while NATS was down, a relay change, a late start), and it
 * catches up from the table. The gap test is on the previous published id, never on id + 1:
 * rolled-back transactions leave holes in the id sequence. The relay also publishes a heartbeat
 * (`{prev: last published, rows: []}`) every second, so a lost last message is noticed within a
 * second, and instances know a relay is alive.
 *
 * Degraded mode: while this instance has no NATS connection, or has heard no relay for three
 * heartbeats, it polls the table (every 2 s, and at once after its own commits), so subscribers
 * still get every event, later. /readyz stays 200 and says "degraded" (http-routes.ts): NATS is
 * shared by every instance, so failing readiness would take the whole fleet out of the balancer
 * for what is only added latency. On reconnect the instance catches up from the table and the
 * relay resumes from the last id it published; rows at or below an instance's last id are
 * skipped, so nothing is delivered twice.
 *
 * Only the relay holds a LISTEN connection (and the advisory lock's connection); the other
 * instances read the primary only to catch up after a gap and for `after:` replays.
 */
import { createHash, randomUUID } from "node:crypto";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Database } from "../db/client.js";
import type { Logger } from "../shared/logger.js";
import { decodeBatch } from "./nats-wire.js";
import { OutboxRelay } from "./relay.js";
import type { EventSink, EventTransport, TransportHealth } from "./transport.js";

const SUBJECT_PREFIX = "lending.status_events";
/**
 * The subject of one database's events: a hash of the PostgreSQL cluster's system identifier and
 * the database, so deployments (or test databases) sharing one NATS never see each other's
 * events. An embedded PGlite serves one process: a random subject of its own.
 */
export async function eventSubject(database: Database): Promise<string> {
  const pg = database.pg;
  if (!pg) return `${SUBJECT_PREFIX}.pglite-${randomUUID().slice(0, 8)}`;
  const [db] = await pg`select current_database() as name, (select oid::text from pg_database where datname = current_database()) as oid`;
  let system = "";
  try {
    const [s] = await pg`select system_identifier::text as id from pg_control_system()`;
    system = String(s?.id ?? "");
  } catch {
    // Not allowed to read it: the database's name and oid only.
  }
  const hash = createHash("sha256").update(`${system}/${db?.oid}/${db?.name}`).digest("hex").slice(0, 16);
  return `${SUBJECT_PREFIX}.${hash}`;
}

export interface NatsTransportOptions {
  database: Database;
  logger: Logger;
  /** One or more comma-separated nats://host:port (config.ts NATS_URL). */
  servers: string;
  /** The relay's heartbeat; an instance that hears no relay for 3 of them polls the table. */
  heartbeatMs?: number;
  /** How often a non-relay instance tries to take the relay's lock. */
  electionMs?: number;
  /** The table poll of the relay (safety net) and of a degraded instance. */
  pollMs?: number;
}

export class NatsTransport implements EventTransport {
  private nc: NatsConnection | undefined;
  private connected = false;
  private sink: EventSink | undefined;
  private subject = "";
  private relay: OutboxRelay | undefined;
  private lastRelayHeard = Date.now();
  private pollTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private wasDegraded = false;
  private lastPoll = 0;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  /** Batches received, and how many of them could not be used (a gap: caught up from the table). */
  received = 0;
  gaps = 0;

  constructor(private readonly opts: NatsTransportOptions) {
    this.heartbeatMs = opts.heartbeatMs ?? 1000;
    this.pollMs = opts.pollMs ?? 2000;
  }

  /** The NATS subject this instance publishes to and listens on. */
  get eventSubject(): string {
    return this.subject;
  }

  get isRelay(): boolean {
    return this.relay?.active ?? false;
  }

  async start(sink: EventSink): Promise<void> {
    this.sink = sink;
    this.subject = await eventSubject(this.opts.database);
    this.relay = new OutboxRelay({
      database: this.opts.database,
      logger: this.opts.logger,
      lastDispatched: () => sink.lastId,
      publish: (data) => this.publish(data),
      connected: () => this.connected,
      heartbeatMs: this.heartbeatMs,
      electionMs: this.opts.electionMs ?? 1000,
      pollMs: this.pollMs,
    });
    // One attempt now; if NATS is down the gateway starts degraded and keeps trying.
    if (!(await this.connectOnce())) this.retryConnect();
    this.pollTimer = setInterval(() => this.checkDegraded(), Math.min(this.pollMs, this.heartbeatMs));
    this.pollTimer.unref();
    await this.relay.start();
  }

  private retryConnect(): void {
    if (this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      void this.connectOnce().then((ok) => ok || this.retryConnect());
    }, 500);
    this.reconnectTimer.unref();
  }

  private async connectOnce(): Promise<boolean> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: this.opts.servers.split(","),
        name: `lending-gateway-${process.pid}`,
        // Never give up: the bus is degraded (table poll) meanwhile, not dead.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        timeout: 2000,
        pingInterval: 5000,
        maxPingOut: 2,
      });
    } catch (err) {
      if (!this.wasDegraded) this.opts.logger.warn("NATS unreachable; events come from the table poll until it is back", { error: err });
      this.wasDegraded = true;
      return false;
    }
    if (this.closed) {
      await nc.close().catch(() => {});
      return true;
    }
    this.nc = nc;
    this.connected = true;
    this.lastRelayHeard = Date.now();
    nc.subscribe(this.subject, {
      callback: (err, msg) => {
        if (!err) this.onMessage(msg.string());
      },
    });
    void this.watch(nc);
    this.opts.logger.info("NATS connected", { server: nc.getServer(), subject: this.subject });
    // Anything committed before the subscription existed comes from the table.
    this.sink?.wake();
    this.relay?.wake();
    return true;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        this.connected = false;
        this.opts.logger.warn("NATS disconnected; events come from the table poll until it is back", { server: s.server });
      } else if (s.type === "reconnect") {
        this.connected = true;
        this.lastRelayHeard = Date.now();
        this.opts.logger.info("NATS reconnected; catching up from the table", { server: s.server });
        this.sink?.wake();
        this.relay?.wake();
      }
    }
  }

  private onMessage(text: string): void {
    const batch = decodeBatch(text);
    if (!batch || !this.sink) return;
    this.lastRelayHeard = Date.now();
    this.received++;
    if (!this.sink.deliver(batch.prev, batch.rows)) this.gaps++;
  }

  private publish(data: string): boolean {
    if (!this.nc || !this.connected) return false;
    try {
      this.nc.publish(this.subject, data);
      return true;
    } catch {
      return false;
    }
  }

  private degradedReason(): string | undefined {
    if (!this.connected) return "NATS not connected";
    if (Date.now() - this.lastRelayHeard > 3 * this.heartbeatMs) return "no relay heard";
    return undefined;
  }

  private checkDegraded(): void {
    if (this.closed) return;
    const reason = this.degradedReason();
    if (reason && Date.now() - this.lastPoll >= this.pollMs) {
      this.lastPoll = Date.now();
      this.sink?.wake();
    }
    if (!reason && this.wasDegraded) this.opts.logger.info("event bus back to NATS delivery");
    this.wasDegraded = !!reason;
  }

  committed(): void {
    if (this.relay?.active) this.relay.wake();
    // Nobody would hand us our own events soon: read them from the table at once.
    if (this.degradedReason()) this.sink?.wake();
  }

  health(): TransportHealth {
    const reason = this.degradedReason();
    return { transport: "nats", state: reason ? "degraded" : "ok", connected: this.connected, relay: this.isRelay, ...(reason ? { reason } : {}) };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.relay?.close();
    if (this.nc) await this.nc.close().catch(() => {});
  }
}
