/**
 * PostgreSQL mode: a statement that meets a pooled connection the server has just closed (a
 * restart, `pg_terminate_backend`, a failover) is not the caller's problem when trying again is
 * safe. A read outside a transaction (drizzle or compiled) is sent once more on another
 * connection, a transaction whose body had not finished is run again (COMMIT was never sent);
 * the fault suite (test/faults/postgres-outage.test.ts) shows the same through a real restart.
 */
import { eq } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/app.js";
import { connect, type Database } from "../src/db/client.js";
import { loans, partners } from "../src/db/schema.js";
import { transact } from "../src/events/outbox.js";
import { createWorkerDatabaseUrl, usingPostgres } from "./support/world.js";

const POOL = 4;

describe.skipIf(!usingPostgres())("connections the server closed (PostgreSQL)", () => {
  let url: string;
  let database: Database;
  let admin: postgres.Sql;

  beforeAll(async () => {
    url = await createWorkerDatabaseUrl(`retry${process.env.VITEST_POOL_ID ?? "0"}`);
    await (await openDatabase({ databaseUrl: url })).close(); // the tables
    database = await connect({ databaseUrl: url, poolMax: POOL });
    admin = postgres(url, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await database?.close();
    await admin?.end();
  });

  /**
   * Opens every pooled connection, has the server end them all while each runs a statement (as a
   * restart does), and waits until the driver has seen every socket close: the state a pool is
   * in once the database is back. (Statements written to a socket the server has just reset can
   * make postgres.js 3.4.9 wait for ever, a driver defect this test does not exercise.)
   */
  async function killPool(): Promise<number> {
    // Straight on the driver: the gateway's own retry would use up what the test is about.
    const running = Array.from({ length: POOL }, () => database.pg!.unsafe("select pg_sleep(0.5)").catch(() => undefined));
    await new Promise((r) => setTimeout(r, 100));
    const [{ n }] = await admin<{ n: number }[]>`
      select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
      where datname = current_database() and application_name = 'julo-gateway' and pid <> pg_backend_pid()`;
    await Promise.all(running);
    await new Promise((r) => setTimeout(r, 200));
    return n;
  }

  it("reads outside a transaction and compiled reads are tried again on another connection", async () => {
    let failures = 0;
    for (let round = 0; round < 10; round++) {
      expect(await killPool()).toBeGreaterThan(0);
      const results = await Promise.allSettled([
        ...Array.from({ length: POOL }, () => database.db.select().from(loans).where(eq(loans.id, "00000000-0000-0000-0000-000000000000"))),
        ...Array.from({ length: POOL }, () => database.textQuery("select json_build_object('n', $1::int)::text as data", [round])),
      ]);
      failures += results.filter((r) => r.status === "rejected").length;
    }
    expect(failures).toBe(0);
  });

  it("a transaction that lost its connection before COMMIT is run again, and commits once", async () => {
    let begun = 0;
    const db = new Proxy(database.db, {
      get(target, prop, receiver) {
        if (prop !== "transaction") return Reflect.get(target, prop, receiver);
        return (...args: Parameters<typeof target.transaction>) => (begun++, target.transaction(...args));
      },
    });
    const app = { database: { ...database, db }, afterEventsCommitted: () => {} };
    let bodies = 0;
    let failures = 0;
    for (let round = 0; round < 10; round++) {
      expect(await killPool()).toBeGreaterThan(0);
      const code = `RT${process.env.VITEST_POOL_ID ?? "0"}${round}${Date.now() % 100000}`;
      try {
        await transact(app, async (tx) => {
          bodies++;
          await tx.insert(partners).values({ code, name: "retry" });
        });
      } catch {
        failures++;
      }
      const [{ n }] = await admin<{ n: number }[]>`select count(*)::int as n from partners where code = ${code}`;
      expect(n).toBe(1);
    }
    expect(failures).toBe(0);
    // Rounds met a closed connection and began again (else this proves nothing); each body that
    // finished committed, and no round committed twice (the count above).
    expect(begun).toBeGreaterThan(10);
    expect(bodies).toBeGreaterThanOrEqual(10);
  });
});
