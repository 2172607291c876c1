/**
 * Per-request (and per subscription operation) context: who is calling, the database, fresh
 * DataLoaders, and the clock. Never shared between requests.
 */
import type { Database, Db } from "../db/client.js";
import type { ReadTarget } from "../db/replicas.js";
import type { Viewer } from "../auth/viewer.js";
import type { EventBus } from "../events/bus.js";
import { createLoaders, type Loaders } from "./loaders.js";

/** Where the compiled-reads plugin leaves the response body for the HTTP edge (HTTP requests only). */
export interface CompiledSlot {
  body?: string;
  /** The fast path ran the compiled read and the resolvers must answer (compiler/plugin.ts). */
  resolversOnly?: boolean;
}

export interface Clock {
  now(): Date;
}

export interface AppServices {
  database: Database;
  clock: Clock;
  jwtSecret: string;
  /** Called after a transaction that wrote status events commits (subscriptions wake-up). */
  afterEventsCommitted: () => void;
  events: EventBus;
  /** PIN hashing override (the demo seed reuses one hash; everything else uses scrypt). */
  hashPin?: (pin: string) => Promise<string>;
  /** Daily update runs and their duration, for the gateway's metrics (server/metrics.ts). */
  metrics?: { dailyUpdate(seconds: number, ok: boolean): void };
}

export interface Context {
  viewer: Viewer;
  /**
   * The database the resolvers use: the primary, or for a query over HTTP with read replicas the
   * read target chosen for it (`read`; server/read-routing.ts), set before anything ran.
   */
  db: Db;
  /** HTTP queries with read replicas: where this operation's reads go (db/replicas.ts). */
  read?: ReadTarget<Db>;
  /**
   * Read-your-writes for someone other than the viewer: the actor key ("customer:<id>") of the
   * customer a login or registration issued a token to, whose next reads must see this write.
   */
  freshFor?: string;
  /** HTTP with read replicas: the request's X-Read-After (a WAL position the client's reads must see). */
  readAfter?: bigint;
  loaders: Loaders;
  clock: Clock;
  app: AppServices;
  requestId: string;
  /** HTTP requests only: where a compiled read leaves its response body. */
  compiled?: CompiledSlot;
  /** The caller's address (rate limits); set for HTTP requests and WebSocket operations. */
  clientIp?: string;
}

/**
 * The loaders are made on first use (a compiled read or a mutation that loads nothing needs
 * none). The getter lives on the prototype: Apollo copies a context's own properties
 * (Object.assign), which would otherwise make them eagerly.
 */
class RequestContext implements Context {
  private made: Loaders | undefined = undefined;
  db: Db;
  readonly clock: Clock;
  compiled?: CompiledSlot;
  read?: ReadTarget<Db>;
  freshFor?: string;
  readAfter?: bigint;

  constructor(
    readonly app: AppServices,
    readonly viewer: Viewer,
    readonly requestId: string,
    readonly clientIp?: string,
  ) {
    this.db = app.database.db;
    this.clock = app.clock;
  }

  get loaders(): Loaders {
    return (this.made ??= createLoaders(this.db, this.viewer));
  }

  /** A long-lived subscription replaces them for each event (fresh rows). */
  set loaders(l: Loaders) {
    this.made = l;
  }
}

export function createContext(app: AppServices, viewer: Viewer, requestId: string, clientIp?: string): Context {
  return new RequestContext(app, viewer, requestId, clientIp);
}
