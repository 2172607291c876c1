/**
 * The bus's side of a transport that hands it rows (EVENT_BUS=nats; bus.ts `deliver`), on the
 * worker's real database, driven by a transport the test holds: a batch is used only when its
 * `prev` (the id of the event published before it) is at or below what the bus has dispatched;
 * otherwise the bus reads the table, so a lost message never loses or reorders an event. Ids of
 * rolled-back transactions leave holes: the test is on `prev`, never on id + 1. And the wire
 * format (nats-wire.ts) round-trips rows and refuses batches out of id order.
 */
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Viewer } from "../src/auth/viewer.js";
import { statusEvents, type StatusEventRow } from "../src/db/schema.js";
import { EventBus } from "../src/events/bus.js";
import { decodeBatch, encodeBatch } from "../src/events/nats-wire.js";
import { recordStatusChanges } from "../src/events/outbox.js";
import type { EventSink, EventTransport } from "../src/events/transport.js";
import { createLogger } from "../src/shared/logger.js";
import { makeCustomer, makeLoan, makePartner } from "./support/factories.js";
import { world } from "./support/world.js";

class HeldTransport implements EventTransport {
  sink!: EventSink;
  async start(sink: EventSink) {
    this.sink = sink;
  }
  committed() {}
  health() {
    return { transport: "nats" as const, state: "ok" as const };
  }
  async close() {}
}

const ADMIN: Viewer = { role: "ADMIN", sub: "gap-test" };

describe("a bus fed batches by its transport", () => {
  let bus: EventBus;
  let held: HeldTransport;
  let loanId: string;
  let customer: Awaited<ReturnType<typeof makeCustomer>>;
  let events: AsyncIterableIterator<{ id: bigint; toStatus: string }>;

  beforeAll(async () => {
    const w = await world();
    const partner = await makePartner();
    customer = await makeCustomer({ partnerId: partner.id });
    loanId = (await makeLoan({ customer, status: "CURRENT" })).loan.id;
    held = new HeldTransport();
    bus = new EventBus({ database: w.database, logger: createLogger("silent"), transport: held });
    await bus.start();
    events = bus.subscribe(ADMIN, { entityType: "LOAN", entityId: loanId }, null);
  });
  afterAll(() => bus.close());

  async function write(to: string): Promise<void> {
    const w = await world();
    await recordStatusChanges(w.database.db, [
      { entityType: "LOAN", entityId: loanId, customerId: customer.id, partnerId: customer.partnerId, from: "CURRENT", to: to as never, actor: "admin:test", at: new Date() },
    ]);
  }

  async function rowsAfter(id: bigint): Promise<StatusEventRow[]> {
    const w = await world();
    const rows = await w.database.db.select().from(statusEvents).where(eq(statusEvents.entityId, loanId)).orderBy(asc(statusEvents.id));
    return rows.filter((r) => r.id > id);
  }

  async function next(n: number): Promise<{ id: bigint; toStatus: string }[]> {
    const out = [];
    for (let i = 0; i < n; i++) {
      const r = await Promise.race([events.next(), new Promise<never>((_r, rej) => setTimeout(() => rej(new Error("no event")), 5000))]);
      out.push(r.value);
    }
    return out;
  }

  it("a batch after a missed one is not used: the bus reads the table, delivers everything in order, then skips what it has", async () => {
    const start = bus.lastId;
    await write("LATE_1DPD");
    await write("LATE_5DPD");
    await write("LATE_30DPD");
    const [r1, r2, r3] = await rowsAfter(start);
    // The batch with r1 and r2 was lost: this one starts after r2.
    const fromTableBefore = bus.fromTable;
    expect(held.sink.deliver(r2!.id, [r3!])).toBe(false);
    const got = await next(3);
    expect(got.map((e) => e.toStatus)).toEqual(["LATE_1DPD", "LATE_5DPD", "LATE_30DPD"]);
    expect(bus.fromTable - fromTableBefore).toBeGreaterThanOrEqual(3);
    // The lost batch arrives late: nothing is delivered twice.
    const dispatched = bus.dispatched;
    expect(held.sink.deliver(start, [r1!, r2!, r3!])).toBe(true);
    expect(bus.dispatched).toBe(dispatched);
  });

  it("a batch that continues what the bus has is delivered straight from the message, across a rolled-back id", async () => {
    const w = await world();
    const last = bus.lastId;
    await write("LATE_60DPD");
    // A rolled-back transaction takes an id and leaves a hole.
    await expect(
      w.database.db.transaction(async (tx) => {
        await recordStatusChanges(tx, [
          { entityType: "LOAN", entityId: loanId, customerId: customer.id, partnerId: customer.partnerId, from: "CURRENT", to: "LATE_90DPD", actor: "admin:test", at: new Date() },
        ]);
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    await write("LATE_120DPD");
    const [a, b] = await rowsAfter(last);
    expect(b!.id - a!.id).toBeGreaterThan(1n); // the hole
    const fromTable = bus.fromTable;
    expect(held.sink.deliver(last, [a!])).toBe(true);
    expect(held.sink.deliver(a!.id, [b!])).toBe(true);
    const got = await next(2);
    expect(got.map((e) => e.toStatus)).toEqual(["LATE_60DPD", "LATE_120DPD"]);
    expect(bus.fromTable).toBe(fromTable);
  });

  it("the wire format round-trips rows and refuses a batch out of id order", async () => {
    const rows = await rowsAfter(0n);
    const batch = decodeBatch(encodeBatch(5n, rows.filter((r) => r.id > 5n)));
    expect(batch?.prev).toBe(5n);
    expect(batch?.rows).toEqual(rows.filter((r) => r.id > 5n));
    expect(decodeBatch(encodeBatch(0n, [...rows].reverse()))).toBeUndefined();
    expect(decodeBatch("not json")).toBeUndefined();
  });
});
