import { randomInt } from "node:crypto";
import { count, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { partners } from "../src/db/schema.js";
import { makeCustomer, makePartner } from "./support/factories.js";
import { adminToken, codeOf, gql, tokenFor, world, type GqlResult } from "./support/world.js";

const CREATE = `mutation($input: CreatePartnerInput!) { createPartner(input: $input) { id code name } }`;

const freshCode = (prefix = "T") => `${prefix}${Date.now().toString(36).toUpperCase()}${randomInt(1_000_000).toString(36).toUpperCase()}`.slice(0, 20);

async function create(code: string, name: string, token?: string | null): Promise<GqlResult> {
  return gql(CREATE, { input: { code, name } }, token === undefined ? await adminToken() : token);
}

async function rowsWithCode(code: string): Promise<number> {
  const [r] = await (await world()).database.db
    .select({ n: count() })
    .from(partners)
    .where(sql`upper(trim(${partners.code})) = ${code.trim().toUpperCase()}`);
  return r!.n;
}

async function totalPartners(): Promise<number> {
  const [r] = await (await world()).database.db.select({ n: count() }).from(partners);
  return r!.n;
}

async function expectBad(code: string, name: string, field: string) {
  const before = await totalPartners();
  const r = await create(code, name);
  expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  expect(r.data?.createPartner ?? null).toBeNull();
  expect(await totalPartners()).toBe(before);
}

describe("createPartner", () => {
  it("ADMIN creates a partner: code trimmed and upper-cased, name trimmed; it is then readable", async () => {
    const raw = ` ${freshCode("ab-")}_x `;
    const r = await create(raw, "  Toko Maju Jaya  ");
    expect(r.errors).toBeUndefined();
    const p = r.data!.createPartner;
    expect(p).toMatchObject({ code: raw.trim().toUpperCase(), name: "Toko Maju Jaya" });
    const [row] = await (await world()).database.db.select().from(partners).where(eq(partners.id, p.id));
    expect(row).toMatchObject({ code: p.code, name: "Toko Maju Jaya" });

    const read = await gql(`query($id: ID!) { partner(id: $id) { id code name customers { totalCount } } }`, { id: p.id }, await tokenFor("PARTNER", p.id));
    expect(read.data!.partner).toEqual({ ...p, customers: { totalCount: 0 } });
  });

  it("anonymous is UNAUTHENTICATED; CUSTOMER and PARTNER are FORBIDDEN; nothing is written", async () => {
    const partner = await makePartner();
    const customer = await makeCustomer();
    const cases: [string | null, string][] = [
      [null, "UNAUTHENTICATED"],
      [await tokenFor("CUSTOMER", customer.id), "FORBIDDEN"],
      [await tokenFor("PARTNER", partner.id), "FORBIDDEN"],
    ];
    for (const [token, expected] of cases) {
      const code = freshCode();
      const r = await create(code, "Nope", token);
      expect(codeOf(r)).toBe(expected);
      expect(await rowsWithCode(code)).toBe(0);
    }
  });

  it("code: 2–20 characters of A–Z, 0–9, _ or -", async () => {
    await expectBad("A", "Name", "code");
    await expectBad("  a ", "Name", "code");
    await expectBad("", "Name", "code");
    await expectBad("AB C", "Name", "code");
    await expectBad("AB.C", "Name", "code");
    await expectBad("ÄBC", "Name", "code");
    await expectBad(freshCode().padEnd(21, "X"), "Name", "code");
    const two = `${String.fromCharCode(65 + randomInt(26))}${randomInt(10)}`;
    // Two characters are enough (if this random one is taken, it is a CONFLICT, not a bad input).
    const r2 = await create(two, "Short");
    expect(r2.errors === undefined || codeOf(r2) === "CONFLICT").toBe(true);
    const twenty = freshCode().padEnd(20, "9");
    expect(twenty).toHaveLength(20);
    const r20 = await create(twenty, "Long code");
    expect(r20.errors).toBeUndefined();
    expect(r20.data!.createPartner.code).toBe(twenty);
  });

  it("name: trimmed, 1–200 characters", async () => {
    await expectBad(freshCode(), "", "name");
    await expectBad(freshCode(), "   ", "name");
    await expectBad(freshCode(), "n".repeat(201), "name");
    const r = await create(freshCode(), "n".repeat(200));
    expect(r.errors).toBeUndefined();
    expect(r.data!.createPartner.name).toHaveLength(200);
  });

  it("a duplicate code (any case, any surrounding spaces) is CONFLICT on code", async () => {
    const code = freshCode();
    expect((await create(code, "First")).errors).toBeUndefined();
    for (const again of [code, code.toLowerCase(), ` ${code} `]) {
      const r = await create(again, "Second");
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", field: "code" });
    }
    expect(await rowsWithCode(code)).toBe(1);
  });

  it("concurrent creations of one code: exactly one wins, the others are CONFLICT", async () => {
    const code = freshCode();
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => create(code, `Racer ${i}`)));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    for (const r of results.filter((x) => x.errors)) expect(r.errors![0]!.extensions).toMatchObject({ code: "CONFLICT", field: "code" });
    expect(await rowsWithCode(code)).toBe(1);
  });
});
