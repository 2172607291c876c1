/**
 * recordPayment allocation and statuses (RULES §8): oldest installment first, principal →
 * interest → late fee, the rest to the wallet; paid statuses by paidAt; the loan re-evaluated
 * as of paidAt. The §6 example loan: 3,000,000 over 3 months at 400 bps from 2026-01-10 →
 * 1,124,000 (due 02-10) / 1,120,000 (03-10) / 1,120,000 (04-10).
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeCustomer, makeLoan, setInstallment, type LoanWorld } from "./support/factories.js";
import { allocatedPlusWallet, checkMoneyInvariants, LOAN_STATE, loanSnapshot, pay } from "./support/payments.js";
import { adminToken, gql, world } from "./support/world.js";

let admin: string;
const NOW = "2026-06-01T05:00:00.000Z";

beforeAll(async () => {
  admin = await adminToken();
});
beforeEach(async () => {
  (await world()).clock.set(NOW);
});
afterEach(async () => {
  (await world()).clock.set(null);
});

async function exampleLoan(over: Partial<Parameters<typeof makeLoan>[0]> = {}): Promise<LoanWorld> {
  const customer = await makeCustomer();
  return makeLoan({ customer, status: "CURRENT", loanDate: "2026-01-10", ...over });
}

async function loanState(id: string) {
  const r = await gql(LOAN_STATE, { id }, admin);
  expect(r.errors).toBeUndefined();
  return r.data!.loan;
}

const alloc = (n: number, principal: string, interest: string, lateFee: string) => ({ principal, interest, lateFee, payment: expect.objectContaining({ installmentNumber: n }) });

describe("allocation of the §6 example loan", () => {
  it("checks the schedule the tests rely on", async () => {
    const l = await exampleLoan();
    expect(l.payments.map((p) => [p.dueDate, p.principalDue, p.interestDue])).toEqual([
      ["2026-02-10", 1_000_000n, 124_000n],
      ["2026-03-10", 1_000_000n, 120_000n],
      ["2026-04-10", 1_000_000n, 120_000n],
    ]);
  });

  it("puts a partial payment of 500,000 on installment 1's principal", async () => {
    const l = await exampleLoan();
    const r = await pay(admin, { loanId: l.loan.id, amount: "500000", paidAt: "2026-02-01T03:00:00.000Z", channel: " BCA VA " });
    expect(r.errors).toBeUndefined();
    const out = r.data!.recordPayment;
    expect(out.replayed).toBe(false);
    expect(out.transaction).toMatchObject({ amount: "500000", walletCredit: "0", channel: "BCA VA", paidAt: "2026-02-01T03:00:00.000Z" });
    expect(out.transaction.allocations).toEqual([alloc(1, "500000", "0", "0")]);
    expect(allocatedPlusWallet(out.transaction)).toBe(500_000n);
    expect(out.loan).toMatchObject({ status: "CURRENT", totalPaid: "500000", outstandingAmount: "2864000", daysPastDue: 0 });

    const s = await loanState(l.loan.id);
    expect(s.payments[0]).toMatchObject({ paidPrincipal: "500000", paidInterest: "0", paidAmount: "500000", status: "NOT_DUE", paidAt: null });
    expect(s.customer.walletBalance).toBe("0");
    // No loan status change: history unchanged (INACTIVE → CURRENT from the factory).
    expect(s.statusHistory.map((h: { toCode: number }) => h.toCode)).toEqual([210, 220]);
    checkMoneyInvariants(await loanSnapshot(l.loan.id));
  });

  it("pays installment 1 exactly with 1,124,000", async () => {
    const l = await exampleLoan();
    const r = await pay(admin, { loanId: l.loan.id, amount: 1_124_000, paidAt: "2026-02-05T03:00:00.000Z" });
    expect(r.errors).toBeUndefined();
    expect(r.data!.recordPayment.transaction.allocations).toEqual([alloc(1, "1000000", "124000", "0")]);
    expect(r.data!.recordPayment.transaction.walletCredit).toBe("0");
    const s = await loanState(l.loan.id);
    expect(s.payments[0]).toMatchObject({ status: "PAID_ON_TIME", statusCode: 330, outstandingAmount: "0", paidAt: "2026-02-05T03:00:00.000Z", daysPastDue: 0 });
    expect(s.payments[1]).toMatchObject({ paidAmount: "0", status: "NOT_DUE" });
    expect(s.status).toBe("CURRENT");
  });

  it("spreads across installments and a further payment continues where the last one stopped", async () => {
    const l = await exampleLoan();
    await pay(admin, { loanId: l.loan.id, amount: 500_000, paidAt: "2026-02-01T03:00:00.000Z" });
    const r = await pay(admin, { loanId: l.loan.id, amount: "1000000", paidAt: "2026-02-02T03:00:00.000Z" });
    expect(r.errors).toBeUndefined();
    // 500,000 principal + 124,000 interest finish #1; 376,000 goes to #2's principal.
    expect(r.data!.recordPayment.transaction.allocations).toEqual([alloc(1, "500000", "124000", "0"), alloc(2, "376000", "0", "0")]);
    checkMoneyInvariants(await loanSnapshot(l.loan.id));
  });

  it("overpaying everything by 10,000 credits the wallet and pays the loan off", async () => {
    const l = await exampleLoan();
    const r = await pay(admin, { loanId: l.loan.id, amount: "3374000", paidAt: "2026-02-03T03:00:00.000Z" });
    expect(r.errors).toBeUndefined();
    const t = r.data!.recordPayment.transaction;
    expect(t.allocations).toEqual([alloc(1, "1000000", "124000", "0"), alloc(2, "1000000", "120000", "0"), alloc(3, "1000000", "120000", "0")]);
    expect(t.walletCredit).toBe("10000");
    expect(allocatedPlusWallet(t)).toBe(3_374_000n);
    expect(r.data!.recordPayment.loan).toMatchObject({ status: "PAID_OFF", statusCode: 250, daysPastDue: 0, outstandingAmount: "0", totalPaid: "3364000" });

    const s = await loanState(l.loan.id);
    expect(s.customer.walletBalance).toBe("10000");
    expect(s.payments.map((p: { status: string }) => p.status)).toEqual(["PAID_ON_TIME", "PAID_ON_TIME", "PAID_ON_TIME"]);
    const last = s.statusHistory.at(-1);
    expect(last).toMatchObject({ fromCode: 220, toCode: 250, reason: `payment ${t.id}`, actor: "admin:tester" });
    const snap = checkMoneyInvariants(await loanSnapshot(l.loan.id));
    expect(snap.totalWallet).toBe(10_000n);
  });
});

describe("late fees", () => {
  it("are allocated after the installment's principal and interest", async () => {
    const l = await exampleLoan({ status: "LATE_5DPD", daysPastDue: 6 });
    await setInstallment(l.payments[0]!.id, { lateFeeDue: 55_000n, lateFeeThresholdsApplied: 1, status: "OVERDUE_5DPD", daysPastDue: 6 });

    // 1,124,000 + 30,000: principal and interest of #1 first, then 30,000 of its 55,000 late fee.
    const r1 = await pay(admin, { loanId: l.loan.id, amount: "1154000", paidAt: "2026-02-16T03:00:00.000Z" });
    expect(r1.errors).toBeUndefined();
    expect(r1.data!.recordPayment.transaction.allocations).toEqual([alloc(1, "1000000", "124000", "30000")]);
    let s = await loanState(l.loan.id);
    expect(s.payments[0]).toMatchObject({ paidLateFee: "30000", outstandingAmount: "25000", status: "OVERDUE_5DPD", daysPastDue: 6, paidAt: null });
    expect(s.status).toBe("LATE_5DPD");

    // The rest of the late fee comes before the next installment's principal.
    const r2 = await pay(admin, { loanId: l.loan.id, amount: "30000", paidAt: "2026-02-17T03:00:00.000Z" });
    expect(r2.errors).toBeUndefined();
    expect(r2.data!.recordPayment.transaction.allocations).toEqual([alloc(1, "0", "0", "25000"), alloc(2, "5000", "0", "0")]);
    s = await loanState(l.loan.id);
    expect(s.payments[0]).toMatchObject({ status: "PAID_LATE", statusCode: 332, paidLateFee: "55000", daysPastDue: 0 });
    expect(s.status).toBe("CURRENT");
    expect(s.daysPastDue).toBe(0);
    // No late fee is charged by a payment.
    expect(s.payments.map((p: { lateFeeDue: string }) => p.lateFeeDue)).toEqual(["55000", "0", "0"]);
    checkMoneyInvariants(await loanSnapshot(l.loan.id));
  });
});

describe("paid statuses by how late the installment was paid (Jakarta dates)", () => {
  const cases: [string, string, number][] = [
    ["2026-02-10T03:00:00.000Z", "PAID_ON_TIME", 330], // on the due date
    ["2026-02-10T16:59:59.000Z", "PAID_ON_TIME", 330], // 23:59:59 in Jakarta, still the due date
    ["2026-01-20T03:00:00.000Z", "PAID_ON_TIME", 330], // early
    ["2026-02-10T17:00:00.000Z", "PAID_WITHIN_GRACE", 331], // 00:00 on 02-11 in Jakarta: 1 day late
    ["2026-02-14T10:00:00.000Z", "PAID_WITHIN_GRACE", 331], // 4 days late
    ["2026-02-15T03:00:00.000Z", "PAID_LATE", 332], // 5 days late
    ["2026-04-01T03:00:00.000Z", "PAID_LATE", 332],
  ];
  for (const [paidAt, status, code] of cases) {
    it(`paid at ${paidAt} → ${status}`, async () => {
      const l = await exampleLoan();
      const r = await pay(admin, { loanId: l.loan.id, amount: "1124000", paidAt });
      expect(r.errors).toBeUndefined();
      const s = await loanState(l.loan.id);
      expect(s.payments[0]).toMatchObject({ status, statusCode: code, paidAt, daysPastDue: 0 });
    });
  }
});

describe("the loan is re-evaluated as of paidAt", () => {
  it("a LATE_5DPD loan whose late installment gets paid becomes CURRENT", async () => {
    (await world()).clock.set("2026-02-20T05:00:00.000Z");
    const l = await exampleLoan({ status: "LATE_5DPD", daysPastDue: 10 });
    await setInstallment(l.payments[0]!.id, { status: "OVERDUE_5DPD", daysPastDue: 10 });

    // A partial payment leaves it late: the installment is re-evaluated, still 10 dpd.
    const r1 = await pay(admin, { loanId: l.loan.id, amount: "100000" });
    expect(r1.errors).toBeUndefined();
    expect(r1.data!.recordPayment.loan).toMatchObject({ status: "LATE_5DPD", daysPastDue: 10 });

    const r2 = await pay(admin, { loanId: l.loan.id, amount: "1024000" });
    expect(r2.errors).toBeUndefined();
    expect(r2.data!.recordPayment.transaction.paidAt).toBe("2026-02-20T05:00:00.000Z");
    expect(r2.data!.recordPayment.loan).toMatchObject({ status: "CURRENT", statusCode: 220, daysPastDue: 0 });
    const s = await loanState(l.loan.id);
    expect(s.payments[0]).toMatchObject({ status: "PAID_LATE", daysPastDue: 0, paidAt: "2026-02-20T05:00:00.000Z" });
    // The still-unpaid installments are evaluated as of the payment (03-10 is 18 days away).
    expect(s.payments[1]).toMatchObject({ status: "NOT_DUE", daysPastDue: 0 });
    expect(s.statusHistory.at(-1)).toMatchObject({ fromCode: 231, toCode: 220, reason: `payment ${r2.data!.recordPayment.transaction.id}`, actor: "admin:tester" });
  });

  it("a partial payment after the due date shows the loan late as of paidAt", async () => {
    const l = await exampleLoan();
    const r = await pay(admin, { loanId: l.loan.id, amount: "100000", paidAt: "2026-02-12T03:00:00.000Z" });
    expect(r.errors).toBeUndefined();
    expect(r.data!.recordPayment.loan).toMatchObject({ status: "LATE_1DPD", statusCode: 230, daysPastDue: 2 });
    const s = await loanState(l.loan.id);
    expect(s.payments[0]).toMatchObject({ status: "OVERDUE_1DPD", daysPastDue: 2 });
    expect(s.payments[1]).toMatchObject({ status: "NOT_DUE", daysPastDue: 0 });
    expect(s.statusHistory.at(-1)).toMatchObject({ fromCode: 220, toCode: 230 });
  });

  it("paying installment 1 of a loan late on two installments keeps it late by the next one", async () => {
    const l = await exampleLoan({ status: "LATE_30DPD", daysPastDue: 40 });
    await setInstallment(l.payments[0]!.id, { status: "OVERDUE_30DPD", daysPastDue: 40 });
    await setInstallment(l.payments[1]!.id, { status: "OVERDUE_5DPD", daysPastDue: 12 });
    const r = await pay(admin, { loanId: l.loan.id, amount: "1124000", paidAt: "2026-03-22T03:00:00.000Z" });
    expect(r.errors).toBeUndefined();
    expect(r.data!.recordPayment.loan).toMatchObject({ status: "LATE_5DPD", daysPastDue: 12 });
    const s = await loanState(l.loan.id);
    expect(s.payments.map((p: { status: string; daysPastDue: number }) => [p.status, p.daysPastDue])).toEqual([
      ["PAID_LATE", 0],
      ["OVERDUE_5DPD", 12],
      ["NOT_DUE", 0],
    ]);
    expect(s.statusHistory.at(-1)).toMatchObject({ fromCode: 232, toCode: 231 });
  });

  it("amount = Σ allocations + walletCredit for every transaction of a sequence", async () => {
    const l = await exampleLoan();
    const amounts = ["1", "999999", "124000", "700000", "1550000", "50000"];
    let day = 1;
    for (const amount of amounts) {
      const r = await pay(admin, { loanId: l.loan.id, amount, paidAt: `2026-02-0${day++}T03:00:00.000Z` });
      if (r.errors) {
        expect(r.errors[0]!.extensions).toMatchObject({ code: "INVALID_STATE", currentStatus: "PAID_OFF" });
        continue;
      }
      expect(allocatedPlusWallet(r.data!.recordPayment.transaction)).toBe(BigInt(amount));
    }
    const totals = checkMoneyInvariants(await loanSnapshot(l.loan.id));
    expect(totals.totalAllocated).toBe(3_364_000n);
    expect(totals.totalWallet).toBe(10_000n);
  });
});
