/**
 * Loan.payoffQuote(asOf) (RULES §12.1, contract corrections.graphql).
 *
 * Every figure is worked out by hand from RULES §6 (schedule) and §12.1 (quote). The loan of
 * every test is the §6 example: P = 3,000,000, n = 3, 400 bps, loanDate 2026-01-10:
 *   p = floor(3,000,000 / 3) = 1,000,000; i = floor(3,000,000 * 0.04) = 120,000;
 *   a = floor(1,120,000 / 1000) * 1000 = 1,120,000 > p, so i stays 120,000;
 *   cycle day 10; first due 2026-02-10 (31 days after 01-10 ≥ 15), then 03-10, 04-10;
 *   #1 interest = floor(120,000 * 31 / 30) = 124,000; #3 principal 3,000,000 - 2,000,000 =
 *   1,000,000 and interest 120,000 - (3,000,000 - 3,000,000) = 120,000;
 *   fee cap floor(3,000,000 * 40 * 90 / 10000) = 1,080,000 ≥ fee 150,000 + interest 364,000.
 *   → #1 02-10 1,000,000 + 124,000 · #2 03-10 1,000,000 + 120,000 · #3 04-10 1,000,000 + 120,000.
 * The disbursement date is 2026-01-10 (disbursedAt 2026-01-10T03:00Z = 10:00 in Jakarta).
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LoanStatus } from "../src/domain/statuses.js";
import { payoffQuote, ok } from "./support/corrections.js";
import { makeCustomer, makeLoan, makePartner, setInstallment, type LoanWorld } from "./support/factories.js";
import { loanSnapshot, pay } from "./support/payments.js";
import { adminToken, codeOf, gql, tokenFor, world } from "./support/world.js";

let admin: string;

beforeAll(async () => {
  admin = await adminToken();
});
afterEach(async () => {
  (await world()).clock.set(null);
});

async function setNow(iso: string) {
  (await world()).clock.set(iso);
}

async function exampleLoan(over: Partial<Parameters<typeof makeLoan>[0]> = {}): Promise<LoanWorld> {
  const customer = over.customer ?? (await makeCustomer());
  return makeLoan({ customer, principal: 3_000_000n, tenorMonths: 3, rateBps: 400, loanDate: "2026-01-10", status: "CURRENT", ...over });
}

/** The quote as ADMIN, checking that reading it wrote nothing. */
async function quote(loanId: string, asOf?: string, token: string | null = admin) {
  const before = await loanSnapshot(loanId);
  const r = await payoffQuote(token, loanId, asOf);
  expect(await loanSnapshot(loanId)).toEqual(before);
  return r;
}

async function quoteOf(loanId: string, asOf?: string) {
  const q = ok(await quote(loanId, asOf)).loan!.payoffQuote;
  expect(q).not.toBeNull();
  const { loan, ...figures } = q!;
  expect(loan).toEqual({ id: loanId });
  return figures;
}

describe("the schedule these figures rely on", () => {
  it("is the §6 example, read through the API", async () => {
    const l = await exampleLoan();
    const r = ok(
      await gql(`query($id: ID!) { loan(id: $id) { disbursedAt totalDue payments { installmentNumber dueDate principalDue interestDue lateFeeDue } } }`, { id: l.loan.id }, admin),
    );
    expect(r.loan.disbursedAt).toBe("2026-01-10T03:00:00.000Z");
    // 1,124,000 + 1,120,000 + 1,120,000
    expect(r.loan.totalDue).toBe("3364000");
    expect(r.loan.payments).toEqual([
      { installmentNumber: 1, dueDate: "2026-02-10", principalDue: "1000000", interestDue: "124000", lateFeeDue: "0" },
      { installmentNumber: 2, dueDate: "2026-03-10", principalDue: "1000000", interestDue: "120000", lateFeeDue: "0" },
      { installmentNumber: 3, dueDate: "2026-04-10", principalDue: "1000000", interestDue: "120000", lateFeeDue: "0" },
    ]);
  });
});

describe("an untouched loan", () => {
  it("asOf before the first due date: #1 is current and owed in full, #2 and #3 owe principal only", async () => {
    const l = await exampleLoan();
    await setNow("2026-01-25T05:00:00.000Z");
    // principal 1,000,000 * 3; interest of #1 only: 124,000; waived #2 + #3 interest 240,000;
    // amount 3,000,000 + 124,000 + 0 = 3,124,000.
    expect(await quoteOf(l.loan.id, "2026-01-20")).toEqual({
      asOf: "2026-01-20",
      principal: "3000000",
      interest: "124000",
      lateFees: "0",
      interestWaived: "240000",
      amount: "3124000",
    });
  });

  it("asOf on the disbursement date is allowed; the day before is BAD_USER_INPUT on asOf", async () => {
    const l = await exampleLoan();
    await setNow("2026-01-25T05:00:00.000Z");
    expect((await quoteOf(l.loan.id, "2026-01-10")).amount).toBe("3124000");
    const r = await quote(l.loan.id, "2026-01-09");
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "asOf" });
    expect(r.data?.loan?.payoffQuote ?? null).toBeNull();
  });

  it("asOf exactly on a due date: that installment is still the current one", async () => {
    const l = await exampleLoan();
    await setNow("2026-03-01T05:00:00.000Z");
    // #1 due 02-10 ≥ 02-10 → current: same as before its due date, 3,124,000.
    expect(await quoteOf(l.loan.id, "2026-02-10")).toEqual({
      asOf: "2026-02-10",
      principal: "3000000",
      interest: "124000",
      lateFees: "0",
      interestWaived: "240000",
      amount: "3124000",
    });
    // The day after: #1 is due before asOf (in full), #2 (03-10) is current (in full), #3 later:
    // interest 124,000 + 120,000 = 244,000, waived 120,000; amount 3,000,000 + 244,000 = 3,244,000.
    expect(await quoteOf(l.loan.id, "2026-02-11")).toEqual({
      asOf: "2026-02-11",
      principal: "3000000",
      interest: "244000",
      lateFees: "0",
      interestWaived: "120000",
      amount: "3244000",
    });
  });

  it("asOf after every due date: no current installment, everything owed, nothing waived", async () => {
    const l = await exampleLoan({ status: "LATE_1DPD", daysPastDue: 1 });
    await setNow("2026-05-01T05:00:00.000Z");
    // 3,000,000 + 124,000 + 120,000 + 120,000 = 3,364,000 = totalDue.
    const all = { principal: "3000000", interest: "364000", lateFees: "0", interestWaived: "0", amount: "3364000" };
    expect(await quoteOf(l.loan.id, "2026-04-11")).toEqual({ asOf: "2026-04-11", ...all });
    // On the last due date #3 is current and owed in full: the same figures.
    expect(await quoteOf(l.loan.id, "2026-04-10")).toEqual({ asOf: "2026-04-10", ...all });
  });
});

describe("asOf defaults to today in Asia/Jakarta (the business clock)", () => {
  it("uses the Jakarta date, not the UTC one", async () => {
    const l = await exampleLoan();
    // 2026-02-10T17:30Z is 00:30 on 2026-02-11 in Jakarta: #1 (due 02-10) is due before asOf.
    await setNow("2026-02-10T17:30:00.000Z");
    expect(await quoteOf(l.loan.id)).toEqual({
      asOf: "2026-02-11",
      principal: "3000000",
      interest: "244000",
      lateFees: "0",
      interestWaived: "120000",
      amount: "3244000",
    });
    // 16:59:59Z is 23:59:59 on 02-10 in Jakarta: #1 is still current.
    await setNow("2026-02-10T16:59:59.000Z");
    expect(await quoteOf(l.loan.id)).toMatchObject({ asOf: "2026-02-10", interest: "124000", interestWaived: "240000", amount: "3124000" });
  });
});

describe("with late fees and a partial payment", () => {
  /**
   * As a daily update on 2026-03-20 would leave the loan: #1 38 days past due (02-10 → 03-20 =
   * 18 + 20) has passed the 5 and 30 dpd thresholds: 2 × max(round100(1,124,000 * 500 / 10000)
   * = 56,200, 55,000) = 112,400; #2 10 days past due, one fee: max(1,120,000 * 5% = 56,000,
   * 55,000) = 56,000. Late fees 168,400 + interest 364,000 ≤ P. Then 500,000 received on 03-15
   * goes to #1's principal (oldest first, principal first).
   */
  async function lateLoan(): Promise<LoanWorld> {
    await setNow("2026-03-20T05:00:00.000Z");
    const l = await exampleLoan({ status: "LATE_30DPD", daysPastDue: 38 });
    await setInstallment(l.payments[0]!.id, { lateFeeDue: 112_400n, lateFeeThresholdsApplied: 2, status: "OVERDUE_30DPD", daysPastDue: 38 });
    await setInstallment(l.payments[1]!.id, { lateFeeDue: 56_000n, lateFeeThresholdsApplied: 1, status: "OVERDUE_5DPD", daysPastDue: 10 });
    const p = await pay(admin, { loanId: l.loan.id, amount: "500000", paidAt: "2026-03-15T05:00:00.000Z" });
    expect(p.errors).toBeUndefined();
    expect(p.data!.recordPayment.transaction.allocations).toEqual([
      { principal: "500000", interest: "0", lateFee: "0", payment: { id: l.payments[0]!.id, installmentNumber: 1 } },
    ]);
    return l;
  }

  it("today (03-20): #1 and #2 due before, #3 current: every outstanding rupiah, nothing waived", async () => {
    const l = await lateLoan();
    // principal 500,000 + 1,000,000 + 1,000,000 = 2,500,000; interest 124,000 + 120,000 +
    // 120,000 = 364,000; late fees 112,400 + 56,000 = 168,400; amount 3,032,400
    // (= totalDue 3,364,000 + 168,400 - paid 500,000).
    const q = { asOf: "2026-03-20", principal: "2500000", interest: "364000", lateFees: "168400", interestWaived: "0", amount: "3032400" };
    expect(await quoteOf(l.loan.id)).toEqual(q);
    expect(await quoteOf(l.loan.id, "2026-03-20")).toEqual(q);
    // 03-11: #2 is due before too, #3 (04-10) still current: the same figures.
    expect(await quoteOf(l.loan.id, "2026-03-11")).toEqual({ ...q, asOf: "2026-03-11" });
  });

  it("asOf on #2's due date (03-10): #2 current in full, #3's interest waived", async () => {
    const l = await lateLoan();
    // principal 2,500,000; interest 124,000 (#1) + 120,000 (#2) = 244,000; late fees 168,400;
    // waived #3's 120,000; amount 2,500,000 + 244,000 + 168,400 = 2,912,400.
    expect(await quoteOf(l.loan.id, "2026-03-10")).toEqual({
      asOf: "2026-03-10",
      principal: "2500000",
      interest: "244000",
      lateFees: "168400",
      interestWaived: "120000",
      amount: "2912400",
    });
  });

  it("an earlier asOf (02-01): #1 current, a later installment still owes its late fee", async () => {
    const l = await lateLoan();
    // #1 current: 500,000 + 124,000 + 112,400. #2 later: principal 1,000,000 and late fee
    // 56,000, interest 120,000 waived. #3 later: 1,000,000, interest 120,000 waived.
    // principal 2,500,000; interest 124,000; late fees 168,400; waived 240,000;
    // amount 2,500,000 + 124,000 + 168,400 = 2,792,400.
    expect(await quoteOf(l.loan.id, "2026-02-01")).toEqual({
      asOf: "2026-02-01",
      principal: "2500000",
      interest: "124000",
      lateFees: "168400",
      interestWaived: "240000",
      amount: "2792400",
    });
  });

  it("a fully paid installment is skipped when finding the current one", async () => {
    const l = await exampleLoan();
    await setNow("2026-02-06T05:00:00.000Z");
    expect((await pay(admin, { loanId: l.loan.id, amount: "1124000", paidAt: "2026-02-05T05:00:00.000Z" })).errors).toBeUndefined();
    // #1 paid. asOf 02-06 (before #1's due date too): current = first UNPAID with dueDate ≥ asOf
    // = #2: 1,000,000 + 120,000; #3 later: 1,000,000, waived 120,000. amount 2,120,000.
    expect(await quoteOf(l.loan.id, "2026-02-06")).toEqual({
      asOf: "2026-02-06",
      principal: "2000000",
      interest: "120000",
      lateFees: "0",
      interestWaived: "120000",
      amount: "2120000",
    });
  });
});

describe("loan status", () => {
  it.each<[LoanStatus]>([["LATE_1DPD"], ["LATE_90DPD"], ["LATE_180DPD"]])("a %s loan has a quote", async (status) => {
    const l = await exampleLoan({ status, daysPastDue: 1 });
    await setNow("2026-01-20T05:00:00.000Z");
    expect((await quoteOf(l.loan.id)).amount).toBe("3124000");
  });

  it.each<[LoanStatus]>([["INACTIVE"], ["CANCELLED"], ["DISBURSAL_FAILED"], ["PAID_OFF"], ["WRITTEN_OFF"]])("a %s loan has none (null)", async (status) => {
    const l = await exampleLoan({ status });
    await setNow("2026-01-20T05:00:00.000Z");
    const r = await quote(l.loan.id);
    expect(r.errors).toBeUndefined();
    expect(r.data!.loan).toMatchObject({ id: l.loan.id, status, payoffQuote: null });
  });

  it("is null once a payment paid the loan off", async () => {
    const l = await exampleLoan();
    await setNow("2026-01-20T05:00:00.000Z");
    expect((await pay(admin, { loanId: l.loan.id, amount: "3364000" })).data!.recordPayment.loan.status).toBe("PAID_OFF");
    expect(ok(await quote(l.loan.id)).loan!.payoffQuote).toBeNull();
  });
});

describe("visibility (whoever may see the loan)", () => {
  it("the customer and its partner see it; another customer, another partner see no loan; anonymous is UNAUTHENTICATED", async () => {
    const partner = await makePartner();
    const other = await makePartner();
    const customer = await makeCustomer({ partnerId: partner.id });
    const stranger = await makeCustomer();
    const l = await exampleLoan({ customer });
    await setNow("2026-01-20T05:00:00.000Z");
    const expected = { asOf: "2026-01-20", principal: "3000000", interest: "124000", lateFees: "0", interestWaived: "240000", amount: "3124000", loan: { id: l.loan.id } };

    for (const token of [await tokenFor("CUSTOMER", customer.id), await tokenFor("PARTNER", partner.id), admin]) {
      expect(ok(await quote(l.loan.id, undefined, token)).loan!.payoffQuote).toEqual(expected);
    }
    for (const token of [await tokenFor("CUSTOMER", stranger.id), await tokenFor("PARTNER", other.id)]) {
      const r = await quote(l.loan.id, undefined, token);
      expect(r.errors).toBeUndefined();
      expect(r.data!.loan).toBeNull();
    }
    const anon = await quote(l.loan.id, undefined, null);
    expect(codeOf(anon)).toBe("UNAUTHENTICATED");
    expect(anon.data?.loan ?? null).toBeNull();
  });
});
