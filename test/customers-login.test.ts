import { count, eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { customers, loginAttempts } from "../src/db/schema.js";
import { freshPhone, login, register, registration } from "./support/registration.js";
import { codeOf, gql, world, type GqlResult } from "./support/world.js";

const E164 = (local: string) => `+62${local.slice(1)}`;

/** A registered customer: its local phone form, PIN and id. */
async function registered(pin = "246810") {
  const input = registration({ pin });
  const r = await register(input);
  expect(r.errors).toBeUndefined();
  return { phone: input.phone, pin, id: r.data!.registerCustomer.customer.id as string };
}

const wrongPin = (pin: string) => (pin === "999999" ? "000000" : "999999");

function expectInvalid(r: GqlResult) {
  expect(r.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  expect(r.errors![0]!.message).toBe("Invalid phone or PIN");
  expect(r.data?.login ?? null).toBeNull();
}

function expectLocked(r: GqlResult) {
  expect(codeOf(r)).toBe("FORBIDDEN");
  expect(r.data?.login ?? null).toBeNull();
}

async function attemptsRow(phone: string) {
  const [row] = await (await world()).database.db.select().from(loginAttempts).where(eq(loginAttempts.phone, phone));
  return row;
}

// Real time unless a test sets it (also before each test, in case an earlier file left it set).
beforeEach(async () => (await world()).clock.set(null));
afterEach(async () => (await world()).clock.set(null));

describe("login", () => {
  it("accepts the phone in any form and returns a CUSTOMER token for that customer", async () => {
    const c = await registered();
    for (const phone of [c.phone, E164(c.phone), `62${c.phone.slice(1)}`]) {
      const r = await login(phone, c.pin);
      expect(r.errors).toBeUndefined();
      expect(r.data!.login.customer).toEqual({ id: c.id, phone: E164(c.phone) });
      const me = await gql(`{ me { role customer { id } } }`, {}, r.data!.login.token);
      expect(me.data!.me).toEqual({ role: "CUSTOMER", customer: { id: c.id } });
    }
    // A successful login leaves no failure row behind.
    expect(await attemptsRow(E164(c.phone))).toBeUndefined();
  });

  it("wrong PIN and unknown phone get the same UNAUTHENTICATED answer", async () => {
    const c = await registered();
    expectInvalid(await login(c.phone, wrongPin(c.pin)));
    expectInvalid(await login(freshPhone(), c.pin));
  });

  it("malformed phone or PIN is BAD_USER_INPUT and is not counted", async () => {
    const c = await registered();
    const bad = await login("12345", c.pin);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "phone" });
    for (const pin of ["12345", "1234567", "abcdef"]) {
      const r = await login(c.phone, pin);
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "pin" });
    }
    expect(await attemptsRow(E164(c.phone))).toBeUndefined();
  });

  it("5 wrong PINs in a row lock the phone for 15 minutes, even for the right PIN", async () => {
    const w = await world();
    const t0 = Date.parse("2026-06-01T02:00:00.000Z");
    w.clock.set(new Date(t0));
    const c = await registered();
    for (let i = 1; i <= 4; i++) expectInvalid(await login(c.phone, wrongPin(c.pin)));
    expect((await attemptsRow(E164(c.phone)))!.failedCount).toBe(4);
    expectInvalid(await login(c.phone, wrongPin(c.pin))); // the 5th is still "wrong PIN"
    expect((await attemptsRow(E164(c.phone)))!.lockedUntil!.getTime()).toBe(t0 + 15 * 60_000);

    expectLocked(await login(c.phone, c.pin));
    expectLocked(await login(E164(c.phone), c.pin)); // any form of the number
    expectLocked(await login(c.phone, wrongPin(c.pin)));
    w.clock.set(new Date(t0 + 15 * 60_000 - 1000));
    expectLocked(await login(c.phone, c.pin));

    // The lock ends after 15 minutes.
    w.clock.set(new Date(t0 + 15 * 60_000));
    const ok = await login(c.phone, c.pin);
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.login.customer.id).toBe(c.id);
    expect(await attemptsRow(E164(c.phone))).toBeUndefined();
  });

  it("after a lock expires, the count starts again", async () => {
    const w = await world();
    const t0 = Date.parse("2026-06-02T02:00:00.000Z");
    w.clock.set(new Date(t0));
    const c = await registered();
    for (let i = 0; i < 5; i++) expectInvalid(await login(c.phone, wrongPin(c.pin)));
    expectLocked(await login(c.phone, c.pin));
    w.clock.set(new Date(t0 + 16 * 60_000));
    expectInvalid(await login(c.phone, wrongPin(c.pin)));
    expect(await attemptsRow(E164(c.phone))).toMatchObject({ failedCount: 1, lockedUntil: null });
    for (let i = 0; i < 3; i++) expectInvalid(await login(c.phone, wrongPin(c.pin)));
    const ok = await login(c.phone, c.pin); // 4 wrong in a row: not locked
    expect(ok.errors).toBeUndefined();
  });

  it("a successful login resets the counter", async () => {
    const c = await registered();
    for (let i = 0; i < 4; i++) expectInvalid(await login(c.phone, wrongPin(c.pin)));
    expect((await login(c.phone, c.pin)).errors).toBeUndefined();
    for (let i = 0; i < 4; i++) expectInvalid(await login(c.phone, wrongPin(c.pin)));
    expect((await login(c.phone, c.pin)).errors).toBeUndefined();
    expectInvalid(await login(c.phone, wrongPin(c.pin)));
    expect((await attemptsRow(E164(c.phone)))!.failedCount).toBe(1);
  });

  it("concurrent wrong PINs are all counted", async () => {
    const c = await registered();
    const results = await Promise.all(Array.from({ length: 5 }, () => login(c.phone, wrongPin(c.pin))));
    for (const r of results) expectInvalid(r);
    const row = await attemptsRow(E164(c.phone));
    expect(row!.failedCount).toBe(5);
    expect(row!.lockedUntil).not.toBeNull();
    expectLocked(await login(c.phone, c.pin));
  });

  it("many concurrent wrong PINs: 5 counted as wrong, the rest refused as locked, right PIN refused after", async () => {
    const c = await registered();
    const results = await Promise.all(Array.from({ length: 9 }, () => login(c.phone, wrongPin(c.pin))));
    const codes = results.map(codeOf);
    expect(codes.filter((x) => x === "UNAUTHENTICATED")).toHaveLength(5);
    expect(codes.every((x) => x === "UNAUTHENTICATED" || x === "FORBIDDEN")).toBe(true);
    expectLocked(await login(c.phone, c.pin));
  });

  it("unknown phone numbers are locked the same way (no hint which numbers exist)", async () => {
    const phone = freshPhone();
    for (let i = 0; i < 5; i++) expectInvalid(await login(phone, "123456"));
    expectLocked(await login(phone, "123456"));
    const [r] = await (await world()).database.db.select({ n: count() }).from(customers).where(eq(customers.phone, E164(phone)));
    expect(r!.n).toBe(0);
  });

  it("the lock is per phone number: another customer is not affected", async () => {
    const a = await registered();
    const b = await registered();
    for (let i = 0; i < 5; i++) expectInvalid(await login(a.phone, wrongPin(a.pin)));
    expectLocked(await login(a.phone, a.pin));
    expect((await login(b.phone, b.pin)).errors).toBeUndefined();
  });
});
