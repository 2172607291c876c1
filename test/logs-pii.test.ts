/**
 * Secrets and personal data never reach the logs: registration, login with the right and a
 * wrong PIN, a request with an invalid token, and an internal error (a database failure in the
 * middle of a registration, whose driver error carries the query's parameters) go through the
 * worker's gateway, whose logger runs at debug level; then the captured JSON lines are searched
 * for the NIKs, PINs, PIN hashes and JWTs involved.
 */
import { randomInt } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customers } from "../src/db/schema.js";
import { LOGIN, REGISTER, registration } from "./support/registration.js";
import { gql, world } from "./support/world.js";

/** A 6-digit PIN with no obvious pattern (so it cannot appear by chance in a timestamp). */
function randomPin(): string {
  for (;;) {
    const pin = String(randomInt(100000, 1000000));
    if (new Set(pin).size >= 5) return pin;
  }
}

const FAILING_NAME = `Gagal Simpan ${randomInt(1_000_000)}`;
const TRIGGER = "logs_pii_test_fail";

beforeAll(async () => {
  // A database failure for one marked registration only (other test files are unaffected).
  const { db } = (await world()).database;
  await db.execute(
    sql.raw(`create or replace function ${TRIGGER}() returns trigger language plpgsql as $$
      begin
        if new.full_name = '${FAILING_NAME}' then raise exception 'simulated storage failure'; end if;
        return new;
      end $$`),
  );
  await db.execute(sql.raw(`create trigger ${TRIGGER} before insert on customers for each row execute function ${TRIGGER}()`));
});

afterAll(async () => {
  const { db } = (await world()).database;
  await db.execute(sql.raw(`drop trigger if exists ${TRIGGER} on customers`));
  await db.execute(sql.raw(`drop function if exists ${TRIGGER}()`));
});

describe("logs", () => {
  it("never contain a NIK, PIN, PIN hash or JWT, whatever happens", async () => {
    const w = await world();
    const before = w.logMark();
    const secrets: string[] = [];

    // Registration.
    const pin = randomPin();
    const input = registration({ pin });
    const reg = await gql(REGISTER, { input });
    expect(reg.errors).toBeUndefined();
    const regToken: string = reg.data!.registerCustomer.token;
    const customerId: string = reg.data!.registerCustomer.customer.id;
    const [row] = await w.database.db.select({ pinHash: customers.pinHash, phone: customers.phone }).from(customers).where(eq(customers.id, customerId));
    secrets.push(input.nik, pin, row!.pinHash, ...row!.pinHash.split("$").filter((part) => part.length >= 16), regToken);

    // Login: right PIN, then a wrong one.
    const good = await gql(LOGIN, { input: { phone: input.phone, pin } });
    expect(good.errors).toBeUndefined();
    const loginToken: string = good.data!.login.token;
    secrets.push(loginToken);
    const wrongPin = pin.split("").reverse().join("") === pin ? randomPin() : pin.split("").reverse().join("");
    const bad = await gql(LOGIN, { input: { phone: input.phone, pin: wrongPin } });
    expect(bad.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    secrets.push(wrongPin);

    // A request with an invalid token (a real one with its signature altered) and a garbage one.
    const [h, p, s] = loginToken.split(".");
    const forged = `${h}.${p}.${s!.slice(0, -4)}${s!.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
    const forgedResult = await gql(`{ me { customer { id nik } } }`, {}, forged);
    expect(forgedResult.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    secrets.push(forged, s!, p!);
    const garbage = `not-a-jwt-${randomInt(1_000_000_000)}`;
    expect((await gql(`{ me { customer { id } } }`, {}, garbage)).errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    secrets.push(garbage);

    // A token used successfully on a read of the customer's own NIK.
    const me = await gql(`{ me { customer { id nik } } }`, {}, loginToken);
    expect(me.data?.me?.customer?.nik).toBe(input.nik);

    // An internal error: storing a registration fails inside the database.
    const failPin = randomPin();
    const failing = registration({ pin: failPin, fullName: FAILING_NAME });
    const failed = await gql(REGISTER, { input: failing });
    expect(failed.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(JSON.stringify(failed)).not.toContain(failing.nik);
    secrets.push(failing.nik, failPin);

    const logs = w.logsSince(before);
    // The logger did run at debug level and did report the internal error.
    expect(logs.some((l) => l.includes('"msg":"graphql"'))).toBe(true);
    const errorLines = logs.filter((l) => l.includes("unexpected error"));
    expect(errorLines.length).toBeGreaterThan(0);
    // …usefully (the statement and the database's own message) but without the row's values.
    expect(errorLines.join("\n")).toContain("simulated storage failure");
    expect(errorLines.join("\n")).toContain("Failed query: insert into");
    expect(errorLines.join("\n")).toContain("params: [redacted]");
    expect(errorLines.join("\n")).not.toContain(failing.phone.slice(-8));
    expect(errorLines.join("\n")).not.toContain(failing.email);

    const text = logs.join("\n");
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(6);
      expect(text.includes(secret), `log output contains a secret (${secret.slice(0, 3)}…):\n${text}`).toBe(false);
    }
    // No PIN hash at all (the failed registration's hash was never stored, so search its format).
    expect(text).not.toMatch(/scrypt\$/);
    // No JWT-shaped string and no bearer credentials.
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
    expect(text).not.toMatch(/Bearer\s+(?!\[redacted\])/);
  });
});
