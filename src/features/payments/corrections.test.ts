/**
 * RULES §12, the pure part: payoff quote (12.1) and re-posting after a reversal (12.3). Expected
 * figures are worked out by hand in the comments, not by the code under test.
 */
import { describe, expect, it } from "vitest";
import { type InstallmentAmounts } from "./allocation.js";
import { comesAfter, payoffQuote, postingOrder, replayPostings } from "./corrections.js";

const inst = (n: number, dueDate: string, over: Partial<InstallmentAmounts> = {}): InstallmentAmounts => ({
  id: `i${n}`,
  installmentNumber: n,
  dueDate,
  principalDue: 1_000_000n,
  interestDue: 120_000n,
  lateFeeDue: 0n,
  paidPrincipal: 0n,
  paidInterest: 0n,
  paidLateFee: 0n,
  ...over,
});

// 1 paid in full; 2 partly paid (400,000 of its principal) with a 50,000 late fee; 3 untouched.
const LOAN = [
  inst(1, "2026-02-10", { paidPrincipal: 1_000_000n, paidInterest: 120_000n }),
  inst(2, "2026-03-10", { lateFeeDue: 50_000n, paidPrincipal: 400_000n }),
  inst(3, "2026-04-10"),
];

describe("payoffQuote (RULES 12.1)", () => {
  it("before the current installment's due date: later interest is waived", () => {
    // Current = 2 (first unpaid due on/after 03-01): 600,000 + 120,000 + 50,000 in full.
    // Later = 3: principal 1,000,000, its 120,000 interest waived.
    const q = payoffQuote(LOAN, "2026-03-01");
    expect(q).toMatchObject({ principal: 1_600_000n, interest: 120_000n, lateFees: 50_000n, interestWaived: 120_000n, amount: 1_770_000n });
    expect(q.waivedInstallmentIds).toEqual(["i3"]);
  });

  it("on a due date the installment due that day is the current one", () => {
    expect(payoffQuote(LOAN, "2026-03-10")).toMatchObject({ interest: 120_000n, interestWaived: 120_000n, amount: 1_770_000n });
  });

  it("after a due date the overdue one is owed in full and the next is current", () => {
    // 2 overdue (full: 600,000 + 120,000 + 50,000), 3 current (full 1,120,000): 1,890,000.
    expect(payoffQuote(LOAN, "2026-03-11")).toMatchObject({ principal: 1_600_000n, interest: 240_000n, lateFees: 50_000n, interestWaived: 0n, amount: 1_890_000n });
  });

  it("after every due date there is no current installment and nothing is waived", () => {
    expect(payoffQuote(LOAN, "2026-05-01")).toMatchObject({ interest: 240_000n, interestWaived: 0n, amount: 1_890_000n, waivedInstallmentIds: [] });
  });

  it("a later installment's interest already paid is not waived again; late fees stay owed", () => {
    const loan = [inst(1, "2026-02-10"), inst(2, "2026-03-10", { paidInterest: 20_000n, lateFeeDue: 7_000n })];
    // 1 current in full (1,120,000); 2 later: principal 1,000,000 + late fee 7,000, waived 100,000.
    expect(payoffQuote(loan, "2026-01-20")).toMatchObject({ principal: 2_000_000n, interest: 120_000n, lateFees: 7_000n, interestWaived: 100_000n, amount: 2_127_000n });
  });
});

describe("replayPostings (RULES 12.3)", () => {
  const base = [inst(1, "2026-02-10", { principalDue: 100n, interestDue: 10n }), inst(2, "2026-03-10", { principalDue: 100n, interestDue: 10n })];
  const t1 = new Date("2026-02-01T03:00:00Z");
  const t2 = new Date("2026-02-12T03:00:00Z");
  const t3 = new Date("2026-03-01T03:00:00Z");

  it("re-posts oldest first; an installment records the posting that completed it; the rest goes to the wallet", () => {
    const r = replayPostings(base, [
      { id: "s1", amount: 50n, paidAt: t1 }, // 1: principal 50
      { id: "s2", amount: 100n, paidAt: t2 }, // 1: principal 50 + interest 10 (paid at t2), 2: principal 40
      { id: "s3", amount: 200n, paidAt: t3 }, // 2: principal 60 + interest 10 (paid at t3), wallet 130
    ]);
    expect(r.postings.map((p) => [p.id, p.allocations.map((a) => [a.paymentId, a.principal, a.interest]), p.walletCredit])).toEqual([
      ["s1", [["i1", 50n, 0n]], 0n],
      ["s2", [["i1", 50n, 10n], ["i2", 40n, 0n]], 0n],
      ["s3", [["i2", 60n, 10n]], 130n],
    ]);
    expect(r.installments.map((i) => [i.id, i.paidPrincipal, i.paidInterest, i.completedAt])).toEqual([
      ["i1", 100n, 10n, t2],
      ["i2", 100n, 10n, t3],
    ]);
  });

  it("what is left unpaid has no completion", () => {
    const r = replayPostings(base, [{ id: "s1", amount: 30n, paidAt: t1 }]);
    expect(r.installments.map((i) => i.completedAt)).toEqual([null, null]);
  });

  it("later = posted after T, or after T by (paidAt, createdAt); re-posted in (paidAt, createdAt) order", () => {
    const T = { id: "t", paidAt: t2, createdAt: new Date("2026-02-12T04:00:00Z") };
    const backdated = { id: "b", paidAt: t1, createdAt: new Date("2026-02-13T00:00:00Z") }; // posted after T, paid before
    const earlier = { id: "e", paidAt: t1, createdAt: new Date("2026-02-01T04:00:00Z") };
    const later = { id: "l", paidAt: t3, createdAt: new Date("2026-03-01T04:00:00Z") };
    expect([backdated, earlier, later].filter((x) => comesAfter(x, T)).map((x) => x.id)).toEqual(["b", "l"]);
    expect([later, backdated].sort(postingOrder).map((x) => x.id)).toEqual(["b", "l"]);
  });
});
