/**
 * Per-request (and per subscription operation) context: who is calling, the database, fresh
 * DataLoaders, and the clock. Never shared between requests.
 */
import type { Database, Db } from "../db/client.js";
import type { Viewer } from "../auth/viewer.js";
import type { EventBus } from "../events/bus.js";
import { createLoaders, type Loaders } from "./loaders.js";

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface AppServices {
  database: Database;
  clock: Clock;
  jwtSecret: string;
  /** Called after a transaction that wrote status events commits (subscriptions wake-up). */
  afterEventsCommitted: () => void;
  events: EventBus;
  /** PIN hashing override (the demo seed reuses one hash; everything else uses scrypt). */
  hashPin?: (pin: string) => Promise<string>;
}

export interface Context {
  viewer: Viewer;
  db: Db;
  loaders: Loaders;
  clock: Clock;
  app: AppServices;
  requestId: string;
  /** The caller's address (rate limits); set for HTTP requests and WebSocket operations. */
  clientIp?: string;
}

export function createContext(app: AppServices, viewer: Viewer, requestId: string, clientIp?: string): Context {
  const db = app.database.db;
  return { viewer, db, loaders: createLoaders(db, viewer), clock: app.clock, app, requestId, clientIp };
}
