/**
 * submitApplication (RULES §4, §5): who may submit for whom, input checks, the open
 * application/loan conflict, scoring at once (grades, limits, denials) and the history it writes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { APPLICATION_STATUS_CODES } from "../src/domain/statuses.js";
import { DENIAL_REASONS } from "../src/features/applications/scoring.js";
import {
  SUBMIT,
  customerToken,
  dbApplicationsOf,
  eventsOf,
  expectError,
  expectEventsMatchHistory,
  ok,
  submitAs,
  submitInput,
} from "./support/applications.js";
import { makeApplication, makeCustomer, makeLoan, makePartner } from "./support/factories.js";
import { adminToken, gql, tokenFor, world } from "./support/world.js";

afterEach(async () => {
  (await world()).clock.set(null);
});

describe("submitApplication: who submits for whom", () => {
  it("a CUSTOMER applies for itself; the application carries its partner", async () => {
    const partner = await makePartner();
    const c = await makeCustomer({ partnerId: partner.id });
    const app = await submitAs(c, { purpose: "  Renovasi rumah  " });
    expect(app).toMatchObject({
      status: "SUBMITTED",
      statusCode: 110,
      requestedAmount: "3000000",
      tenorMonths: 3,
      purpose: "Renovasi rumah",
      customer: { id: c.id },
      partner: { id: partner.id },
      product: { code: "MTL" },
      offer: null,
      loan: null,
    });
    expect(app.statusHistory).toEqual([
      expect.objectContaining({ fromCode: null, toCode: 110, reason: null, actor: `customer:${c.id}` }),
    ]);
    const [row] = await dbApplicationsOf(c.id);
    expect(row!.partnerId).toBe(partner.id);
  });

  it("a CUSTOMER may name itself, but naming another customer is NOT_FOUND", async () => {
    const c = await makeCustomer();
    const other = await makeCustomer();
    const bad = await gql(SUBMIT, { input: submitInput({ customerId: other.id }) }, await customerToken(c));
    expectError(bad, "NOT_FOUND");
    expect(await dbApplicationsOf(other.id)).toHaveLength(0);
    expect(await dbApplicationsOf(c.id)).toHaveLength(0);
    const app = ok(await gql(SUBMIT, { input: submitInput({ customerId: c.id.toUpperCase() }) }, await customerToken(c))).submitApplication;
    expect(app.customer.id).toBe(c.id);
  });

  it("a PARTNER submits for its own customer, must name it, and cannot reach another partner's", async () => {
    const p1 = await makePartner();
    const p2 = await makePartner();
    const mine = await makeCustomer({ partnerId: p1.id });
    const theirs = await makeCustomer({ partnerId: p2.id });
    const direct = await makeCustomer();
    const token = await tokenFor("PARTNER", p1.id);

    expectError(await gql(SUBMIT, { input: submitInput() }, token), "BAD_USER_INPUT", { field: "customerId" });
    expectError(await gql(SUBMIT, { input: submitInput({ customerId: theirs.id }) }, token), "NOT_FOUND");
    expectError(await gql(SUBMIT, { input: submitInput({ customerId: direct.id }) }, token), "NOT_FOUND");
    expectError(await gql(SUBMIT, { input: submitInput({ customerId: "not-a-uuid" }) }, token), "NOT_FOUND");
    expect(await dbApplicationsOf(theirs.id)).toHaveLength(0);

    const app = ok(await gql(SUBMIT, { input: submitInput({ customerId: mine.id }) }, token)).submitApplication;
    expect(app).toMatchObject({ status: "SUBMITTED", customer: { id: mine.id }, partner: { id: p1.id } });
    expect(app.statusHistory[0]).toMatchObject({ fromCode: null, toCode: 110, actor: `partner:${p1.id}` });
  });

  it("an ADMIN submits for any customer and must name it", async () => {
    const c = await makeCustomer();
    const admin = await adminToken();
    expectError(await gql(SUBMIT, { input: submitInput() }, admin), "BAD_USER_INPUT", { field: "customerId" });
    expectError(await gql(SUBMIT, { input: submitInput({ customerId: "00000000-0000-4000-8000-000000000000" }) }, admin), "NOT_FOUND");
    const app = ok(await gql(SUBMIT, { input: submitInput({ customerId: c.id }) }, admin)).submitApplication;
    expect(app).toMatchObject({ status: "SUBMITTED", customer: { id: c.id }, partner: null });
    expect(app.statusHistory[0]).toMatchObject({ actor: "admin:tester" });
  });

  it("anonymous is UNAUTHENTICATED", async () => {
    const c = await makeCustomer();
    expectError(await gql(SUBMIT, { input: submitInput({ customerId: c.id }) }), "UNAUTHENTICATED");
    expect(await dbApplicationsOf(c.id)).toHaveLength(0);
  });
});

describe("submitApplication: input checks (BAD_USER_INPUT, nothing written)", () => {
  const cases: [string, Parameters<typeof submitInput>[0], string][] = [
    ["unknown product", { productCode: "XYZ" }, "productCode"],
    ["MTL amount below 2,000,000", { requestedAmount: "1999999" }, "requestedAmount"],
    ["MTL amount above 8,000,000", { requestedAmount: "8000001" }, "requestedAmount"],
    ["MTL tenor below 3", { tenorMonths: 2 }, "tenorMonths"],
    ["MTL tenor above 6", { tenorMonths: 7 }, "tenorMonths"],
    ["STL amount below 500,000", { productCode: "STL", requestedAmount: "499999", tenorMonths: 1 }, "requestedAmount"],
    ["STL amount above 1,000,000", { productCode: "STL", requestedAmount: "1000001", tenorMonths: 1 }, "requestedAmount"],
    ["STL tenor 2", { productCode: "STL", requestedAmount: "1000000", tenorMonths: 2 }, "tenorMonths"],
    ["blank purpose", { purpose: "   " }, "purpose"],
    ["empty purpose", { purpose: "" }, "purpose"],
    ["purpose of 501 characters", { purpose: "x".repeat(501) }, "purpose"],
    ["negative amount", { requestedAmount: "-3000000" }, "requestedAmount"],
    ["fractional amount", { requestedAmount: "3000000.5" }, "requestedAmount"],
  ];
  for (const [name, vars, field] of cases) {
    it(name, async () => {
      const c = await makeCustomer();
      const r = await gql(SUBMIT, { input: submitInput(vars) }, await customerToken(c));
      expect(r.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      if (!vars?.requestedAmount?.toString().match(/[-.]/)) expect(r.errors?.[0]?.extensions?.field).toBe(field);
      expect(await dbApplicationsOf(c.id)).toHaveLength(0);
    });
  }

  it("accepts the range ends and a purpose of 500 characters", async () => {
    for (const vars of [
      { requestedAmount: "2000000", tenorMonths: 3 },
      { requestedAmount: 8000000, tenorMonths: 6, purpose: "y".repeat(500) },
      { productCode: "STL", requestedAmount: "500000", tenorMonths: 1 },
      { productCode: "STL", requestedAmount: "1000000", tenorMonths: 1 },
    ]) {
      const c = await makeCustomer({ monthlyIncome: 50_000_000n });
      const app = await submitAs(c, vars);
      expect(app.status).toBe("SUBMITTED");
      expect(app.requestedAmount).toBe(String(vars.requestedAmount));
    }
  });
});

describe("submitApplication: one open application or loan at a time (CONFLICT)", () => {
  it("refuses while an application is SUBMITTED, OFFER_MADE or OFFER_ACCEPTED", async () => {
    const c = await makeCustomer();
    await submitAs(c);
    expectError(await gql(SUBMIT, { input: submitInput() }, await customerToken(c)), "CONFLICT");
    expect(await dbApplicationsOf(c.id)).toHaveLength(1);
    for (const status of ["OFFER_MADE", "OFFER_ACCEPTED"] as const) {
      const other = await makeCustomer();
      await makeApplication({ customer: other, status });
      const r = await gql(SUBMIT, { input: submitInput({ customerId: other.id }) }, await adminToken());
      expectError(r, "CONFLICT");
      expect(await dbApplicationsOf(other.id)).toHaveLength(1);
    }
  });

  it("allows it again after a closed application (DENIED, CANCELLED, DECLINED, EXPIRED)", async () => {
    for (const status of ["DENIED", "CANCELLED", "OFFER_DECLINED", "OFFER_EXPIRED"] as const) {
      const c = await makeCustomer();
      await makeApplication({ customer: c, status });
      expect((await submitAs(c)).status).toBe("SUBMITTED");
    }
  });

  it("refuses while a loan is open (CURRENT, LATE_*) and allows it after PAID_OFF or WRITTEN_OFF", async () => {
    for (const status of ["CURRENT", "LATE_5DPD", "LATE_90DPD"] as const) {
      const c = await makeCustomer();
      await makeLoan({ customer: c, status });
      expectError(await gql(SUBMIT, { input: submitInput() }, await customerToken(c)), "CONFLICT");
      expect(await dbApplicationsOf(c.id)).toHaveLength(1);
    }
    for (const status of ["PAID_OFF", "WRITTEN_OFF"] as const) {
      const c = await makeCustomer();
      await makeLoan({ customer: c, status });
      expect((await submitAs(c)).status).toBe("SUBMITTED");
    }
  });

  it("5 concurrent submissions for one customer: exactly one succeeds, the others are CONFLICT", async () => {
    const c = await makeCustomer();
    const token = await customerToken(c);
    const results = await Promise.all(Array.from({ length: 5 }, () => gql(SUBMIT, { input: submitInput() }, token)));
    const wins = results.filter((r) => !r.errors);
    expect(wins).toHaveLength(1);
    for (const r of results.filter((r) => r.errors)) expectError(r, "CONFLICT");
    const rows = await dbApplicationsOf(c.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(wins[0]!.data!.submitApplication.id);
    expect(await eventsOf(rows[0]!.id)).toHaveLength(1);
  });
});

describe("submitApplication: scoring at once", () => {
  /** [case, amount, tenor, income, grade, maxAmount, maxTenor, rate] (MTL, estimate rate 400 bps). */
  const grades: [string, string, number, bigint, string, string, number, number][] = [
    ["A- at ratio exactly 0.20 with income ≥ 8M", "8000000", 6, 8_266_665n, "A-", "8000000", 6, 400],
    ["B+ just above ratio 0.20", "8000000", 6, 8_266_664n, "B+", "7000000", 6, 500],
    ["A- needs income ≥ 8,000,000 (exactly)", "3000000", 3, 8_000_000n, "A-", "8000000", 6, 400],
    ["B+ with income 7,999,999 (low ratio)", "3000000", 3, 7_999_999n, "B+", "7000000", 6, 500],
    ["B+ at ratio exactly 0.30", "8000000", 6, 5_511_110n, "B+", "7000000", 6, 500],
    ["B- just above ratio 0.30", "8000000", 6, 5_511_109n, "B-", "5000000", 4, 600],
    ["B+ needs income ≥ 5,000,000 (exactly)", "3000000", 3, 5_000_000n, "B+", "7000000", 6, 500],
    ["B- with income 4,999,999 (ratio 0.224)", "3000000", 3, 4_999_999n, "B-", "5000000", 4, 600],
    ["B- at ratio exactly 0.40", "8000000", 6, 4_133_333n, "B-", "5000000", 4, 600],
  ];
  for (const [name, amount, tenor, income, grade, maxAmount, maxTenor, rate] of grades) {
    it(name, async () => {
      const c = await makeCustomer({ monthlyIncome: income });
      const app = await submitAs(c, { requestedAmount: amount, tenorMonths: tenor });
      expect(app.status).toBe("SUBMITTED");
      expect(app.creditScore).toEqual({ grade, maxAmount, maxTenorMonths: maxTenor, monthlyInterestRateBps: rate, reasons: [] });
      expect(app.statusHistory).toHaveLength(1);
    });
  }

  it("STL uses its own rate in the estimate and the product's limits and rate", async () => {
    const c = await makeCustomer({ monthlyIncome: 5_500_000n });
    // estimate = 1,000,000 + 100,000 = 1,100,000; ratio = 0.2 exactly, income < 8M → B+.
    const app = await submitAs(c, { productCode: "STL", requestedAmount: "1000000", tenorMonths: 1 });
    expect(app.creditScore).toEqual({ grade: "B+", maxAmount: "1000000", maxTenorMonths: 1, monthlyInterestRateBps: 1000, reasons: [] });
    const poor = await makeCustomer({ monthlyIncome: 3_000_000n });
    // ratio 0.367 → B- still gets the product's limits.
    const b = await submitAs(poor, { productCode: "STL", requestedAmount: "1000000", tenorMonths: 1 });
    expect(b.creditScore).toEqual({ grade: "B-", maxAmount: "1000000", maxTenorMonths: 1, monthlyInterestRateBps: 1000, reasons: [] });
  });

  it("grade C is DENIED at once: history null → 110 → 135, the denial by \"system\", events alike", async () => {
    const c = await makeCustomer({ monthlyIncome: 4_133_332n });
    const app = await submitAs(c, { requestedAmount: "8000000", tenorMonths: 6 });
    expect(app).toMatchObject({ status: "DENIED", statusCode: 135, offer: null, loan: null });
    expect(app.creditScore).toEqual({
      grade: "C",
      maxAmount: "0",
      maxTenorMonths: 0,
      monthlyInterestRateBps: 0,
      reasons: [DENIAL_REASONS.CREDIT_GRADE_C],
    });
    expect(app.statusHistory.map((h: any) => [h.fromCode, h.toCode, h.actor])).toEqual([
      [null, 110, `customer:${c.id}`],
      [110, 135, "system"],
    ]);
    expect(app.statusHistory[0].reason).toBeNull();
    expect(app.statusHistory[1].reason).toContain(DENIAL_REASONS.CREDIT_GRADE_C);
    await expectEventsMatchHistory(app.id, app.statusHistory, APPLICATION_STATUS_CODES);
    // A denied application does not block a new one.
    const rich = await submitAs(c, { requestedAmount: "2000000", tenorMonths: 6 });
    expect(rich.status).toBe("SUBMITTED");
  });

  it("income 2,999,999 is DENIED (3,000,000 is not)", async () => {
    const poor = await makeCustomer({ monthlyIncome: 2_999_999n });
    const denied = await submitAs(poor, { requestedAmount: "2000000", tenorMonths: 6 });
    expect(denied.status).toBe("DENIED");
    expect(denied.creditScore).toMatchObject({ grade: "B-", reasons: [DENIAL_REASONS.INCOME_BELOW_3000000] });
    expect(denied.statusHistory[1]).toMatchObject({ fromCode: 110, toCode: 135, actor: "system" });
    expect(denied.statusHistory[1].reason).toContain("INCOME_BELOW_3000000");
    const enough = await makeCustomer({ monthlyIncome: 3_000_000n });
    expect((await submitAs(enough, { requestedAmount: "2000000", tenorMonths: 6 })).status).toBe("SUBMITTED");
  });

  it("age at submission on today's Jakarta date: 20 and 61 DENIED, 21 and 60 allowed", async () => {
    // 2026-03-14 17:30 UTC is already 2026-03-15 in Jakarta.
    (await world()).clock.set("2026-03-14T17:30:00.000Z");
    const cases: [string, string, string | null][] = [
      ["2005-03-16", "DENIED", DENIAL_REASONS.AGE_BELOW_21], // 20 (turns 21 tomorrow)
      ["2005-03-15", "SUBMITTED", null], // 21 today (Jakarta)
      ["1965-03-16", "SUBMITTED", null], // 60 (turns 61 tomorrow)
      ["1965-03-15", "DENIED", DENIAL_REASONS.AGE_ABOVE_60], // 61 today
    ];
    for (const [dateOfBirth, status, reason] of cases) {
      const c = await makeCustomer({ dateOfBirth });
      const app = await submitAs(c);
      expect(app.status, dateOfBirth).toBe(status);
      expect(app.creditScore.reasons).toEqual(reason ? [reason] : []);
      expect(app.creditScore.grade).toBe("A-");
      expect(app.createdAt).toBe("2026-03-14T17:30:00.000Z");
      if (reason) expect(app.statusHistory[1]).toMatchObject({ fromCode: 110, toCode: 135, actor: "system" });
    }
  });

  it("several reasons at once, in order", async () => {
    (await world()).clock.set("2026-03-15T03:00:00.000Z");
    const c = await makeCustomer({ dateOfBirth: "2006-01-01", monthlyIncome: 2_000_000n });
    const app = await submitAs(c, { requestedAmount: "8000000", tenorMonths: 3 });
    expect(app.status).toBe("DENIED");
    expect(app.creditScore.reasons).toEqual([
      DENIAL_REASONS.CREDIT_GRADE_C,
      DENIAL_REASONS.AGE_BELOW_21,
      DENIAL_REASONS.INCOME_BELOW_3000000,
    ]);
    for (const r of app.creditScore.reasons) expect(app.statusHistory[1].reason).toContain(r);
  });
});
