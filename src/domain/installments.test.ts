import { describe, expect, it } from "vitest";
import { addDays } from "../shared/dates.js";
import { evaluateLoan, loanStatusForDpd, paidPaymentStatus, unpaidPaymentStatus } from "./installments.js";

describe("unpaidPaymentStatus", () => {
  it.each([
    [-500, "NOT_DUE"],
    [-4, "NOT_DUE"],
    [-3, "DUE_IN_3_DAYS"],
    [-2, "DUE_IN_3_DAYS"],
    [-1, "DUE_IN_3_DAYS"],
    [0, "DUE_TODAY"],
    [1, "OVERDUE_1DPD"],
    [4, "OVERDUE_1DPD"],
    [5, "OVERDUE_5DPD"],
    [29, "OVERDUE_5DPD"],
    [30, "OVERDUE_30DPD"],
    [59, "OVERDUE_30DPD"],
    [60, "OVERDUE_60DPD"],
    [89, "OVERDUE_60DPD"],
    [90, "OVERDUE_90DPD"],
    [119, "OVERDUE_90DPD"],
    [120, "OVERDUE_120DPD"],
    [149, "OVERDUE_120DPD"],
    [150, "OVERDUE_150DPD"],
    [179, "OVERDUE_150DPD"],
    [180, "OVERDUE_180DPD"],
    [500, "OVERDUE_180DPD"],
  ] as const)("dpd %d → %s", (dpd, status) => {
    expect(unpaidPaymentStatus(dpd)).toBe(status);
  });

  it("rejects a non-integer dpd", () => {
    expect(() => unpaidPaymentStatus(1.5)).toThrow(RangeError);
    expect(() => unpaidPaymentStatus(Number.NaN)).toThrow(RangeError);
  });
});

describe("paidPaymentStatus", () => {
  const due = "2026-02-10";
  it.each([
    [-30, "PAID_ON_TIME"],
    [-1, "PAID_ON_TIME"],
    [0, "PAID_ON_TIME"],
    [1, "PAID_WITHIN_GRACE"],
    [4, "PAID_WITHIN_GRACE"],
    [5, "PAID_LATE"],
    [29, "PAID_LATE"],
    [500, "PAID_LATE"],
  ] as const)("paid %d days after the due date → %s", (days, status) => {
    expect(paidPaymentStatus(addDays(due, days), due)).toBe(status);
  });
});

describe("loanStatusForDpd", () => {
  it.each([
    [null, "PAID_OFF"],
    [-500, "CURRENT"],
    [-4, "CURRENT"],
    [-3, "CURRENT"],
    [-1, "CURRENT"],
    [0, "CURRENT"],
    [1, "LATE_1DPD"],
    [4, "LATE_1DPD"],
    [5, "LATE_5DPD"],
    [29, "LATE_5DPD"],
    [30, "LATE_30DPD"],
    [59, "LATE_30DPD"],
    [60, "LATE_60DPD"],
    [89, "LATE_60DPD"],
    [90, "LATE_90DPD"],
    [119, "LATE_90DPD"],
    [120, "LATE_120DPD"],
    [149, "LATE_120DPD"],
    [150, "LATE_150DPD"],
    [179, "LATE_150DPD"],
    [180, "LATE_180DPD"],
    [500, "LATE_180DPD"],
  ] as const)("worst dpd %s → %s", (dpd, status) => {
    expect(loanStatusForDpd(dpd)).toBe(status);
  });

  it("agrees with the installment buckets", () => {
    for (let dpd = 1; dpd <= 400; dpd++) {
      expect(unpaidPaymentStatus(dpd).replace("OVERDUE_", "")).toBe(loanStatusForDpd(dpd).replace("LATE_", ""));
    }
  });
});

describe("evaluateLoan", () => {
  const inst = (dueDate: string, outstanding: bigint) => ({ dueDate, outstanding });

  it("nothing unpaid → PAID_OFF, dpd 0", () => {
    expect(evaluateLoan([inst("2026-02-10", 0n), inst("2026-03-10", 0n)], "2026-06-01")).toEqual({ status: "PAID_OFF", daysPastDue: 0 });
    expect(evaluateLoan([], "2026-06-01")).toEqual({ status: "PAID_OFF", daysPastDue: 0 });
  });

  it("before the first due date → CURRENT with dpd 0 (never negative)", () => {
    expect(evaluateLoan([inst("2026-02-10", 1_124_000n), inst("2026-03-10", 1_120_000n)], "2026-01-20")).toEqual({ status: "CURRENT", daysPastDue: 0 });
    expect(evaluateLoan([inst("2026-02-10", 1n)], "2026-02-10")).toEqual({ status: "CURRENT", daysPastDue: 0 });
  });

  it("follows the worst unpaid installment and ignores paid ones", () => {
    const loan = [inst("2026-02-10", 0n), inst("2026-03-10", 500n), inst("2026-04-10", 1_120_000n)];
    expect(evaluateLoan(loan, "2026-03-11")).toEqual({ status: "LATE_1DPD", daysPastDue: 1 });
    expect(evaluateLoan(loan, addDays("2026-03-10", 29))).toEqual({ status: "LATE_5DPD", daysPastDue: 29 });
    expect(evaluateLoan(loan, addDays("2026-03-10", 30))).toEqual({ status: "LATE_30DPD", daysPastDue: 30 });
    expect(evaluateLoan(loan, addDays("2026-03-10", 179))).toEqual({ status: "LATE_150DPD", daysPastDue: 179 });
    expect(evaluateLoan(loan, addDays("2026-03-10", 180))).toEqual({ status: "LATE_180DPD", daysPastDue: 180 });
  });
});
