import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, addMonths, dateParts, daysBetween, fromEpochDay, toEpochDay } from "../../shared/dates.js";
import { sumBig } from "../../shared/money.js";
import { buildSchedule, cycleDay, firstDueDate, type Schedule, type ScheduleTerms } from "./schedule.js";

const rows = (s: Schedule) => s.installments.map((x) => [x.dueDate, x.principal, x.interest, x.total]);

describe("firstDueDate and the cycle day", () => {
  it.each([
    ["2026-01-10", "2026-02-10", 31],
    ["2026-01-20", "2026-02-20", 31],
    ["2026-01-01", "2026-02-01", 31],
    ["2026-01-28", "2026-02-28", 31],
    ["2026-01-29", "2026-02-28", 30], // cycle day 29 → 28
    ["2026-01-30", "2026-02-28", 29], // cycle day 30 → 28
    ["2026-01-31", "2026-02-28", 28], // cycle day 31 → 28
    ["2026-03-31", "2026-04-28", 28],
    ["2026-02-28", "2026-03-28", 28],
    ["2028-02-29", "2028-03-28", 28],
    ["2028-01-31", "2028-02-28", 28], // a leap February still uses the 28th
    ["2026-04-30", "2026-05-28", 28],
    ["2026-12-31", "2027-01-28", 28],
    ["2026-12-15", "2027-01-15", 31],
  ] as const)("loanDate %s → first due %s (%d days)", (loanDate, due, days) => {
    expect(firstDueDate(loanDate)).toBe(due);
    expect(daysBetween(loanDate, due)).toBe(days);
  });

  it("caps the cycle day at 28", () => {
    expect(cycleDay("2026-01-05")).toBe(5);
    expect(cycleDay("2026-01-28")).toBe(28);
    expect(cycleDay("2026-01-29")).toBe(28);
    expect(cycleDay("2026-01-30")).toBe(28);
    expect(cycleDay("2026-01-31")).toBe(28);
  });

  // The 15-day rule never forces a skip: the same-month cycle date is never after the loan date
  // (cycle day ≤ day of month), and the next month's is always 28–31 days away. Checked for
  // every loan date over four years, including a leap year.
  it("exhaustively: first due is the next month's cycle day, 28–31 days (≥ 15) after the loan date", () => {
    for (let day = toEpochDay("2026-01-01"); day <= toEpochDay("2029-12-31"); day++) {
      const loanDate = fromEpochDay(day);
      const due = firstDueDate(loanDate);
      const d = daysBetween(loanDate, due);
      expect(d).toBeGreaterThanOrEqual(28);
      expect(d).toBeLessThanOrEqual(31);
      expect(dateParts(due).day).toBe(cycleDay(loanDate));
      // earliest: one month earlier on the cycle day is less than 15 days after the loan date
      expect(daysBetween(loanDate, addMonths(due, -1))).toBeLessThan(15);
    }
  });

  it("rejects invalid dates", () => {
    expect(() => firstDueDate("2026-02-30")).toThrow(RangeError);
  });
});

describe("buildSchedule: the worked example (RULES §6)", () => {
  const s = buildSchedule({
    principal: 3_000_000n,
    tenorMonths: 3,
    monthlyInterestRateBps: 400,
    originationFeeBps: 500,
    loanDate: "2026-01-10",
  });

  it("has the documented installments", () => {
    expect(rows(s)).toEqual([
      ["2026-02-10", 1_000_000n, 124_000n, 1_124_000n],
      ["2026-03-10", 1_000_000n, 120_000n, 1_120_000n],
      ["2026-04-10", 1_000_000n, 120_000n, 1_120_000n],
    ]);
    expect(s.installments.map((x) => x.installmentNumber)).toEqual([1, 2, 3]);
  });

  it("has the documented totals", () => {
    expect(s).toMatchObject({
      principal: 3_000_000n,
      originationFee: 150_000n,
      disbursedAmount: 2_850_000n,
      totalInterest: 364_000n,
      totalRepayment: 3_364_000n,
      regularInstallment: 1_120_000n,
      firstDueDate: "2026-02-10",
      lastDueDate: "2026-04-10",
      feeCap: 1_080_000n, // 3,000,000 * 40 * 90 / 10000
    });
  });
});

describe("buildSchedule: rounding and remainders", () => {
  it("MTL 6 months: rounding the installment down to Rp 1,000 lowers i", () => {
    // p = 833,333; i = 300,000; p + i = 1,133,333 → a = 1,133,000 → i = 299,667.
    // The remainder P - p*n = 2 moves into the last principal and out of its interest.
    const s = buildSchedule({
      principal: 5_000_000n,
      tenorMonths: 6,
      monthlyInterestRateBps: 600,
      originationFeeBps: 500,
      loanDate: "2026-03-15",
    });
    expect(s.regularInstallment).toBe(1_133_000n);
    expect(rows(s)).toEqual([
      ["2026-04-15", 833_333n, 309_655n, 1_142_988n], // floor(299,667 * 31 / 30)
      ["2026-05-15", 833_333n, 299_667n, 1_133_000n],
      ["2026-06-15", 833_333n, 299_667n, 1_133_000n],
      ["2026-07-15", 833_333n, 299_667n, 1_133_000n],
      ["2026-08-15", 833_333n, 299_667n, 1_133_000n],
      ["2026-09-15", 833_335n, 299_665n, 1_133_000n],
    ]);
    expect(s.totalInterest).toBe(1_807_988n);
    expect(s.totalRepayment).toBe(6_807_988n);
    expect(s.originationFee).toBe(250_000n);
    expect(s.disbursedAmount).toBe(4_750_000n);
    expect(s.feeCap).toBe(3_680_000n); // 184 days
  });

  it("MTL 4 months at 500 bps with a 28-day first period", () => {
    // p = 1,750,000; i = 350,000; a = 2,100,000 (already round).
    const s = buildSchedule({
      principal: 7_000_000n,
      tenorMonths: 4,
      monthlyInterestRateBps: 500,
      originationFeeBps: 500,
      loanDate: "2026-01-31",
    });
    expect(rows(s)).toEqual([
      ["2026-02-28", 1_750_000n, 326_666n, 2_076_666n], // floor(350,000 * 28 / 30)
      ["2026-03-28", 1_750_000n, 350_000n, 2_100_000n],
      ["2026-04-28", 1_750_000n, 350_000n, 2_100_000n],
      ["2026-05-28", 1_750_000n, 350_000n, 2_100_000n],
    ]);
    expect(s.regularInstallment).toBe(2_100_000n);
  });

  it("keeps i when the rounded installment would not exceed p", () => {
    // p = 1,000,000; i = 300; a = 1,000,000 is not > p, so i stays 300.
    const s = buildSchedule({
      principal: 3_000_000n,
      tenorMonths: 3,
      monthlyInterestRateBps: 1,
      originationFeeBps: 0,
      loanDate: "2026-01-10",
    });
    expect(s.regularInstallment).toBe(1_000_300n);
    expect(s.installments.map((x) => x.interest)).toEqual([310n, 300n, 300n]);
  });

  it("does not round when the rate is 0; the last interest is not below 0", () => {
    const s = buildSchedule({
      principal: 2_000_000n,
      tenorMonths: 3,
      monthlyInterestRateBps: 0,
      originationFeeBps: 500,
      loanDate: "2026-01-10",
    });
    expect(rows(s)).toEqual([
      ["2026-02-10", 666_666n, 0n, 666_666n],
      ["2026-03-10", 666_666n, 0n, 666_666n],
      ["2026-04-10", 666_668n, 0n, 666_668n],
    ]);
    expect(s.regularInstallment).toBe(666_666n);
    expect(s.totalInterest).toBe(0n);
    expect(s.originationFee).toBe(100_000n);
  });

  it("does not round the single installment of a one-month loan", () => {
    // n = 1: p = P, i = floor(P * r); the single installment is first and last.
    const s = buildSchedule({
      principal: 777_777n,
      tenorMonths: 1,
      monthlyInterestRateBps: 1000,
      originationFeeBps: 0,
      loanDate: "2026-01-10",
    });
    expect(s.regularInstallment).toBe(777_777n + 77_777n);
    // floor(77,777 * 31 / 30) = 80,369; cap 777,777 * 40 * 31 / 10000 = 96,444 (not binding)
    expect(rows(s)).toEqual([["2026-02-10", 777_777n, 80_369n, 858_146n]]);
    expect(s.firstDueDate).toBe(s.lastDueDate);
  });
});

describe("buildSchedule: fee cap (OJK/AFPI)", () => {
  it("STL: the cap binds and the interest becomes cap - fee", () => {
    // i = 100,000; 31 days → interest 103,333; fee 50,000; cap 1,000,000 * 40 * 31 / 10000 = 124,000.
    const s = buildSchedule({
      principal: 1_000_000n,
      tenorMonths: 1,
      monthlyInterestRateBps: 1000,
      originationFeeBps: 500,
      loanDate: "2026-01-10",
    });
    expect(s.feeCap).toBe(124_000n);
    expect(s.originationFee).toBe(50_000n);
    expect(s.totalInterest).toBe(74_000n);
    expect(rows(s)).toEqual([["2026-02-10", 1_000_000n, 74_000n, 1_074_000n]]);
    expect(s.disbursedAmount).toBe(950_000n);
    expect(s.totalRepayment).toBe(1_074_000n);
    expect(s.regularInstallment).toBe(1_100_000n); // p + i of step 2, before steps 4 and 6
  });

  it("STL over a 28-day month", () => {
    // interest floor(100,000 * 28 / 30) = 93,333; cap 112,000; fee 50,000 → interest 62,000.
    const s = buildSchedule({
      principal: 1_000_000n,
      tenorMonths: 1,
      monthlyInterestRateBps: 1000,
      originationFeeBps: 500,
      loanDate: "2026-02-10",
    });
    expect(s.feeCap).toBe(112_000n);
    expect(rows(s)).toEqual([["2026-03-10", 1_000_000n, 62_000n, 1_062_000n]]);
  });

  it("STL 500,000 (cap binds proportionally)", () => {
    const s = buildSchedule({
      principal: 500_000n,
      tenorMonths: 1,
      monthlyInterestRateBps: 1000,
      originationFeeBps: 500,
      loanDate: "2026-01-10",
    });
    expect(s.feeCap).toBe(62_000n);
    expect(s.originationFee).toBe(25_000n);
    expect(s.totalInterest).toBe(37_000n);
  });

  it("cuts all interest and then the fee when the cap is below the fee", () => {
    // fee 2000 bps = 200,000 > cap 112,000 (28 days): interest 0, fee 112,000.
    const s = buildSchedule({
      principal: 1_000_000n,
      tenorMonths: 1,
      monthlyInterestRateBps: 1000,
      originationFeeBps: 2000,
      loanDate: "2026-02-10",
    });
    expect(s.feeCap).toBe(112_000n);
    expect(s.totalInterest).toBe(0n);
    expect(s.originationFee).toBe(112_000n);
    expect(s.disbursedAmount).toBe(888_000n);
    expect(rows(s)).toEqual([["2026-03-10", 1_000_000n, 0n, 1_000_000n]]);
  });

  it("cuts interest from the last installment backwards", () => {
    // i = 600,000; interests 620,000 / 600,000 / 600,000 + fee 150,000 = 1,970,000;
    // cap 1,080,000 → excess 890,000: the last loses 600,000, the second 290,000.
    const s = buildSchedule({
      principal: 3_000_000n,
      tenorMonths: 3,
      monthlyInterestRateBps: 2000,
      originationFeeBps: 500,
      loanDate: "2026-01-10",
    });
    expect(s.installments.map((x) => x.interest)).toEqual([620_000n, 310_000n, 0n]);
    expect(s.originationFee).toBe(150_000n);
    expect(s.originationFee + s.totalInterest).toBe(s.feeCap);
  });

  it("leaves the fee alone when cutting interest is enough, even to the first installment", () => {
    // i = 900,000: 930,000 / 900,000 / 900,000 + 150,000 fee; excess 1,800,000 → last two cut to 0.
    const s = buildSchedule({
      principal: 3_000_000n,
      tenorMonths: 3,
      monthlyInterestRateBps: 3000,
      originationFeeBps: 500,
      loanDate: "2026-01-10",
    });
    expect(s.installments.map((x) => x.interest)).toEqual([930_000n, 0n, 0n]);
    expect(s.originationFee).toBe(150_000n);
  });

  it("the cap never binds for MTL products (at most 600 bps, 3–6 months)", () => {
    for (const loanDate of ["2026-01-31", "2026-02-28", "2026-07-15", "2028-02-29"]) {
      for (const n of [3, 4, 5, 6]) {
        const s = buildSchedule({ principal: 8_000_000n, tenorMonths: n, monthlyInterestRateBps: 600, originationFeeBps: 500, loanDate });
        expect(s.originationFee).toBe(400_000n);
        expect(s.installments.slice(1).every((x) => x.total === s.regularInstallment)).toBe(true);
      }
    }
  });
});

describe("buildSchedule: input validation", () => {
  const base: ScheduleTerms = { principal: 1_000_000n, tenorMonths: 3, monthlyInterestRateBps: 400, originationFeeBps: 500, loanDate: "2026-01-10" };
  it.each([
    ["zero principal", { principal: 0n }],
    ["negative principal", { principal: -1n }],
    ["number principal", { principal: 1_000_000 as unknown as bigint }],
    ["zero tenor", { tenorMonths: 0 }],
    ["fractional tenor", { tenorMonths: 1.5 }],
    ["negative rate", { monthlyInterestRateBps: -1 }],
    ["fractional rate", { monthlyInterestRateBps: 0.5 }],
    ["negative fee", { originationFeeBps: -1 }],
    ["invalid date", { loanDate: "2026-02-29" }],
  ] as const)("rejects %s", (_, patch) => {
    expect(() => buildSchedule({ ...base, ...patch })).toThrow(RangeError);
  });
});

describe("buildSchedule: properties", () => {
  const loanDateArb = fc.integer({ min: toEpochDay("2000-01-01"), max: toEpochDay("2100-12-31") }).map(fromEpochDay);
  const anyTerms = fc.record({
    principal: fc.bigInt({ min: 1n, max: 10n ** 12n }),
    tenorMonths: fc.integer({ min: 1, max: 36 }),
    monthlyInterestRateBps: fc.integer({ min: 0, max: 5000 }),
    originationFeeBps: fc.integer({ min: 0, max: 3000 }),
    loanDate: loanDateArb,
  });
  /** Product-like terms where the fee cap cannot bind (rate ≤ 600 bps, fee ≤ 500 bps, n ≥ 2). */
  const productTerms = fc.record({
    principal: fc.bigInt({ min: 100_000n, max: 10n ** 10n }),
    tenorMonths: fc.integer({ min: 2, max: 24 }),
    monthlyInterestRateBps: fc.integer({ min: 0, max: 600 }),
    originationFeeBps: fc.integer({ min: 0, max: 500 }),
    loanDate: loanDateArb,
  });

  it("Σ principal = P; fee + interest ≤ cap; disbursed = P - fee; consistent totals", () => {
    fc.assert(
      fc.property(anyTerms, (t) => {
        const s = buildSchedule(t);
        const p = t.principal / BigInt(t.tenorMonths);
        expect(s.installments).toHaveLength(t.tenorMonths);
        expect(sumBig(s.installments.map((x) => x.principal))).toBe(t.principal);
        expect(s.installments.slice(0, -1).every((x) => x.principal === p)).toBe(true);
        expect(s.originationFee + s.totalInterest <= s.feeCap).toBe(true);
        expect(s.originationFee >= 0n && s.originationFee <= (t.principal * BigInt(t.originationFeeBps)) / 10_000n).toBe(true);
        expect(s.installments.every((x) => x.interest >= 0n && x.total === x.principal + x.interest)).toBe(true);
        expect(s.disbursedAmount).toBe(t.principal - s.originationFee);
        expect(s.totalInterest).toBe(sumBig(s.installments.map((x) => x.interest)));
        expect(s.totalRepayment).toBe(t.principal + s.totalInterest);
        expect(s.feeCap).toBe((t.principal * 40n * BigInt(daysBetween(t.loanDate, s.lastDueDate))) / 10_000n);
      }),
    );
  });

  it("due dates: first after ≥ 15 days, then strictly increasing by one month on the cycle day", () => {
    fc.assert(
      fc.property(anyTerms, (t) => {
        const s = buildSchedule(t);
        const due = s.installments.map((x) => x.dueDate);
        expect(due[0]).toBe(s.firstDueDate);
        expect(due.at(-1)).toBe(s.lastDueDate);
        expect(daysBetween(t.loanDate, due[0]!)).toBeGreaterThanOrEqual(15);
        for (let k = 1; k < due.length; k++) {
          expect(due[k]).toBe(addMonths(due[k - 1]!, 1));
          expect(daysBetween(due[k - 1]!, due[k]!)).toBeGreaterThan(0);
          expect(dateParts(due[k]!).day).toBe(cycleDay(t.loanDate));
        }
      }),
    );
  });

  it("without the cap binding: middle installments all equal a, the last equals a, the first is i*d/30", () => {
    fc.assert(
      fc.property(productTerms, (t) => {
        const s = buildSchedule(t);
        const n = t.tenorMonths;
        const p = t.principal / BigInt(n);
        const middle = s.installments.slice(1, -1);
        expect(middle.every((x) => x.principal === p && x.total === s.regularInstallment)).toBe(true);
        const i = s.regularInstallment - p;
        expect(s.originationFee).toBe((t.principal * BigInt(t.originationFeeBps)) / 10_000n);
        const d = BigInt(daysBetween(t.loanDate, s.firstDueDate));
        expect(s.installments[0]!.interest).toBe((i * d) / 30n);
        const last = s.installments[n - 1]!;
        const remainder = t.principal - p * BigInt(n);
        expect(last.interest).toBe(i > remainder ? i - remainder : 0n);
        if (t.monthlyInterestRateBps > 0 && s.regularInstallment > p + 999n) {
          // rounded to Rp 1,000 whenever the rounding could keep a > p
          expect(s.regularInstallment % 1000n).toBe(0n);
        }
      }),
    );
  });

  it("is deterministic and does not depend on the time of day", () => {
    const t: ScheduleTerms = { principal: 4_000_000n, tenorMonths: 5, monthlyInterestRateBps: 500, originationFeeBps: 500, loanDate: "2026-06-30" };
    expect(buildSchedule(t)).toEqual(buildSchedule({ ...t }));
    expect(buildSchedule(t).firstDueDate).toBe(addDays("2026-06-30", 28));
  });
});
