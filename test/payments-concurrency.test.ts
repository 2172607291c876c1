/**
 * recordPayment under concurrency (RULES §8): postings on one loan are serialised by the loan
 * row lock (no money lost or double-counted); concurrent repeats of one key post once and every
 * caller gets that result. Plus a property test: random payment sequences conserve money.
 * Meant for PostgreSQL (TEST_DATABASE_URL); PGlite serialises transactions itself and must agree.
 */
import fc from "fast-check";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeCustomer, makeLoan, setInstallment } from "./support/factories.js";
import { allocatedPlusWallet, checkMoneyInvariants, loanSnapshot, newKey, pay, transactionsWithKey } from "./support/payments.js";
import { adminToken, world } from "./support/world.js";

let admin: string;
const NOW = "2026-03-01T05:00:00.000Z";
/** The §6 example loan's total due: 1,124,000 + 1,120,000 + 1,120,000. */
const TOTAL_DUE = 3_364_000n;

beforeAll(async () => {
  admin = await adminToken();
});
beforeEach(async () => {
  (await world()).clock.set(NOW);
});
afterEach(async () => {
  (await world()).clock.set(null);
});

async function exampleLoan() {
  const customer = await makeCustomer();
  return makeLoan({ customer, status: "CURRENT", loanDate: "2026-01-10" });
}

describe("concurrent payments on one loan", () => {
  it("20 payments with distinct keys: nothing lost or double-counted, the loan ends PAID_OFF", async () => {
    const l = await exampleLoan();
    const amounts = Array.from({ length: 20 }, (_, i) => 150_000n + BigInt(i) * 5_000n); // Σ 3,950,000
    const results = await Promise.all(amounts.map((amount) => pay(admin, { loanId: l.loan.id, amount })));

    let posted = 0n;
    let walletCredits = 0n;
    let allocated = 0n;
    for (const [i, r] of results.entries()) {
      if (r.errors) {
        // Arrived after the loan was paid off.
        expect(r.errors[0]!.extensions).toMatchObject({ code: "INVALID_STATE", currentStatus: "PAID_OFF" });
        continue;
      }
      const t = r.data!.recordPayment.transaction;
      expect(r.data!.recordPayment.replayed).toBe(false);
      expect(BigInt(t.amount)).toBe(amounts[i]);
      expect(allocatedPlusWallet(t)).toBe(amounts[i]);
      posted += amounts[i]!;
      walletCredits += BigInt(t.walletCredit);
      allocated += allocatedPlusWallet(t) - BigInt(t.walletCredit);
    }
    expect(allocated).toBe(TOTAL_DUE);
    expect(posted).toBe(allocated + walletCredits);
    // Only the payment that crossed the total can have overpaid.
    expect(results.filter((r) => r.data?.recordPayment && r.data.recordPayment.transaction.walletCredit !== "0").length).toBeLessThanOrEqual(1);

    const snap = await loanSnapshot(l.loan.id);
    const totals = checkMoneyInvariants(snap);
    expect(totals).toEqual({ totalAmount: posted, totalAllocated: TOTAL_DUE, totalWallet: walletCredits });
    expect(snap.loan.status).toBe("PAID_OFF");
    expect(snap.walletBalance).toBe(walletCredits);
    for (const p of snap.installments) {
      expect([p.paidPrincipal, p.paidInterest, p.paidLateFee]).toEqual([p.principalDue, p.interestDue, p.lateFeeDue]);
    }
    expect(snap.transactions).toHaveLength(results.filter((r) => !r.errors).length);
  });

  it("20 small concurrent payments that fit: every one posted", async () => {
    const l = await exampleLoan();
    const amounts = Array.from({ length: 20 }, (_, i) => 10_000n + BigInt(i) * 1_001n);
    const results = await Promise.all(amounts.map((amount) => pay(admin, { loanId: l.loan.id, amount })));
    for (const r of results) expect(r.errors).toBeUndefined();
    const sum = amounts.reduce((a, b) => a + b, 0n);
    const snap = await loanSnapshot(l.loan.id);
    expect(checkMoneyInvariants(snap)).toEqual({ totalAmount: sum, totalAllocated: sum, totalWallet: 0n });
    expect(snap.installments[0]!.paidPrincipal).toBe(sum);
  });

  it("10 concurrent calls with the SAME key post once; all get that transaction, 9 as replays", async () => {
    const l = await exampleLoan();
    const key = newKey();
    const results = await Promise.all(Array.from({ length: 10 }, () => pay(admin, { loanId: l.loan.id, amount: "700000", idempotencyKey: key })));
    for (const r of results) expect(r.errors).toBeUndefined();
    const ids = new Set(results.map((r) => r.data!.recordPayment.transaction.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.data!.recordPayment.replayed)).toHaveLength(9);
    expect(await transactionsWithKey(key)).toHaveLength(1);
    const snap = await loanSnapshot(l.loan.id);
    expect(checkMoneyInvariants(snap)).toEqual({ totalAmount: 700_000n, totalAllocated: 700_000n, totalWallet: 0n });
  });

  it.each([
    ["two customers' loans", false, "250000"],
    ["one customer's two loans, overpaying (wallet credit)", true, "3400000"],
  ])("the same key raced on %s: one posting, the other loan's callers get IDEMPOTENCY_CONFLICT", async (_name, sameCustomer, amount) => {
    const l1 = await exampleLoan();
    const l2 = sameCustomer
      ? await makeLoan({ customer: (await loanSnapshot(l1.loan.id)).customer, status: "CURRENT", loanDate: "2026-01-10" })
      : await exampleLoan();
    const key = newKey();
    const calls = Array.from({ length: 10 }, (_, i) => ({ loanId: (i % 2 === 0 ? l1 : l2).loan.id, amount, idempotencyKey: key }));
    const results = await Promise.all(calls.map((c) => pay(admin, c)));
    const rows = await transactionsWithKey(key);
    expect(rows).toHaveLength(1);
    const winner = rows[0]!.loanId;
    for (const [i, r] of results.entries()) {
      if (calls[i]!.loanId === winner) {
        expect(r.errors).toBeUndefined();
        expect(r.data!.recordPayment.transaction.id).toBe(rows[0]!.id);
      } else {
        expect(r.errors?.[0]?.extensions?.code).toBe("IDEMPOTENCY_CONFLICT");
      }
    }
    expect(results.filter((r) => r.data?.recordPayment?.replayed === false)).toHaveLength(1);
    const loser = winner === l1.loan.id ? l2 : l1;
    expect((await loanSnapshot(loser.loan.id)).transactions).toHaveLength(0);
    const totals = checkMoneyInvariants(await loanSnapshot(winner));
    expect(totals.totalAmount).toBe(BigInt(amount));
  });
});

describe("property: random payment sequences conserve money", () => {
  it("Σ amounts = Σ allocations + Σ wallet credits, paid ≤ due, PAID_OFF exactly when all is paid", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.bigInt({ min: 1n, max: 1_500_000n }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(0n, 55_000n, 112_400n),
        async (amounts, lateFee) => {
          const l = await exampleLoan();
          if (lateFee > 0n) await setInstallment(l.payments[0]!.id, { lateFeeDue: lateFee, lateFeeThresholdsApplied: 1 });
          const totalDue = TOTAL_DUE + lateFee;
          let accepted = 0n;
          for (const amount of amounts) {
            const r = await pay(admin, { loanId: l.loan.id, amount });
            if (accepted >= totalDue) {
              expect(r.errors?.[0]?.extensions).toMatchObject({ code: "INVALID_STATE", currentStatus: "PAID_OFF" });
              continue;
            }
            expect(r.errors).toBeUndefined();
            expect(allocatedPlusWallet(r.data!.recordPayment.transaction)).toBe(amount);
            accepted += amount;
          }
          const snap = await loanSnapshot(l.loan.id);
          const totals = checkMoneyInvariants(snap);
          expect(totals.totalAmount).toBe(accepted);
          expect(totals.totalAllocated).toBe(accepted < totalDue ? accepted : totalDue);
          expect(totals.totalWallet).toBe(accepted > totalDue ? accepted - totalDue : 0n);
          expect(snap.loan.status === "PAID_OFF").toBe(accepted >= totalDue);
        },
      ),
      { numRuns: 15 },
    );
  });
});
