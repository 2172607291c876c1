/**
 * Request deadlines: the HTTP execution deadline (REQUEST_TIMEOUT, HTTP 504; ADMIN has a longer
 * one for the daily update and big reads), and PostgreSQL's statement_timeout on the pool.
 * A request is made slow the way it happens in production: it waits for a lock held elsewhere.
 */
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/app.js";
import { queryRows } from "../src/db/client.js";
import { startExtraGateway } from "./support/gateways.js";
import { adminToken, codeOf, tokenFor, usingPostgres, world } from "./support/world.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Holds the customers table (PostgreSQL: an exclusive lock; PGlite: its one connection's query lock) for `ms`. */
async function holdCustomers(ms: number): Promise<{ released: Promise<void> }> {
  const w = await world();
  if (w.database.pglite) {
    let held!: () => void;
    const taken = new Promise<void>((r) => (held = r));
    const done = w.database.pglite.runExclusive(async () => {
      held();
      await sleep(ms);
    });
    await taken;
    return { released: done };
  }
  const pg = postgres(w.databaseUrl!, { max: 1, onnotice: () => {} });
  const reserved = await pg.reserve();
  await reserved`begin`;
  await reserved`lock table customers in access exclusive mode`;
  const released = (async () => {
    await sleep(ms);
    await reserved`commit`;
    reserved.release();
    await pg.end();
  })();
  return { released };
}

const COUNT = `{ customers(first: 1) { totalCount } }`;

describe("HTTP execution deadline", () => {
  it("a request still running after REQUEST_TIMEOUT_MS is answered 504 REQUEST_TIMEOUT; ADMIN's deadline is longer", async () => {
    const gw = await startExtraGateway({ requestTimeoutMs: 300, adminRequestTimeoutMs: 10_000 });
    try {
      const partner = await tokenFor("PARTNER", "00000000-0000-4000-8000-0000000000b1");
      expect((await gw.gql(COUNT, {}, partner)).errors).toBeUndefined(); // fast when nothing blocks
      const { released } = await holdCustomers(1500);
      const started = Date.now();
      const [slow, admin] = await Promise.all([gw.gql(COUNT, {}, partner), gw.gql(COUNT, {}, await adminToken())]);
      const elapsed = Date.now() - started;
      await released;
      expect(slow.status).toBe(504);
      expect(codeOf(slow)).toBe("REQUEST_TIMEOUT");
      expect(slow.errors![0]!.extensions!.timeoutMs).toBe(300);
      expect(admin.errors).toBeUndefined();
      expect(typeof admin.data!.customers.totalCount).toBe("number");
      expect(elapsed).toBeGreaterThanOrEqual(1000); // ADMIN waited for the lock
      // The gateway is fine afterwards.
      expect((await gw.gql(COUNT, {}, partner)).errors).toBeUndefined();
    } finally {
      await gw.close();
    }
  });
});

describe.skipIf(!usingPostgres())("statement_timeout (PostgreSQL)", () => {
  it("DB_STATEMENT_TIMEOUT_MS applies to the pool; the migrations still ran", async () => {
    const w = await world();
    const database = await openDatabase({ databaseUrl: w.databaseUrl!, poolMax: 2, statementTimeoutMs: 250 });
    try {
      const [row] = await queryRows<{ statement_timeout: string }>(database.db, sql`show statement_timeout`);
      expect(row!.statement_timeout).toBe("250ms");
      const err = await database.db.execute(sql`select pg_sleep(2)`).then(
        () => undefined,
        (e: unknown) => e,
      );
      const code = (err as { code?: string; cause?: { code?: string } } | undefined)?.cause?.code ?? (err as { code?: string })?.code;
      expect(code).toBe("57014"); // query_canceled
    } finally {
      await database.close();
    }
  });
});
