/**
 * PostgreSQL mode: query-builder statements run as named prepared statements (PostgreSQL plans
 * each once per connection), not unnamed ones re-planned every call (drizzle's default).
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/app.js";
import { connect } from "../src/db/client.js";
import { loans } from "../src/db/schema.js";
import { createWorkerDatabaseUrl, usingPostgres } from "./support/world.js";

describe.skipIf(!usingPostgres())("prepared statements (PostgreSQL)", () => {
  it("a drizzle select is a named prepared statement of its connection", async () => {
    const url = await createWorkerDatabaseUrl(`prep${process.env.VITEST_POOL_ID ?? "0"}`);
    await (await openDatabase({ databaseUrl: url })).close(); // the tables
    const database = await connect({ databaseUrl: url, poolMax: 1 });
    try {
      for (let i = 0; i < 3; i++) await database.db.select().from(loans).where(eq(loans.id, "00000000-0000-0000-0000-000000000000"));
      const rows = await database.pg!<{ statement: string }[]>`select statement from pg_prepared_statements`;
      expect(rows.some((r) => /from "loans" where "loans"."id" = \$1/.test(r.statement)), JSON.stringify(rows)).toBe(true);
    } finally {
      await database.close();
    }
  });
});
