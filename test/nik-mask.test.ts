/**
 * The NIK as each role sees it (auth/policy.ts nikAs), evaluated by the database: the one rule
 * the repositories and the compiled statements both select. (Was identity.maskNik, a JS copy.)
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { nikAs, type ViewerRole } from "../src/auth/policy.js";
import { queryRows, type DbOrTx } from "../src/db/client.js";
import { world } from "./support/world.js";

let db: DbOrTx;
beforeAll(async () => {
  db = (await world()).database.db;
});

async function nikFor(role: ViewerRole, nik: string): Promise<string> {
  const [row] = await queryRows<{ v: string }>(db, sql`select ${nikAs(role, sql`${nik}::text`)} as v`);
  return row!.v;
}

describe("NIK as a PARTNER sees it", () => {
  it("keeps the first 6 and last 4 digits", async () => {
    expect(await nikFor("PARTNER", "3171010101900001")).toBe("317101******0001");
    expect(await nikFor("PARTNER", "3171015505900123")).toBe("317101******0123");
  });
  it("masks short inputs entirely", async () => {
    expect(await nikFor("PARTNER", "1234567890")).toBe("**********");
    expect(await nikFor("PARTNER", "")).toBe("");
  });
});

describe("NIK as ADMIN and the customer see it", () => {
  it("is the full NIK", async () => {
    for (const role of ["ADMIN", "CUSTOMER"] as const) expect(await nikFor(role, "3171010101900001")).toBe("3171010101900001");
  });
});
