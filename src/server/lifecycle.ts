/**
 * Lifecycle of one gateway: what it starts besides its servers (the event bus and the app services
 * on it, the hourly pruning, the process-wide reporters and cursor secret) and the order in which
 * it all stops (`shutDown`), with the gate that counts HTTP requests in flight meanwhile.
 */
import type { Server } from "node:http";
import type { Database } from "../db/client.js";
import { EventBus } from "../events/bus.js";
import { NatsTransport } from "../events/nats-transport.js";
import { PostgresNotifyTransport, type EventTransport } from "../events/transport.js";
import type { AppServices, Clock } from "../graphql/context.js";
import { setCursorSecret } from "../shared/connections.js";
import type { Logger } from "../shared/logger.js";
import { setUnexpectedErrorReporter } from "./errors.js";
import type { GatewayMetrics } from "./metrics.js";

export interface Services {
  events: EventBus;
  app: AppServices;
  /** Deletes status events older than the retention (logged; never throws). */
  pruneEvents(): Promise<unknown>;
}

/** Starts the event bus, builds the app services on it and begins a first pruning of old events. */
export async function startServices(o: {
  database: Database;
  logger: Logger;
  clock: Clock;
  jwtSecret: string;
  /** Status events are kept at least this many days (default 7). */
  eventRetentionDays?: number;
  /** Counts deliveries and daily updates, reads subscriptions and the outbox lag. */
  metrics?: GatewayMetrics;
  /** How committed events reach every instance (EVENT_BUS; default PostgreSQL LISTEN/NOTIFY). */
  eventBus?: EventBusOption;
}): Promise<Services> {
  const { database, logger, metrics } = o;
  const transport = eventTransport(o.eventBus, database, logger);
  const events = new EventBus({ database, logger, clock: o.clock, transport, onDelivered: metrics && ((role) => metrics.eventDelivered(role)) });
  await events.start();
  if (metrics) metrics.events = events;
  const app: AppServices = {
    database,
    clock: o.clock,
    jwtSecret: o.jwtSecret,
    afterEventsCommitted: () => events.committed(),
    events,
    metrics,
  };
  const retentionDays = o.eventRetentionDays ?? 7;
  const pruneEvents = () =>
    events.prune(retentionDays).then(
      (n) => n > 0 && logger.info("pruned status events", { deleted: n, retentionDays }),
      (err) => logger.warn("status event pruning failed", { error: err }),
    );
  void pruneEvents();
  return { events, app, pruneEvents };
}

/** EVENT_BUS (config.ts): `nats` takes the NATS server URL(s) (NATS_URL); timings for tests. */
export type EventBusOption =
  | { transport: "postgres" }
  | { transport: "nats"; servers: string; heartbeatMs?: number; electionMs?: number; pollMs?: number };

function eventTransport(option: EventBusOption | undefined, database: Database, logger: Logger): EventTransport {
  if (option?.transport === "nats") return new NatsTransport({ database, logger, ...option });
  return new PostgresNotifyTransport({ database });
}

/** Something that drops old rows of its own (the rate limiter's counters, the APQ cache). */
interface Prunable {
  prune(): Promise<unknown>;
}

/** Every hour: old status events, then the rate limiter's and the APQ cache's old rows. */
export function startHourlyPruning(o: { pruneEvents: () => Promise<unknown>; limits: (Prunable | undefined)[]; logger: Logger }): { stop(): void } {
  const pruneLimits = () =>
    Promise.all(o.limits.map((l) => l?.prune())).catch((err) => o.logger.warn("limits pruning failed", { error: err }));
  const timer = setInterval(() => void o.pruneEvents().then(pruneLimits), 3_600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * The process-wide settings a gateway makes: where unexpected errors and database outages are
 * logged (errors.ts) and the secret that signs event cursors. Returns what undoes the reporters.
 */
export function installProcessSettings(o: { logger: Logger; jwtSecret: string }): () => void {
  const restoreErrorReporter = setUnexpectedErrorReporter(
    (err) => o.logger.error("unexpected error", { error: err }),
    (err) => o.logger.warn("database unavailable", { error: err }),
  );
  setCursorSecret(o.jwtSecret);
  return restoreErrorReporter;
}

/** Counts HTTP requests in flight, and says once shutdown has begun. */
export class ShutdownGate {
  /** Set when close() begins: /graphql answers 503, /readyz "unavailable", upgrades are refused. */
  closing = false;
  private inFlight = 0;
  private drained: (() => void) | undefined;

  requestStarted(): void {
    this.inFlight++;
  }

  requestEnded(): void {
    this.inFlight--;
    if (this.closing && this.inFlight === 0) this.drained?.();
  }

  /** Resolves once no HTTP request is in flight. */
  async drain(): Promise<void> {
    if (this.inFlight > 0) await new Promise<void>((r) => (this.drained = r));
  }
}

/** What shutDown stops, in this order. */
export interface Stoppable {
  gate: ShutdownGate;
  httpServer: Server;
  websocket: { close(): Promise<void> };
  pruning: { stop(): void };
  events: { close(): Promise<void> };
  graphql: { stop(): Promise<void> };
  restoreProcessSettings: () => void;
  logger: Logger;
}

/**
 * Stop accepting; close the subscriptions cleanly; stop the timers and the event bus; let
 * in-flight requests finish; close the connections (idle ones at once, the rest after 10 s at
 * most); stop Apollo; give back the process-wide settings.
 */
export async function shutDown(s: Stoppable): Promise<void> {
  const { logger, httpServer } = s;
  s.gate.closing = true;
  const closed = new Promise<void>((r) => httpServer.close(() => r()));
  await s.websocket.close();
  logger.debug("shutdown: websocket closed");
  s.pruning.stop();
  await s.events.close();
  logger.debug("shutdown: event bus closed");
  await s.gate.drain();
  logger.debug("shutdown: in-flight requests done");
  httpServer.closeIdleConnections();
  await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000).unref())]);
  httpServer.closeAllConnections();
  logger.debug("shutdown: http closed");
  await s.graphql.stop();
  logger.debug("shutdown: apollo stopped");
  s.restoreProcessSettings();
}
