/**
 * Fan-out of committed status events to subscriptions.
 *
 * The `status_events` table is the source of truth: the bus only ever dispatches rows with an id
 * above the last one it has dispatched, in id order (ids commit in order, see outbox.ts), so a
 * wake-up or a message that is lost, late or duplicated never loses or repeats an event. The
 * transport (transport.ts; EVENT_BUS) says when to look: PostgreSQL LISTEN/NOTIFY wakes the bus,
 * which reads the table; NATS (nats-transport.ts) hands it batches of rows with the id of the
 * event before them, used straight when they continue what it has dispatched, otherwise the bus
 * catches up from the table. A subscription with `after` replays stored rows first, while live
 * rows are buffered, and skips anything at or below the last id it delivered.
 */
import { and, asc, gt, lt, sql, type SQL } from "drizzle-orm";
import { canSeeEvent, statusEventScope, visible } from "../auth/policy.js";
import { atTokenExpiry } from "../auth/tokens.js";
import { actorOf, type Viewer } from "../auth/viewer.js";
import type { Database } from "../db/client.js";
import { statusEvents, type StatusEventRow } from "../db/schema.js";
import { badInput, unauthenticated } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import { openCursor, sealCursor } from "../shared/connections.js";
import { isUuid } from "../shared/ids.js";
import { PostgresNotifyTransport, type EventSink, type EventTransport, type TransportHealth } from "./transport.js";
import { CoalescedRunner } from "./coalesced.js";

const FETCH_BATCH = 500;
/** A subscriber this far behind is cut off rather than buffering without bound. */
const MAX_BUFFERED = 10_000;

/** Event ids are bigserial: a PostgreSQL bigint. */
const MAX_EVENT_ID = 9_223_372_036_854_775_807n;
const EVENT_PREFIX = "e2";

/**
 * The resume cursor of an event: `base64url("e2|<entity type>|<event id>|tag")`, signed like the
 * connection cursors (shared/connections.ts) and bound to the subscription's entity type and to
 * the viewer it was delivered to (`actorOf`: the customer, the partner, or the ADMIN's `sub` —
 * a renewed token of the same viewer resumes; another viewer cannot). So a subscriber resumes
 * only from a cursor this gateway (any instance with the same secret) gave it.
 */
export function encodeEventCursor(entityType: EventFilter["entityType"], id: bigint, viewer: Viewer): string {
  return sealCursor([EVENT_PREFIX, entityType, id.toString()], actorOf(viewer));
}

/**
 * The event id of a cursor from `encodeEventCursor` for the same entity type and viewer; anything
 * else — garbage, altered, unsigned (the old `e1|<id>` cursors), another viewer's or another
 * subscription type's, an id out of range — is BAD_USER_INPUT on `after`, and nothing is replayed.
 */
export function decodeEventCursor(cursor: string, entityType: EventFilter["entityType"], viewer: Viewer): bigint {
  const fields = openCursor(cursor, 3, actorOf(viewer));
  if (fields && fields[0] === EVENT_PREFIX && fields[1] === entityType && /^[0-9]{1,19}$/.test(fields[2]!)) {
    const id = BigInt(fields[2]!);
    if (id >= 1n && id <= MAX_EVENT_ID) return id;
  }
  throw badInput(
    "after",
    "Invalid cursor: `after` takes the `cursor` of an event this subscription delivered to you; a cursor this gateway did not issue (or issued to another caller) is refused. Subscribe without `after` to start live.",
  );
}

export interface EventFilter {
  entityType: "LOAN" | "APPLICATION";
  entityId?: string | null;
  partnerId?: string | null;
}

export interface DeliveredEvent {
  cursor: string;
  entityId: string;
  fromStatus: string | null;
  toStatus: string;
  reason: string | null;
  at: Date;
  /** Set by the resolver per event: fresh loaders so the nested loan/application is current. */
  id: bigint;
}

function toDelivered(row: StatusEventRow, viewer: Viewer): DeliveredEvent {
  let cursor: string | undefined;
  return {
    // Signed only when selected (an HMAC), and then once per shared execution (shared-execution.ts).
    get cursor() {
      return (cursor ??= encodeEventCursor(row.entityType as EventFilter["entityType"], row.id, viewer));
    },
    id: row.id,
    entityId: row.entityId,
    fromStatus: row.fromStatus,
    toStatus: row.toStatus,
    reason: row.reason,
    at: row.at,
  };
}

/** Rows the filter and the viewer's visibility let through (SQL side, for replay). */
function filterConds(viewer: Viewer, f: EventFilter): (SQL | undefined)[] {
  return [
    sql`${statusEvents.entityType} = ${f.entityType}`,
    f.entityId ? sql`${statusEvents.entityId} = ${f.entityId}::uuid` : undefined,
    f.partnerId ? sql`${statusEvents.partnerId} = ${f.partnerId}::uuid` : undefined,
    visible(statusEventScope, viewer),
  ];
}

function matches(viewer: Viewer, f: EventFilter, row: StatusEventRow): boolean {
  if (row.entityType !== f.entityType) return false;
  if (f.entityId && row.entityId !== f.entityId) return false;
  if (f.partnerId && row.partnerId !== f.partnerId) return false;
  return canSeeEvent(viewer, row);
}

class Subscriber {
  buffer: StatusEventRow[] = [];
  waiting: ((r: IteratorResult<StatusEventRow>) => void) | undefined;
  failWaiting: ((err: unknown) => void) | undefined;
  done = false;
  error: unknown;
  constructor(
    readonly viewer: Viewer,
    readonly filter: EventFilter,
  ) {}

  push(row: StatusEventRow): void {
    if (this.done || !matches(this.viewer, this.filter, row)) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = this.failWaiting = undefined;
      w({ value: row, done: false });
      return;
    }
    this.buffer.push(row);
    if (this.buffer.length > MAX_BUFFERED) this.fail(new Error("Subscriber too slow; resubscribe with `after`"));
  }

  fail(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = err;
    this.buffer = [];
    if (this.failWaiting) {
      const f = this.failWaiting;
      this.waiting = this.failWaiting = undefined;
      f(err);
    }
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.buffer = [];
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = this.failWaiting = undefined;
      w({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<StatusEventRow>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.error) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }
}

export interface EventBusOptions {
  database: Database;
  logger: Logger;
  /** What wakes the bus or feeds it rows (transport.ts); default: PostgreSQL LISTEN/NOTIFY. */
  transport?: EventTransport;
  clock?: { now(): Date };
  /** Called once per event delivered to a subscription, with the subscriber's role (metrics.ts). */
  onDelivered?: (role: Viewer["role"]) => void;
}

export class EventBus implements EventSink {
  private readonly subscribers = new Set<Subscriber>();
  private last = 0n;
  private readonly runner = new CoalescedRunner(
    () => this.drain(),
    () => !this.closed,
    this.opts.logger,
    "event fetch failed; will retry",
  );
  private closed = false;
  private readonly transport: EventTransport;
  /** Events dispatched, and those of them that came from the table (the rest from a transport's batches). */
  dispatched = 0;
  fromTable = 0;

  constructor(private readonly opts: EventBusOptions) {
    this.transport = opts.transport ?? new PostgresNotifyTransport({ database: opts.database });
  }

  /** The id of the last event dispatched to subscriptions. */
  get lastId(): bigint {
    return this.last;
  }

  /** The transport's state, for /readyz. */
  health(): TransportHealth {
    return this.transport.health();
  }

  /** This process committed status events (outbox.ts `transact`). */
  committed(): void {
    this.transport.committed();
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Open subscriptions by the subscriber's role (metrics.ts). */
  subscribersByRole(): Map<string, number> {
    const byRole = new Map<string, number>();
    for (const s of this.subscribers) byRole.set(s.viewer.role, (byRole.get(s.viewer.role) ?? 0) + 1);
    return byRole;
  }

  /**
   * Age in seconds (by the bus's clock, the one events are stamped with) of the oldest committed
   * event this bus has not dispatched yet; 0 when it is up to date (metrics.ts, at scrape time).
   */
  async oldestUndeliveredAgeSeconds(): Promise<number> {
    const [row] = await this.opts.database.db
      .select({ at: sql<number | string | null>`extract(epoch from min(${statusEvents.at}))::float8` })
      .from(statusEvents)
      .where(gt(statusEvents.id, this.last));
    if (row?.at == null) return 0;
    const now = (this.opts.clock?.now() ?? new Date()).getTime() / 1000;
    return Math.max(0, now - Number(row.at));
  }

  async start(): Promise<void> {
    const [row] = await this.opts.database.db
      .select({ max: sql<string | null>`max(${statusEvents.id})::text` })
      .from(statusEvents);
    this.last = row?.max ? BigInt(row.max) : 0n;
    await this.transport.start(this);
  }

  /** Rows that are every committed event in (prev, their last id]: see EventSink.deliver. */
  deliver(prev: bigint, rows: StatusEventRow[]): boolean {
    if (this.closed) return false;
    if (prev > this.last) {
      // Something between our last event and this batch never reached us: read it from the table.
      this.wake();
      return false;
    }
    for (const row of rows) this.dispatch(row);
    return true;
  }

  private dispatch(row: StatusEventRow): boolean {
    // A batch and a table read may overlap (both are complete from where they start): never twice.
    if (row.id <= this.last) return false;
    this.last = row.id;
    for (const s of this.subscribers) s.push(row);
    this.dispatched++;
    return true;
  }

  /** Fetch and dispatch everything committed since the last dispatch (coalesced, in order). */
  wake(): void {
    this.runner.wake();
  }

  /** Resolves when everything committed before the call has been dispatched. */
  async flush(): Promise<void> {
    this.wake();
    await this.runner.settled();
  }

  private async drain(): Promise<void> {
    for (;;) {
      const rows = await this.opts.database.db
        .select()
        .from(statusEvents)
        .where(gt(statusEvents.id, this.last))
        .orderBy(asc(statusEvents.id))
        .limit(FETCH_BATCH);
      for (const row of rows) if (this.dispatch(row)) this.fromTable++;
      if (rows.length < FETCH_BATCH) return;
    }
  }

  /**
   * A subscription's event stream: optional replay after `after`, then live, filtered and
   * scoped to the viewer; ends with UNAUTHENTICATED when the viewer's token expires.
   */
  subscribe(viewer: Viewer, filter: EventFilter, after: string | null | undefined): AsyncIterableIterator<DeliveredEvent> {
    const afterId = after != null ? decodeEventCursor(after, filter.entityType, viewer) : undefined;
    const normalized: EventFilter = {
      entityType: filter.entityType,
      entityId: filter.entityId ? filter.entityId.toLowerCase() : filter.entityId,
      partnerId: filter.partnerId ? filter.partnerId.toLowerCase() : filter.partnerId,
    };
    const sub = new Subscriber(viewer, normalized);
    // An id that cannot exist matches nothing (no error: existence is never revealed).
    const impossible =
      (normalized.entityId != null && !isUuid(normalized.entityId)) ||
      (normalized.partnerId != null && !isUuid(normalized.partnerId));
    if (!impossible) this.subscribers.add(sub);
    const db = this.opts.database.db;
    let lastDelivered = afterId ?? -1n;
    let replay: StatusEventRow[] = [];
    let replayDone = afterId === undefined || impossible;
    // Live-only: everything the bus dispatches from now on (it has dispatched up to lastId).
    if (afterId === undefined) lastDelivered = this.last;
    // At the token's exp (the wall clock, as jose checks it; not the business clock) the stream
    // fails with UNAUTHENTICATED; the WebSocket then closes with 4403 (server/websocket.ts).
    const cancelExpiry = atTokenExpiry(viewer, () => sub.fail(unauthenticated("Token expired")));
    const onDelivered = this.opts.onDelivered;
    const cleanup = () => {
      this.subscribers.delete(sub);
      cancelExpiry();
      sub.end();
    };
    const fetchReplay = async () => {
      replay = (await db
        .select()
        .from(statusEvents)
        .where(and(gt(statusEvents.id, lastDelivered), ...filterConds(viewer, normalized)))
        .orderBy(asc(statusEvents.id))
        .limit(FETCH_BATCH)) as StatusEventRow[];
      if (replay.length < FETCH_BATCH) replayDone = true;
    };
    const iterator: AsyncIterableIterator<DeliveredEvent> = {
      async next(): Promise<IteratorResult<DeliveredEvent>> {
        try {
          if (impossible) {
            // Park forever (until the client stops): there is nothing to deliver.
            return await new Promise<IteratorResult<DeliveredEvent>>((resolve, reject) => {
              sub.waiting = resolve as never;
              sub.failWaiting = reject;
            });
          }
          for (;;) {
            if (sub.error) throw sub.error;
            if (!replayDone && replay.length === 0) await fetchReplay();
            if (replay.length) {
              const row = replay.shift()!;
              lastDelivered = row.id;
              onDelivered?.(viewer.role);
              return { value: toDelivered(row, viewer), done: false };
            }
            if (!replayDone) continue;
            const r = await sub.next();
            if (r.done) return { value: undefined, done: true };
            if (r.value.id <= lastDelivered) continue; // already replayed
            lastDelivered = r.value.id;
            onDelivered?.(viewer.role);
            return { value: toDelivered(r.value, viewer), done: false };
          }
        } catch (err) {
          cleanup();
          throw err;
        }
      },
      async return(): Promise<IteratorResult<DeliveredEvent>> {
        cleanup();
        return { value: undefined, done: true };
      },
      async throw(err?: unknown): Promise<IteratorResult<DeliveredEvent>> {
        cleanup();
        throw err;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return iterator;
  }

  /** Delete events older than the retention period (at least 7 days). */
  async prune(retentionDays: number): Promise<number> {
    const days = Math.max(7, retentionDays);
    const cutoff = new Date((this.opts.clock?.now() ?? new Date()).getTime() - days * 86_400_000);
    const deleted = await this.opts.database.db
      .delete(statusEvents)
      .where(lt(statusEvents.at, cutoff))
      .returning({ id: statusEvents.id });
    return deleted.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.subscribers) s.end();
    this.subscribers.clear();
    await this.transport.close();
    await this.runner.settled();
  }
}
