import { randomUUID } from "node:crypto";
import { count, eq, or } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { customers } from "../src/db/schema.js";
import { makePartner } from "./support/factories.js";
import { freshEmail, freshPhone, nikOf, register, registration, type RegistrationInput } from "./support/registration.js";
import { adminToken, codeOf, gql, tokenFor, world, type GqlResult } from "./support/world.js";

async function db() {
  return (await world()).database.db;
}

/** Rows holding any identity value of `input` (as it would be stored). */
async function rowsLike(input: RegistrationInput): Promise<number> {
  const digits = input.phone.replace(/[^0-9]/g, "");
  const phone = `+62${digits.replace(/^(62|0)/, "")}`;
  const [r] = await (await db())
    .select({ n: count() })
    .from(customers)
    .where(or(eq(customers.nik, input.nik), eq(customers.phone, phone), eq(customers.email, input.email.trim().toLowerCase())));
  return r!.n;
}

async function totalCustomers(): Promise<number> {
  const [r] = await (await db()).select({ n: count() }).from(customers);
  return r!.n;
}

function expectOk(r: GqlResult) {
  expect(r.errors).toBeUndefined();
  return r.data!.registerCustomer as { token: string; customer: Record<string, any> };
}

function expectBad(r: GqlResult, field: string) {
  expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  expect(r.data?.registerCustomer ?? null).toBeNull();
}

/** Rejected: the right error and not a single row written. */
async function expectRejected(input: RegistrationInput, field: string, token?: string | null) {
  const before = await totalCustomers();
  const r = await register(input, token);
  expectBad(r, field);
  expect(await rowsLike(input)).toBe(0);
  expect(await totalCustomers()).toBe(before);
}

// Real time unless a test sets it (also before each test, in case an earlier file left it set).
beforeEach(async () => (await world()).clock.set(null));

describe("registerCustomer: success", () => {
  it("registers an anonymous caller, normalises fields and returns a working CUSTOMER token", async () => {
    const input = registration({ fullName: "  Siti Aminah  ", email: "  Siti.Aminah+" + Date.now() + "@Example.CO.ID ", monthlyIncome: 7_500_000 });
    const res = expectOk(await register(input));
    const c = res.customer;
    expect(c).toMatchObject({
      fullName: "Siti Aminah",
      nik: input.nik,
      phone: `+62${input.phone.slice(1)}`,
      email: input.email.trim().toLowerCase(),
      dateOfBirth: "1990-05-17",
      monthlyIncome: "7500000",
      walletBalance: "0",
      partner: null,
    });
    const me = await gql(`{ me { role customer { id fullName } } }`, {}, res.token);
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toEqual({ role: "CUSTOMER", customer: { id: c.id, fullName: "Siti Aminah" } });
    const [row] = await (await db()).select().from(customers).where(eq(customers.id, c.id));
    expect(row!.partnerId).toBeNull();
    expect(row!.pinHash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(row!.pinHash).not.toContain(input.pin);
  });

  it("a PARTNER's registration makes the customer its own (masked nik for the partner)", async () => {
    const partner = await makePartner();
    const ptoken = await tokenFor("PARTNER", partner.id);
    const input = registration();
    const res = expectOk(await register(input, ptoken));
    expect(res.customer.partner).toEqual({ id: partner.id, code: partner.code });
    const masked = `${input.nik.slice(0, 6)}******${input.nik.slice(-4)}`;
    expect(res.customer.nik).toBe(masked);
    const [row] = await (await db()).select().from(customers).where(eq(customers.id, res.customer.id));
    expect(row!.partnerId).toBe(partner.id);
    expect(row!.nik).toBe(input.nik);

    const seen = await gql(
      `query($id: ID!, $pid: ID!) { customer(id: $id) { id nik partner { id } } partner(id: $pid) { customers(first: 10) { nodes { id } totalCount } } }`,
      { id: res.customer.id, pid: partner.id },
      ptoken,
    );
    expect(seen.errors).toBeUndefined();
    expect(seen.data!.customer).toEqual({ id: res.customer.id, nik: masked, partner: { id: partner.id } });
    expect(seen.data!.partner.customers.nodes).toEqual([{ id: res.customer.id }]);

    // Another partner does not see it.
    const other = await makePartner();
    const hidden = await gql(`query($id: ID!) { customer(id: $id) { id } }`, { id: res.customer.id }, await tokenFor("PARTNER", other.id));
    expect(hidden.data!.customer).toBeNull();

    // The customer's own token sees its partner and the full nik.
    const mine = await gql(`{ me { customer { nik partner { id } } } }`, {}, res.token);
    expect(mine.data!.me.customer).toEqual({ nik: input.nik, partner: { id: partner.id } });
  });

  it("an ADMIN may register a customer, with no partner", async () => {
    const res = expectOk(await register(registration(), await adminToken()));
    expect(res.customer.partner).toBeNull();
    const [row] = await (await db()).select().from(customers).where(eq(customers.id, res.customer.id));
    expect(row!.partnerId).toBeNull();
  });

  it("a CUSTOMER may not register another customer (FORBIDDEN, nothing written)", async () => {
    const first = expectOk(await register(registration()));
    const input = registration();
    const before = await totalCustomers();
    const r = await register(input, first.token);
    expect(codeOf(r)).toBe("FORBIDDEN");
    expect(await rowsLike(input)).toBe(0);
    expect(await totalCustomers()).toBe(before);
  });

  it("a PARTNER token for a partner that does not exist is FORBIDDEN, nothing written", async () => {
    const input = registration();
    const r = await register(input, await tokenFor("PARTNER", randomUUID()));
    expect(codeOf(r)).toBe("FORBIDDEN");
    expect(await rowsLike(input)).toBe(0);
  });

  it("a bad token is UNAUTHENTICATED, never anonymous", async () => {
    const input = registration();
    const r = await gql(`mutation($input: RegisterCustomerInput!) { registerCustomer(input: $input) { token } }`, { input }, "not.a.jwt");
    expect(codeOf(r)).toBe("UNAUTHENTICATED");
    expect(await rowsLike(input)).toBe(0);
  });
});

describe("registerCustomer: NIK", () => {
  it("province code 11 and 94 are accepted; 10 and 95 are not", async () => {
    expectOk(await register(registration({ nik: nikOf("1990-05-17", { province: 11 }) })));
    expectOk(await register(registration({ nik: nikOf("1990-05-17", { province: 94 }) })));
    await expectRejected(registration({ nik: nikOf("1990-05-17", { province: 10 }) }), "nik");
    await expectRejected(registration({ nik: nikOf("1990-05-17", { province: 95 }) }), "nik");
  });

  it("women carry the day of birth plus 40", async () => {
    const nik = nikOf("1992-03-09", { female: true });
    expect(nik.slice(6, 12)).toBe("490392");
    expectOk(await register(registration({ dateOfBirth: "1992-03-09", nik })));
    const dob31 = nikOf("1988-12-31", { female: true });
    expect(dob31.slice(6, 8)).toBe("71");
    expectOk(await register(registration({ dateOfBirth: "1988-12-31", nik: dob31 })));
  });

  it("must agree with dateOfBirth (day, month, two-digit year)", async () => {
    const dob = "1990-05-17";
    const base = nikOf(dob);
    const withDigits = (pos: number, s: string) => base.slice(0, pos) + s + base.slice(pos + s.length);
    await expectRejected(registration({ dateOfBirth: dob, nik: withDigits(6, "18") }), "nik");
    await expectRejected(registration({ dateOfBirth: dob, nik: withDigits(8, "06") }), "nik");
    await expectRejected(registration({ dateOfBirth: dob, nik: withDigits(10, "91") }), "nik");
    // A man's NIK day with a woman's offset for another day: 57 = 17 + 40 is fine, 58 is not.
    await expectRejected(registration({ dateOfBirth: dob, nik: withDigits(6, "58") }), "nik");
    await expectRejected(registration({ dateOfBirth: dob, nik: withDigits(6, "32") }), "nik");
  });

  it("must be exactly 16 digits", async () => {
    const nik = nikOf("1990-05-17");
    await expectRejected(registration({ nik: nik.slice(0, 15) }), "nik");
    await expectRejected(registration({ nik: nik + "1" }), "nik");
    await expectRejected(registration({ nik: nik.slice(0, 15) + "A" }), "nik");
    await expectRejected(registration({ nik: ` ${nik.slice(1)}` }), "nik");
  });
});

describe("registerCustomer: phone, email, pin, name, income", () => {
  it("accepts 08…, 628… and +628… and stores +628…", async () => {
    for (const form of [(p: string) => p, (p: string) => `62${p.slice(1)}`, (p: string) => `+62${p.slice(1)}`]) {
      const local = freshPhone();
      const res = expectOk(await register(registration({ phone: form(local) })));
      expect(res.customer.phone).toBe(`+62${local.slice(1)}`);
    }
    // Spaces and hyphens are ignored.
    const local = freshPhone();
    const spaced = `${local.slice(0, 4)}-${local.slice(4, 8)} ${local.slice(8)}`;
    expect(expectOk(await register(registration({ phone: spaced }))).customer.phone).toBe(`+62${local.slice(1)}`);
  });

  it("after the prefix: 8 and 8–11 digits", async () => {
    const ten = freshPhone().slice(3); // 9 digits after "081"
    // 8 + 8 digits (shortest) and 8 + 11 digits (longest) are fine.
    expect(expectOk(await register(registration({ phone: `08${ten.slice(0, 8)}` }))).customer.phone).toBe(`+628${ten.slice(0, 8)}`);
    expect(expectOk(await register(registration({ phone: `+628${ten}11` }))).customer.phone).toBe(`+628${ten}11`);
    await expectRejected(registration({ phone: `08${ten.slice(0, 7)}` }), "phone"); // 8 + 7
    await expectRejected(registration({ phone: `08${ten}123` }), "phone"); // 8 + 12
    await expectRejected(registration({ phone: `07${ten}` }), "phone"); // not a mobile number
    await expectRejected(registration({ phone: `+658${ten}` }), "phone");
    await expectRejected(registration({ phone: "" }), "phone");
  });

  it("stores e-mail lower-case and rejects invalid addresses", async () => {
    const email = `Upper.Case-${Date.now()}@Example.COM`;
    expect(expectOk(await register(registration({ email }))).customer.email).toBe(email.toLowerCase());
    for (const bad of ["plainaddress", "no-domain@", "@example.com", "a@b", "two@@example.com", "dot.@example.com", "a@example.c", ""]) {
      await expectRejected(registration({ email: bad }), "email");
    }
  });

  it("pin is exactly 6 digits", async () => {
    await expectRejected(registration({ pin: "12345" }), "pin");
    await expectRejected(registration({ pin: "1234567" }), "pin");
    await expectRejected(registration({ pin: "12345a" }), "pin");
    await expectRejected(registration({ pin: " 12345" }), "pin");
    await expectRejected(registration({ pin: "" }), "pin");
    expectOk(await register(registration({ pin: "000000" })));
  });

  it("fullName is trimmed, non-empty, at most 200 characters", async () => {
    await expectRejected(registration({ fullName: "" }), "fullName");
    await expectRejected(registration({ fullName: "   " }), "fullName");
    await expectRejected(registration({ fullName: "x".repeat(201) }), "fullName");
    expect(expectOk(await register(registration({ fullName: ` ${"y".repeat(200)} ` }))).customer.fullName).toBe("y".repeat(200));
  });

  it("monthlyIncome: 0 is fine, negative or fractional is BAD_USER_INPUT", async () => {
    expect(expectOk(await register(registration({ monthlyIncome: "0" }))).customer.monthlyIncome).toBe("0");
    for (const bad of ["-1", -1, "1.5", "1e6"]) {
      const input = registration({ monthlyIncome: bad as string });
      const r = await register(input);
      expect(codeOf(r)).toBe("BAD_USER_INPUT");
      expect(await rowsLike(input)).toBe(0);
    }
  });
});

describe("registerCustomer: dateOfBirth and age", () => {
  afterEach(async () => (await world()).clock.set(null));

  it("17 exactly is accepted; 16 years 364 days is not (Jakarta calendar day)", async () => {
    const w = await world();
    // 2026-03-14T18:00Z is already 2026-03-15 in Jakarta.
    w.clock.set("2026-03-14T18:00:00.000Z");
    expectOk(await register(registration({ dateOfBirth: "2009-03-15" })));
    await expectRejected(registration({ dateOfBirth: "2009-03-16" }), "dateOfBirth");
    w.clock.set("2026-03-14T16:59:59.000Z"); // still 2026-03-14 in Jakarta
    await expectRejected(registration({ dateOfBirth: "2009-03-15" }), "dateOfBirth");
  });

  it("a leap-day birthday turns 17 on 1 March in common years", async () => {
    const w = await world();
    w.clock.set("2025-02-28T05:00:00.000Z");
    await expectRejected(registration({ dateOfBirth: "2008-02-29" }), "dateOfBirth");
    w.clock.set("2025-03-01T05:00:00.000Z");
    expectOk(await register(registration({ dateOfBirth: "2008-02-29" })));
  });

  it("a future date of birth is rejected", async () => {
    const w = await world();
    w.clock.set("2026-03-15T05:00:00.000Z");
    await expectRejected(registration({ dateOfBirth: "2026-03-16" }), "dateOfBirth");
    await expectRejected(registration({ dateOfBirth: "2030-01-01" }), "dateOfBirth");
  });

  it("a malformed date is BAD_USER_INPUT", async () => {
    const input = registration();
    const r = await register({ ...input, dateOfBirth: "1990-02-30" });
    expect(codeOf(r)).toBe("BAD_USER_INPUT");
    expect(await rowsLike(input)).toBe(0);
  });
});

describe("registerCustomer: uniqueness", () => {
  it("a duplicate nik, phone (in any form) or email (any case) is CONFLICT naming the field", async () => {
    const first = registration({ email: `Dup-${Date.now()}@Example.id` });
    expectOk(await register(first));

    const cases: [Partial<RegistrationInput>, string][] = [
      [{ nik: first.nik }, "nik"],
      [{ phone: first.phone }, "phone"],
      [{ phone: `+62${first.phone.slice(1)}` }, "phone"],
      [{ phone: `62${first.phone.slice(1)}` }, "phone"],
      [{ email: first.email.toUpperCase() }, "email"],
      [{ email: ` ${first.email.toLowerCase()} ` }, "email"],
    ];
    for (const [over, field] of cases) {
      const before = await totalCustomers();
      const r = await register(registration(over));
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", field });
      expect(await totalCustomers()).toBe(before);
    }
  });

  it("concurrent registrations of one NIK: exactly one wins, the others are CONFLICT on nik", async () => {
    const nik = nikOf("1990-05-17");
    const inputs = Array.from({ length: 6 }, () => registration({ nik, phone: freshPhone(), email: freshEmail() }));
    const results = await Promise.all(inputs.map((i) => register(i)));
    const ok = results.filter((r) => !r.errors);
    const conflicts = results.filter((r) => r.errors?.[0]?.extensions?.code === "CONFLICT");
    expect(ok).toHaveLength(1);
    expect(conflicts).toHaveLength(5);
    for (const c of conflicts) expect(c.errors![0]!.extensions!.field).toBe("nik");
    const [r] = await (await db()).select({ n: count() }).from(customers).where(eq(customers.nik, nik));
    expect(r!.n).toBe(1);
  });

  it("concurrent registrations of one phone: exactly one wins, the others are CONFLICT on phone", async () => {
    const phone = freshPhone();
    const inputs = Array.from({ length: 4 }, (_, i) => registration({ phone: i % 2 ? phone : `+62${phone.slice(1)}` }));
    const results = await Promise.all(inputs.map((i) => register(i)));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    for (const r of results.filter((x) => x.errors)) expect(r.errors![0]!.extensions).toMatchObject({ code: "CONFLICT", field: "phone" });
  });
});
